/**
 * What the web console costs the broker: produce throughput of the embedded broker (the broker
 * bench's sender: 1 KiB records, 100 per batch, acks=1, 8 requests in flight, one connection) with
 * the console closed, and with the console open and streaming to a live client, rounds interleaved.
 *
 * The live client is Debian's chromium ($CHROMIUM for another) through playwright-core when it is
 * installed: three pages, on #/cluster, on the bench topic (its partition as a tape) and on a group,
 * each following `GET /api/live`. Without chromium, SSE clients in a child process read /api/live with every view
 * instead (the same server work, without the browser's own CPU), and the heading says which ran.
 * Either way a round counts only if its client saw the partition's new high watermark afterwards: the
 * console was really streaming while the broker was measured.
 *
 * Both run on this machine's 2 cores with the broker, as they would for a learner; read the ratio.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import { chromium, type Page } from 'playwright-core';
import { startBroker, type RunningBroker } from '../local/broker/broker';
import type { ConsoleInfo } from '../local/console/api';
import { createClusterSource } from '../local/console/kafka/cluster-source';
import { startConsole, type RunningConsole } from '../local/console/server/console-server';
import {
  BENCH_BATCH,
  connectTo,
  median,
  pipeline,
  produceFrames,
  RECORDS_PER_BATCH,
  timed,
  type Figure,
} from './broker.bench';

const TOPIC = 'console-bench';
const GROUP = 'console-bench-readers';
/** Debian's chromium, or another Chromium or Chrome binary (as the browser tests take it). */
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
/** How long a client may take to show the round's last offset: the console pushes once a second. */
const CATCH_UP_MS = 15_000;

export interface ConsoleBenchOptions {
  /** Rounds of each kind (closed, open), interleaved. @default 5 */
  readonly rounds?: number;
  /** Produce requests per round (100 records of 1 KiB each). @default 5000: about 2 s, a few pushes */
  readonly requests?: number;
  /** chromium when /usr/bin/chromium exists, else SSE clients. @default 'auto' */
  readonly client?: 'auto' | 'chromium' | 'sse';
  /** SSE clients in the fallback. @default 3 */
  readonly sseClients?: number;
}

export interface ConsoleBench {
  /** Which live client ran, for the heading. */
  readonly client: string;
  readonly figures: Figure[];
  /** Live events the clients received during open rounds (SSE clients only; the pages do not count). */
  readonly events: number;
}

/** A client following the console; `sawOffset` resolves once it shows `offset` as the high watermark. */
interface LiveClient {
  sawOffset(offset: number): Promise<void>;
  close(): Promise<void>;
}

async function waitUntil(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + CATCH_UP_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`console bench: ${what} within ${CATCH_UP_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A browser with pages on the cluster, the bench topic's tapes and the group, each live. Launched for
 * each open round and closed after it: an idle chromium left running takes enough of two cores to
 * slow the closed rounds too.
 */
async function openPages(url: string): Promise<LiveClient> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const pages: Page[] = [];
  for (const route of ['#/cluster', `#/topics/${TOPIC}`, `#/groups/${GROUP}`]) {
    const page = await context.newPage();
    await page.goto(`${url}/${route}`);
    await page
      .getByTestId('live-status')
      .filter({ hasText: /^live$/ })
      .waitFor();
    pages.push(page);
  }
  const tape = pages[1].getByTestId(`tape-${TOPIC}-0`);
  return {
    sawOffset: (offset) =>
      waitUntil(`the page's tape did not reach offset ${offset}`, async () => {
        return Number(await tape.getAttribute('data-high-watermark')) >= offset;
      }),
    close: () => browser.close(),
  };
}

/**
 * `clients` EventSource-like readers of /api/live with every view, in a child process so that their
 * parsing does not share the broker's event loop. The child prints one line per event: its name and,
 * for the tape, the high watermark.
 */
const SSE_CHILD = `
const [url, clients] = [process.argv[1], Number(process.argv[2])];
async function follow() {
  const response = await fetch(url);
  let pending = '';
  for await (const chunk of response.body) {
    pending += Buffer.from(chunk).toString();
    let end;
    while ((end = pending.indexOf('\\n\\n')) >= 0) {
      const message = pending.slice(0, end);
      pending = pending.slice(end + 2);
      const event = /^event: (.*)$/m.exec(message)?.[1];
      const data = /^data: (.*)$/m.exec(message)?.[1];
      if (!event) continue;
      const hw = event.startsWith('tape:') ? JSON.parse(data).highWatermark : '';
      process.stdout.write(event + ' ' + hw + '\\n');
    }
  }
}
for (let i = 0; i < clients; i++) follow().catch((e) => { console.error(String(e)); process.exit(1); });
`;

async function openSseClients(url: string, clients: number, onEvent: () => void): Promise<LiveClient> {
  const views = ['cluster', 'groups', `tape:${TOPIC}:0`, `group:${GROUP}`];
  const live = `${url}/api/live?${views.map((v) => `view=${encodeURIComponent(v)}`).join('&')}`;
  const child: ChildProcess = spawn(process.execPath, ['-e', SSE_CHILD, live, String(clients)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let highWatermark = -1;
  let connected = 0;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const [event, hw] = line.split(' ');
    onEvent();
    if (event === 'cluster') connected++;
    if (event.startsWith('tape:')) highWatermark = Math.max(highWatermark, Number(hw));
  });
  // Every client has its first snapshot before the round starts.
  await waitUntil(`${clients} SSE clients did not connect`, () => connected >= clients);
  return {
    sawOffset: (offset) =>
      waitUntil(`the SSE clients' tape did not reach offset ${offset}`, () => highWatermark >= offset),
    close: async () => {
      child.kill();
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}

/** Sends one round of produce requests on a new connection; resolves to its seconds. */
async function produceRound(broker: RunningBroker, requests: number): Promise<number> {
  // The previous round's records go first, so memory stays flat and each round writes the same bytes.
  const partition = broker.stats().topics.find((t) => t.name === TOPIC)!.partitions[0];
  broker.cluster.deleteRecords(TOPIC, 0, partition.highWatermark);
  const socket = await connectTo(broker.port);
  try {
    const frames = produceFrames(TOPIC, requests);
    return await timed(() => pipeline(socket, frames));
  } finally {
    socket.destroy();
  }
}

export async function runConsoleBench(
  log: (line: string) => void,
  options: ConsoleBenchOptions = {},
): Promise<ConsoleBench> {
  const rounds = options.rounds ?? 5;
  const requests = options.requests ?? 5000;
  const wanted = options.client ?? 'auto';
  const useChromium = wanted === 'chromium' || (wanted === 'auto' && existsSync(CHROMIUM));
  const sseClients = options.sseClients ?? 3;
  const client = useChromium
    ? `chromium (${CHROMIUM}): 3 pages on #/cluster, #/topics/${TOPIC} and #/groups/${GROUP}`
    : `${sseClients} SSE clients on /api/live with every view (${existsSync(CHROMIUM) ? 'chosen' : `no ${CHROMIUM}`})`;

  const broker = await startBroker({ port: 0 });
  broker.cluster.createTopic(TOPIC, 1);
  // A group with a committed offset, so the group views have a lag to compute.
  const kafka = new Kafka({ brokers: [broker.bootstrapServers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.setOffsets({ groupId: GROUP, topic: TOPIC, partitions: [{ partition: 0, offset: '0' }] });
  await admin.disconnect();

  const closed: number[] = [];
  const open: number[] = [];
  let events = 0;
  try {
    for (let r = 0; r < rounds; r++) {
      // Which kind goes first alternates, so neither always meets the heap the other left behind.
      if (r % 2 === 0) closed.push(await produceRound(broker, requests));

      const cluster = await createClusterSource({ bootstrapServers: [broker.bootstrapServers], broker });
      const info: ConsoleInfo = {
        mode: 'broker',
        bootstrapServers: broker.bootstrapServers,
        clusterId: broker.cluster.clusterId,
        controllable: cluster.controllable,
      };
      let running: RunningConsole | undefined;
      let live: LiveClient | undefined;
      try {
        running = await startConsole({ host: '127.0.0.1', port: 0, cluster, info });
        const url = running.url.replace(/\/$/, '');
        live = useChromium ? await openPages(url) : await openSseClients(url, sseClients, () => events++);
        open.push(await produceRound(broker, requests));
        const end = broker.stats().topics.find((t) => t.name === TOPIC)!.partitions[0].highWatermark;
        await live.sawOffset(end);
      } finally {
        await live?.close();
        await running?.close();
        await cluster.close();
      }
      if (r % 2 === 1) closed.push(await produceRound(broker, requests));
      const mb = (BENCH_BATCH.length * requests) / 1e6;
      log(
        `  round ${r + 1}/${rounds}: console closed ${(mb / closed[r]).toFixed(0)} MB/s, open ${(mb / open[r]).toFixed(0)} MB/s`,
      );
    }
  } finally {
    await broker.close();
  }

  const mb = (BENCH_BATCH.length * requests) / 1e6;
  const records = RECORDS_PER_BATCH * requests;
  const c = median(closed);
  const o = median(open);
  return {
    client,
    events,
    figures: [
      {
        name: 'produce, console closed (1 KiB records, 100/batch, acks=1, 8 in flight)',
        value: mb / c,
        unit: 'MB/s',
      },
      { name: 'produce, console closed', value: records / c, unit: 'records/s' },
      { name: 'produce, console open and streaming', value: mb / o, unit: 'MB/s' },
      { name: 'produce, console open and streaming', value: records / o, unit: 'records/s' },
      { name: 'produce ratio open / closed (1.00: no cost)', value: c / o, unit: '' },
    ],
  };
}

/** Records in the topic the page figures browse and search: the issue's "usable with 100,000". */
const LOG_RECORDS = 100_000;
const LOG_TOPIC = 'console-bench-log';
const LOG_PARTITIONS = 4;
/** Page loads per page figure (fresh browser context each: nothing cached). */
const PAGE_LOADS = 5;

/**
 * What a learner waits for in the page: its weight, its first paint, the message browser on a
 * 100,000-record topic, and a search that reads all of it a page at a time. Needs chromium; medians
 * of PAGE_LOADS fresh loads (the search: of its requests).
 */
export async function runConsolePageBench(log: (line: string) => void): Promise<Figure[]> {
  if (!existsSync(CHROMIUM)) {
    log(`  page figures skipped: no ${CHROMIUM} (scripts/install-test-deps.sh installs chromium)`);
    return [];
  }
  const broker = await startBroker({ port: 0 });
  broker.cluster.createTopic(LOG_TOPIC, LOG_PARTITIONS);
  const socket = await connectTo(broker.port);
  try {
    await pipeline(socket, produceFrames(LOG_TOPIC, LOG_RECORDS / RECORDS_PER_BATCH, LOG_PARTITIONS));
  } finally {
    socket.destroy();
  }
  const cluster = await createClusterSource({ bootstrapServers: [broker.bootstrapServers], broker });
  const info: ConsoleInfo = {
    mode: 'broker',
    bootstrapServers: broker.bootstrapServers,
    clusterId: broker.cluster.clusterId,
    controllable: cluster.controllable,
  };
  const running = await startConsole({ host: '127.0.0.1', port: 0, cluster, info });
  const url = running.url.replace(/\/$/, '');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  try {
    const weights: number[] = [];
    const paints: number[] = [];
    const browses: number[] = [];
    for (let i = 0; i < PAGE_LOADS; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto(`${url}/#/cluster`);
      await page.getByTestId(`topic-${LOG_TOPIC}`).waitFor();
      // Run in the page (a string: this project type-checks without the DOM's types).
      const { bytes, paint } = (await page.evaluate(`(() => {
        const entries = [
          ...performance.getEntriesByType('navigation'),
          ...performance.getEntriesByType('resource').filter((e) => !e.name.includes('/api/')),
        ];
        const fcp = performance.getEntriesByName('first-contentful-paint')[0];
        return { bytes: entries.reduce((s, e) => s + e.encodedBodySize, 0), paint: fcp ? fcp.startTime : NaN };
      })()`)) as { bytes: number; paint: number };
      weights.push(bytes);
      paints.push(paint);
      // The message browser from a fresh load: newest records of every partition on screen.
      const messages = await context.newPage();
      const started = Date.now();
      await messages.goto(`${url}/#/messages/${LOG_TOPIC}`);
      await messages.getByTestId('message-row').nth(49).waitFor();
      browses.push(Date.now() - started);
      await context.close();
    }

    // A search for text no record holds reads the whole log, at most 10,000 records a request.
    const searchTimes: number[] = [];
    let scanned = 0;
    let largest = 0;
    let cursor: string | null = null;
    const searchStarted = Date.now();
    do {
      const query = new URLSearchParams({ from: 'beginning', search: 'no record says this' });
      if (cursor) query.set('cursor', cursor);
      const t = Date.now();
      const res = await fetch(`${url}/api/topics/${LOG_TOPIC}/messages?${query}`);
      const body = (await res.json()) as { scanned: number; cursor: string | null; records: unknown[] };
      if (!res.ok) throw new Error(`console bench: search answered ${res.status}: ${JSON.stringify(body)}`);
      searchTimes.push(Date.now() - t);
      scanned += body.scanned;
      largest = Math.max(largest, body.scanned);
      cursor = body.cursor;
    } while (cursor);
    const searchTotal = Date.now() - searchStarted;
    log(
      `  search of ${LOG_TOPIC}: ${searchTimes.length} requests read ${scanned} records (at most ${largest} each) in ${searchTotal} ms`,
    );
    return [
      { name: 'page weight (html, css, js; uncompressed)', value: median(weights) / 1024, unit: 'KiB' },
      { name: 'first contentful paint, fresh load', value: median(paints), unit: 'ms' },
      {
        name: `message browser on ${LOG_RECORDS} records: 50 rows shown, fresh load`,
        value: median(browses),
        unit: 'ms',
      },
      { name: 'search, one request (at most 10,000 records read)', value: median(searchTimes), unit: 'ms' },
      { name: `search through all ${LOG_RECORDS} records`, value: searchTotal, unit: 'ms' },
    ];
  } finally {
    await browser.close();
    await running.close();
    await cluster.close();
    await broker.close();
  }
}
