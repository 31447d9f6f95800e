/**
 * `kw load` (`npm run load`): posts generated orders to the ingest URL at a steady rate, with a
 * progress bar, and prints what happened: sent, accepted, rejected, failed and latency percentiles.
 */
import { Agent, request } from 'node:http';
import {
  FlagValueError,
  integerFlag,
  numberFlag,
  parseCommandArgs,
  usageError,
  wholeNumberFlag,
} from './arguments';
import type { Command } from './command';
import { readRunFile, runFilePath } from './run-file';
import { functionUrlSigner, readProfileKeys, type UrlSigner } from '../local/runtime/iam/url-signing';
import { LOCAL_REGION } from '../local/runtime/assembly';

const HELP = `Usage: kw load [--url URL] [--count 1000] [--rate 200] [--concurrency 32]
               [--customers 50] [--invalid 0] [--credentials FILE [--profile caller]]

Sends orders to the ingest URL that 'npm start' prints, as fast as --rate allows with at most
--concurrency requests open, and reports sent / accepted (202) / rejected (4xx) / failed and the
latency of each request (p50, p95, p99, max). While 'kw up' runs, its ingest URL and, with IAM
enforced, its caller profile are found by themselves (${'$'}KW_RUN_FILE, else .kw/run.json).

Options:
  --url URL          the ingest URL   [default: the running kw up's, else http://127.0.0.1:3000/]
  --count N          orders to send                               [default: 1000]
  --rate R           orders per second; 0 sends as fast as possible [default: 200]
  --concurrency C    requests open at once                        [default: 32]
  --customers K      distinct customerIds (the Kafka key)         [default: 50]
  --invalid F        fraction of orders sent invalid, to see 400s  [default: 0]
  --credentials FILE sign each request (SigV4, service lambda), as a Function URL with AWS_IAM
                     auth wants, with a profile of FILE  [default: the running kw up's
                     credentials file, for its own URLs]
  --profile NAME     the profile in --credentials    [default: the running kw up's caller, else caller]

Examples:
  npm run load
  npm run load -- --count 20000 --rate 0
  npx kw load --url http://127.0.0.1:3100/ --invalid 0.1
  npm run load -- --credentials /tmp/kw-up-x/aws/credentials --profile ingest`;

const DEFAULT_URL = 'http://127.0.0.1:3000/';

const SKUS = ['tea', 'coffee', 'cocoa', 'mug', 'kettle', 'beans', 'filter'];

/** A random but valid order; `invalid` makes one the ingest function must refuse. */
function generateOrder(n: number, customers: number, invalid: boolean): unknown {
  const items = Array.from({ length: 1 + (n % 3) }, (_, i) => ({
    sku: SKUS[(n + i) % SKUS.length],
    quantity: 1 + ((n * 7 + i) % 5),
    unitPrice: Math.round((1 + ((n * 13 + i) % 40)) * 25) / 100,
  }));
  if (invalid)
    return { customerId: `c-${n % customers}`, items: [{ sku: 'tea', quantity: 0, unitPrice: 1 }] };
  return { customerId: `c-${n % customers}`, items };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function bar(done: number, total: number, width = 30): string {
  const filled = Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

export const loadCommand: Command = {
  help: HELP,
  async run(args, io) {
    const usage = usageError('load', io);
    const parsed = parseCommandArgs(
      {
        args,
        options: {
          url: { type: 'string' },
          count: { type: 'string', default: '1000' },
          rate: { type: 'string', default: '200' },
          concurrency: { type: 'string', default: '32' },
          customers: { type: 'string', default: '50' },
          invalid: { type: 'string', default: '0' },
          credentials: { type: 'string' },
          profile: { type: 'string' },
        },
        strict: true,
      },
      usage,
    );
    if (parsed === 2) return 2;
    const run = readRunFile();
    const runUrls = new Set(run?.urls.map((u) => u.url));
    const given = parsed.values;
    const values = {
      ...given,
      url: given.url ?? run?.urls[0]?.url ?? DEFAULT_URL,
      // The running kw up's keys sign requests to its own URLs only, never a URL someone else serves.
      credentials:
        given.credentials ??
        (given.url === undefined || runUrls.has(given.url) ? run?.iam?.credentialsFile : undefined),
      profile: given.profile ?? (given.credentials === undefined ? run?.iam?.callerProfile : undefined),
    };
    if (!URL.canParse(values.url)) return usage(`Invalid URL: ${values.url}`);
    let count: number;
    let rate: number;
    let concurrency: number;
    let customers: number;
    let invalidShare: number;
    try {
      count = wholeNumberFlag('--count', values.count, 1);
      rate = numberFlag('--rate', values.rate, 0);
      concurrency = integerFlag('--concurrency', values.concurrency, 1, 1024);
      customers = wholeNumberFlag('--customers', values.customers, 1);
      invalidShare = numberFlag('--invalid', values.invalid, 0, 1);
    } catch (error) {
      if (!(error instanceof FlagValueError)) throw error;
      // kw load words it its own way, quoting the value as read as a number ('NaN' for 'abc').
      io.err(
        `kw load: ${error.flag} has an invalid value '${String(Number(error.value))}'. Run 'kw load --help'.`,
      );
      return 2;
    }

    const url = new URL(values.url);
    if (url.protocol !== 'http:') {
      io.err(`kw load: only http:// URLs (the local runtime's), got ${values.url}`);
      return 2;
    }
    if (given.profile !== undefined && values.credentials === undefined)
      return usage('--profile names a profile of --credentials: give the credentials file too');
    let sign: UrlSigner | undefined;
    if (values.credentials !== undefined) {
      try {
        sign = functionUrlSigner(
          readProfileKeys(values.credentials, values.profile ?? 'caller'),
          LOCAL_REGION,
        );
      } catch (error) {
        io.err(`kw load: ${(error as Error).message}`);
        return 1;
      }
    }
    // node:http with keep-alive costs less CPU per request than fetch, which matters when the
    // load generator shares a small machine with the pipeline it measures.
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    const contentType = { 'content-type': 'application/json' };
    const post = async (body: string) => {
      const headers = sign ? await sign('POST', url, contentType, body) : contentType;
      return new Promise<number>((resolve, reject) => {
        const req = request(url, { method: 'POST', agent, headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });
    };
    // Fail fast, with a hint, when nothing listens.
    try {
      if ((await post('{}')) === 403) {
        agent.destroy();
        io.err(
          sign
            ? `kw load: ${values.url} refused the signed request (403): see kw up's log for why`
            : `kw load: ${values.url} answers 403: its AuthType is AWS_IAM; pass --credentials with the file 'kw up' printed (no running kw up was found at ${runFilePath()})`,
        );
        return 1;
      }
    } catch (error) {
      agent.destroy();
      const cause = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      io.err(`kw load: cannot reach ${values.url} (${cause}). Start the pipeline with 'npm start' first.`);
      return 1;
    }

    const latencies: number[] = [];
    const counts = { accepted: 0, rejected: 0, failed: 0 };
    const failures = new Map<string, number>();
    let sent = 0;
    let done = 0;
    const started = performance.now();
    let lastReport = 0;
    const report = () => {
      if (io.tty) io.status?.(`${bar(done, count)}  ${counts.rejected} rejected, ${counts.failed} failed`);
      else if (done === count || done - lastReport >= Math.max(1, Math.floor(count / 10))) {
        io.out(`${bar(done, count)}`);
        lastReport = done;
      }
    };
    const sendOne = async (n: number, t0: number) => {
      const invalid = invalidShare > 0 && (n * 0.618034) % 1 < invalidShare;
      try {
        const status = await post(JSON.stringify(generateOrder(n, customers, invalid)));
        latencies.push(performance.now() - t0);
        if (status === 202) counts.accepted++;
        else if (status >= 400 && status < 500) counts.rejected++;
        else {
          counts.failed++;
          failures.set(`HTTP ${status}`, (failures.get(`HTTP ${status}`) ?? 0) + 1);
        }
      } catch (error) {
        counts.failed++;
        const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        failures.set(why, (failures.get(why) ?? 0) + 1);
      }
      done++;
      report();
    };
    const workers = Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (sent < count) {
        const n = sent++;
        // At a fixed rate, latency counts from when the order was due, so a backlog shows in it.
        let due = performance.now();
        if (rate > 0) {
          due = started + (n / rate) * 1000;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        await sendOne(n, Math.min(due, performance.now()));
      }
    });
    await Promise.all(workers);
    agent.destroy();
    const seconds = (performance.now() - started) / 1000;
    if (io.tty) io.status?.('');
    latencies.sort((a, b) => a - b);
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    io.out(
      `sent ${count} in ${seconds.toFixed(1)} s (${(count / seconds).toFixed(0)}/s): ` +
        `${counts.accepted} accepted, ${counts.rejected} rejected, ${counts.failed} failed`,
    );
    io.out(
      `latency p50 ${ms(percentile(latencies, 50))}, p95 ${ms(percentile(latencies, 95))}, ` +
        `p99 ${ms(percentile(latencies, 99))}, max ${ms(latencies[latencies.length - 1] ?? 0)}`,
    );
    for (const [why, n] of failures) io.err(`  ${n} failed: ${why}`);
    return counts.failed > 0 ? 1 : 0;
  },
};
