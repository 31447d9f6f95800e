/**
 * The console's HTTP server over real HTTP: which requests it answers, what it refuses and why, the
 * page files, and the live stream. The server is what is under test; what it reads from is a plain
 * stand-in for the cluster (and for the pipeline) that records each call and answers fixed values, so
 * every route can be checked against the call it makes.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  ConsoleRequestError,
  type ClusterSnapshot,
  type ClusterSource,
  type ConsoleInfo,
  type PipelineSource,
} from '../../local/console/api';
import { LiveHub } from '../../local/console/server/live';
import {
  ConsolePortInUseError,
  startConsole,
  type RunningConsole,
} from '../../local/console/server/console-server';
import { until } from '../support/until';

/** Each call the server made on a stand-in, as [method, ...arguments]. */
type Calls = unknown[][];

const snapshot = (topics: string[]): ClusterSnapshot => ({
  at: Date.now(),
  clusterId: 'stand-in',
  controllable: true,
  brokers: [{ nodeId: 1, host: '127.0.0.1', port: 9092, state: 'up', leaderOf: 1, replicaOf: 1 }],
  topics: topics.map((name) => ({ name, internal: false, partitions: [], records: 0, sizeInBytes: 0 })),
});

/** A stand-in for the cluster: records calls, answers fixed values; `state` drives the live view. */
function clusterStandIn(calls: Calls) {
  const state = { topics: ['orders'], failure: undefined as string | undefined, reads: 0 };
  const record =
    <T>(name: string, answer: T) =>
    async (...args: unknown[]): Promise<T> => {
      calls.push([name, ...args]);
      return answer;
    };
  const source: ClusterSource = {
    bootstrapServers: '127.0.0.1:9092',
    controllable: true,
    async cluster() {
      state.reads++;
      if (state.failure) throw new Error(state.failure);
      return snapshot(state.topics);
    },
    topicConfigs: record('topicConfigs', [
      { name: 'retention.ms', value: '1', isDefault: false, readOnly: false, sensitive: false },
    ]),
    createTopic: record('createTopic', undefined),
    deleteTopic: record('deleteTopic', undefined),
    addPartitions: record('addPartitions', undefined),
    async tape(topic, partition) {
      calls.push(['tape', topic, partition]);
      return { topic, partition, leader: 1, logStartOffset: 0, highWatermark: 3, groups: [], recent: [] };
    },
    browse: record('browse', { topic: 't', records: [], scanned: 0, cursor: null, partitions: [] }),
    produce: record('produce', { topic: 't', partition: 0, offset: 7 }),
    copy: record('copy', { copied: [] }),
    groups: record('groups', []),
    async group(groupId) {
      calls.push(['group', groupId]);
      if (groupId === 'missing') throw new ConsoleRequestError(404, "no group 'missing'");
      if (groupId === 'broken') throw new Error('the coordinator went away');
      throw new ConsoleRequestError(409, 'not in this stand-in');
    },
    resetOffsets: record('resetOffsets', { offsets: [] }),
    brokerAction: record('brokerAction', { nodeId: 2, action: 'stop', leaderChanges: [] }),
    close: record('close', undefined),
  };
  return { source, state };
}

/** A stand-in for the pipeline, recording calls like the cluster's. */
function pipelineStandIn(calls: Calls): PipelineSource {
  return {
    pipeline: () => ({
      at: 1,
      ingestUrl: null,
      nodes: [],
      edges: [],
      mappings: [],
      functions: [],
      dlq: null,
      recentOrders: [],
    }),
    async trace(orderId) {
      calls.push(['trace', orderId]);
      return { orderId, hops: [], totalMs: null };
    },
    async sendOrders(request) {
      calls.push(['sendOrders', request]);
      return { sent: [] };
    },
    slow(request) {
      calls.push(['slow', request]);
      return request;
    },
    async redrive(request) {
      calls.push(['redrive', request]);
      return { redriven: [] };
    },
    close: async () => undefined,
  };
}

const INFO: ConsoleInfo = {
  mode: 'broker',
  bootstrapServers: '127.0.0.1:9092',
  clusterId: 'stand-in',
  controllable: true,
};

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly json: Record<string, unknown>;
}

/** One request as node sends it (raw path, any Host): fetch would normalise the path and fix the Host. */
function send(
  running: RunningConsole,
  method: string,
  target: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: running.port, method, path: target, headers: options.headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // A page file, not JSON.
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A POST as the page sends it: the token, a JSON body. */
const post = (running: RunningConsole, target: string, body: unknown, headers: Record<string, string> = {}) =>
  send(running, 'POST', target, {
    headers: { 'content-type': 'application/json', 'x-kw-token': running.token, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

interface Stream {
  readonly events: { event: string; data: unknown }[];
  readonly ended: Promise<void>;
  close(): void;
}

/** Opens GET /api/live and collects its events as they come. */
function openStream(running: RunningConsole, query: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: running.port, path: `/api/live?${query}` }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`live answered ${res.statusCode}`));
      const events: Stream['events'] = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buffer += d;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) });
        }
      });
      const ended = new Promise<void>((done) => res.on('close', done));
      resolve({ events, ended, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

let pageDir: string;
let outside: string;

beforeAll(() => {
  outside = mkdtempSync(path.join(tmpdir(), 'kw-console-'));
  pageDir = path.join(outside, 'page');
  mkdirSync(pageDir);
  writeFileSync(
    path.join(pageDir, 'index.html'),
    '<!doctype html><meta name="kw-console-token" content="__KW_CONSOLE_TOKEN__"><script src="/static/app.js"></script>',
  );
  writeFileSync(path.join(pageDir, 'app.js'), 'console.log("page");');
  writeFileSync(path.join(pageDir, 'console.css'), 'body { margin: 0 }');
  writeFileSync(path.join(pageDir, 'notes.txt'), 'not a page file type');
  writeFileSync(path.join(outside, 'secret.js'), 'SECRET');
});
afterAll(() => rmSync(outside, { recursive: true, force: true }));

describe('the console server (kw broker: no pipeline)', () => {
  const calls: Calls = [];
  const cluster = clusterStandIn(calls);
  let running: RunningConsole;

  beforeAll(async () => {
    running = await startConsole({
      host: '127.0.0.1',
      port: 0,
      cluster: cluster.source,
      info: INFO,
      pageDir,
    });
  });
  afterAll(() => running.close());
  beforeEach(() => (calls.length = 0));

  test('GET routes answer what the cluster gives, with path parts decoded and the query read', async () => {
    expect((await send(running, 'GET', '/api/info')).json).toEqual(INFO);
    expect((await send(running, 'GET', '/api/cluster')).json).toMatchObject({ clusterId: 'stand-in' });
    expect((await send(running, 'GET', '/api/topics/orders.enriched/configs')).status).toBe(200);
    expect((await send(running, 'GET', '/api/topics/orders/partitions/2/tape')).json).toMatchObject({
      partition: 2,
      highWatermark: 3,
    });
    const browse = await send(
      running,
      'GET',
      '/api/topics/orders/messages?partition=1&from=offset&offset=5&limit=10&search=tea%20bag',
    );
    expect(browse.status).toBe(200);
    expect((await send(running, 'GET', '/api/topics/orders/messages')).status).toBe(200);
    expect((await send(running, 'GET', '/api/groups')).json).toEqual([]);
    expect(calls).toEqual([
      ['topicConfigs', 'orders.enriched'],
      ['tape', 'orders', 2],
      ['browse', 'orders', { partition: 1, from: 'offset', offset: 5, limit: 10, search: 'tea bag' }],
      ['browse', 'orders', {}],
      ['groups'],
    ]);
  });

  test('POST routes call the cluster with the checked body and answer as api.ts says', async () => {
    expect(
      (
        await post(running, '/api/topics', {
          name: 'audit',
          partitions: 3,
          configs: { 'retention.ms': '60000' },
        })
      ).json,
    ).toEqual({
      name: 'audit',
    });
    expect((await post(running, '/api/topics/audit/delete', {})).json).toEqual({ deleted: 'audit' });
    expect((await post(running, '/api/topics/orders/partitions', { count: 6 })).json).toEqual({
      partitions: 6,
    });
    expect(
      (
        await post(running, '/api/topics/orders/messages', {
          key: 'k',
          value: null,
          headers: [{ key: 'h', value: 'v' }],
        })
      ).json,
    ).toEqual({ topic: 't', partition: 0, offset: 7 });
    await post(running, '/api/topics/orders.dlq/copy', {
      to: 'orders',
      records: [{ partition: 0, offset: 4 }],
    });
    await post(running, '/api/groups/my%20group/reset-offsets', { topic: 'orders', to: 'offset', offset: 2 });
    expect((await post(running, '/api/brokers/2/stop', {})).json).toMatchObject({
      nodeId: 2,
      action: 'stop',
    });
    expect(calls).toEqual([
      ['createTopic', { name: 'audit', partitions: 3, configs: { 'retention.ms': '60000' } }],
      ['deleteTopic', 'audit'],
      ['addPartitions', 'orders', 6],
      ['produce', 'orders', { key: 'k', value: null, headers: [{ key: 'h', value: 'v' }] }],
      ['copy', 'orders.dlq', { to: 'orders', records: [{ partition: 0, offset: 4 }] }],
      ['resetOffsets', 'my group', { topic: 'orders', to: 'offset', offset: 2 }],
      ['brokerAction', 2, 'stop'],
    ]);
  });

  test("a source's ConsoleRequestError answers with its status; any other failure is a 500 with its message", async () => {
    expect(await send(running, 'GET', '/api/groups/missing')).toMatchObject({
      status: 404,
      json: { error: "no group 'missing'" },
    });
    expect(await send(running, 'GET', '/api/groups/broken')).toMatchObject({
      status: 500,
      json: { error: 'the coordinator went away' },
    });
  });

  test('pipeline routes and the pipeline view answer 404 under kw broker', async () => {
    for (const answer of [
      await send(running, 'GET', '/api/pipeline'),
      await post(running, '/api/pipeline/orders', { count: 1 }),
      await send(running, 'GET', '/api/live?view=pipeline'),
    ]) {
      expect(answer).toMatchObject({
        status: 404,
        json: { error: 'no pipeline: this console runs under kw broker' },
      });
    }
  });

  test.each([
    [
      'GET',
      '/api/topics/orders/messages?from=sideways',
      /'from' must be one of end, beginning, offset, timestamp, got 'sideways'/,
      undefined,
    ],
    [
      'GET',
      '/api/topics/orders/messages?limit=501',
      /'limit' must be an integer from 1 to 500, got '501'/,
      undefined,
    ],
    ['GET', '/api/topics/orders/messages?from=offset', /needs 'offset' with from=offset/, undefined],
    [
      'GET',
      '/api/topics/orders/messages?partiton=1',
      /has 'partiton': this route takes only 'partition'/,
      undefined,
    ],
    [
      'GET',
      '/api/topics/orders/partitions/x/tape',
      /the partition must be a whole number, got 'x'/,
      undefined,
    ],
    ['GET', '/api/cluster?refresh=1', /has 'refresh': this route takes no parameters/, undefined],
    ['GET', '/api/live?view=galaxy', /no view 'galaxy'/, undefined],
    ['GET', '/api/live', /name the views to watch/, undefined],
    ['POST', '/api/topics', /needs 'partitions'/, { name: 'x' }],
    [
      'POST',
      '/api/topics',
      /'partitions' must be an integer from 1 to 100000, got '3'/,
      { name: 'x', partitions: '3' },
    ],
    ['POST', '/api/topics', /the body is not JSON/, '{"name": '],
    ['POST', '/api/topics', /the body must be a JSON object, got \[\]/, []],
    ['POST', '/api/topics/orders/messages', /needs 'value'/, { key: 'k' }],
    [
      'POST',
      '/api/topics/orders/messages',
      /'headers\[0\]' must be \{key, value\}/,
      { value: 'v', headers: [{ key: 1 }] },
    ],
    ['POST', '/api/topics/orders/copy', /names no record to copy/, { to: 'x', records: [] }],
    [
      'POST',
      '/api/groups/g/reset-offsets',
      /'to' must be one of earliest, latest, offset, timestamp/,
      { topic: 't', to: 'now' },
    ],
    ['POST', '/api/brokers/two/stop', /the broker id must be a whole number/, {}],
    ['POST', '/api/topics/orders/delete', /has 'force': this route takes no fields/, { force: true }],
  ])('%s %s is a 400: %s', async (method, target, message, body: unknown) => {
    const answer = method === 'GET' ? await send(running, method, target) : await post(running, target, body);
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatch(message);
    expect(calls).toEqual([]);
  });

  test('unknown paths are 404 and wrong methods 405 with Allow', async () => {
    expect((await send(running, 'GET', '/api/nothing')).status).toBe(404);
    const wrong = await post(running, '/api/cluster', {});
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET, HEAD');
    expect((await send(running, 'GET', '/api/topics/orders/delete')).headers.allow).toBe('POST');
  });

  test("a Host other than the console's own is refused with 421, the page included; localhost passes", async () => {
    for (const target of ['/', '/api/cluster']) {
      const answer = await send(running, 'GET', target, {
        headers: { host: `rebound.example:${running.port}` },
      });
      expect(answer.status).toBe(421);
      expect(answer.text).not.toContain(running.token);
    }
    expect(
      (await send(running, 'GET', '/api/cluster', { headers: { host: `localhost:${running.port}` } })).status,
    ).toBe(200);
    expect(
      (await send(running, 'GET', '/api/cluster', { headers: { host: `127.0.0.1:${running.port + 1}` } }))
        .status,
    ).toBe(421);
  });

  test('a POST without the token, or with a wrong one, is 403 and changes nothing', async () => {
    const without = await send(running, 'POST', '/api/topics/orders/delete', {
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(without.status).toBe(403);
    expect(without.json.error).toMatch(/X-KW-Token/);
    const wrong = await post(
      running,
      '/api/topics/orders/delete',
      {},
      { 'x-kw-token': `${running.token.slice(1)}x` },
    );
    expect(wrong.status).toBe(403);
    expect(wrong.json.error).toMatch(/wrong X-KW-Token/);
    expect(calls).toEqual([]);
  });

  test("an Origin other than the console's is 403 even with the token; its own passes", async () => {
    const foreign = await post(running, '/api/topics/orders/delete', {}, { origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect((await send(running, 'GET', '/api/cluster', { headers: { origin: 'null' } })).status).toBe(403);
    const own = await post(
      running,
      '/api/topics/orders/delete',
      {},
      { origin: `http://127.0.0.1:${running.port}` },
    );
    expect(own.status).toBe(200);
    expect(calls).toEqual([['deleteTopic', 'orders']]);
  });

  test('a POST that is not JSON is 415; a body over 1 MiB is 413', async () => {
    const form = await post(running, '/api/topics/orders/delete', 'a=1', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    const large = await post(running, '/api/topics/orders/messages', { value: 'x'.repeat(1024 * 1024) });
    expect(large.status).toBe(413);
    expect(calls).toEqual([]);
  });

  test('/ is index.html with the run token written in, with the security headers', async () => {
    const page = await send(running, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).toContain(`<meta name="kw-console-token" content="${running.token}">`);
    expect(page.text).not.toContain('__KW_CONSOLE_TOKEN__');
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    );
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cache-control']).toBe('no-store');
    const api = await send(running, 'GET', '/api/cluster');
    expect(api.headers['cache-control']).toBe('no-store');
    expect(api.headers['content-security-policy']).toBeDefined();
  });

  test('/static/<file> answers page files with their content type; paths out of the folder are refused', async () => {
    expect(await send(running, 'GET', '/static/app.js')).toMatchObject({
      status: 200,
      text: 'console.log("page");',
      headers: { 'content-type': 'text/javascript; charset=utf-8' },
    });
    expect((await send(running, 'GET', '/static/console.css')).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
    for (const target of [
      '/static/../secret.js',
      '/static/..%2fsecret.js',
      '/static/%2e%2e%2fsecret.js',
      '/static/%2e%2e/secret.js',
      '/static/..%5csecret.js',
      '/static/',
      '/static/notes.txt',
      '/static/missing.js',
      '/secret.js',
    ]) {
      const answer = await send(running, 'GET', target);
      expect([target, answer.status]).toEqual([target, 404]);
      expect(answer.text).not.toContain('SECRET');
    }
  });

  test('a busy port is a ConsolePortInUseError naming the flag to change', async () => {
    await expect(
      startConsole({ host: '127.0.0.1', port: running.port, cluster: cluster.source, info: INFO, pageDir }),
    ).rejects.toThrow(ConsolePortInUseError);
    await expect(
      startConsole({ host: '127.0.0.1', port: running.port, cluster: cluster.source, info: INFO, pageDir }),
    ).rejects.toThrow(/already in use: .*--console-port/);
  });
});

describe('the console server under kw up (a pipeline)', () => {
  const calls: Calls = [];
  let running: RunningConsole;

  beforeAll(async () => {
    running = await startConsole({
      host: '127.0.0.1',
      port: 0,
      cluster: clusterStandIn(calls).source,
      pipeline: pipelineStandIn(calls),
      info: { ...INFO, mode: 'pipeline' },
      pageDir,
    });
  });
  afterAll(() => running.close());

  test('the pipeline routes call the pipeline with the checked body', async () => {
    expect((await send(running, 'GET', '/api/pipeline')).json).toMatchObject({ dlq: null });
    expect((await send(running, 'GET', '/api/pipeline/trace/o-1')).json).toMatchObject({ orderId: 'o-1' });
    await post(running, '/api/pipeline/orders', { count: 5, poison: true });
    expect((await post(running, '/api/pipeline/slow', { function: 'enrich', delayMs: 500 })).json).toEqual({
      function: 'enrich',
      delayMs: 500,
    });
    await post(running, '/api/pipeline/dlq/redrive', { partition: 1, offset: 3 });
    await post(running, '/api/pipeline/dlq/redrive', {});
    const half = await post(running, '/api/pipeline/dlq/redrive', { partition: 1 });
    expect(half.status).toBe(400);
    expect((await post(running, '/api/pipeline/orders', { count: 1001 })).status).toBe(400);
    expect(calls).toEqual([
      ['trace', 'o-1'],
      ['sendOrders', { count: 5, poison: true }],
      ['slow', { function: 'enrich', delayMs: 500 }],
      ['redrive', { partition: 1, offset: 3 }],
      ['redrive', {}],
    ]);
  });
});

describe('the live stream', () => {
  const calls: Calls = [];
  const cluster = clusterStandIn(calls);
  let running: RunningConsole;

  beforeAll(async () => {
    running = await startConsole({
      host: '127.0.0.1',
      port: 0,
      cluster: cluster.source,
      info: INFO,
      pageDir,
    });
  });
  afterAll(() => running.close());

  test('sends each view on connect, not again while unchanged, then each change, and failures as error events', async () => {
    const stream = await openStream(running, 'view=cluster&view=tape:orders:1');
    await until(() => stream.events.length >= 2, 'the first events');
    expect(stream.events.map((e) => e.event).sort()).toEqual(['cluster', 'tape:orders:1']);
    expect(stream.events.find((e) => e.event === 'cluster')!.data).toMatchObject({
      topics: [{ name: 'orders' }],
    });

    // Read again twice (`at` differs each time): nothing new is sent.
    const reads = cluster.state.reads;
    await until(() => cluster.state.reads >= reads + 2, 'two more reads of the cluster');
    expect(stream.events.length).toBe(2);

    cluster.state.topics = ['orders', 'audit'];
    await until(() => stream.events.length >= 3, 'the changed cluster');
    expect(stream.events[2]).toMatchObject({
      event: 'cluster',
      data: { topics: [{ name: 'orders' }, { name: 'audit' }] },
    });

    cluster.state.failure = 'the cluster is unreachable';
    await until(() => stream.events.length >= 4, 'the error event');
    expect(stream.events[3]).toEqual({
      event: 'error',
      data: { view: 'cluster', error: 'the cluster is unreachable' },
    });

    cluster.state.failure = undefined;
    await until(() => stream.events.length >= 5, 'the view after the failure');
    expect(stream.events[4].event).toBe('cluster');

    // A second page watching the same view is sent the current state at once, from the same reads.
    const second = await openStream(running, 'view=cluster');
    await until(() => second.events.length >= 1, "the second page's first event");
    expect(second.events[0]).toMatchObject({
      event: 'cluster',
      data: { topics: [{ name: 'orders' }, { name: 'audit' }] },
    });
    stream.close();
    second.close();
    await Promise.all([stream.ended, second.ended]);
  });

  test('once every page has gone the view is no longer read', async () => {
    const stream = await openStream(running, 'view=cluster');
    await until(() => stream.events.length >= 1, 'the first event');
    stream.close();
    await stream.ended;
    const reads = cluster.state.reads;
    // The reader that noticed the page leave may finish one read already begun.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(cluster.state.reads - reads).toBeLessThanOrEqual(1);
  });

  test('close() ends the open streams', async () => {
    const stream = await openStream(running, 'view=groups');
    await until(() => stream.events.length >= 1, 'the first event');
    await running.close();
    await stream.ended;
  });
});

test('every stream gets a ping comment on the ping interval', async () => {
  const comments: string[] = [];
  const hub = new LiveHub(async () => ({ same: true }), { pingMs: 50 });
  hub.watch(['cluster'], { send: () => undefined, comment: (c) => comments.push(c), end: () => undefined });
  await until(() => comments.length >= 2, 'two pings');
  hub.close();
  expect(comments.slice(0, 2)).toEqual(['ping', 'ping']);
});
