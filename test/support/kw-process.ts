/** Running the `kw` command as a separate process, as a user would. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { callerKeys, postToUrl, type UrlAnswer } from './function-url';
import { scanAll } from './local-dynamodb';

/** The `kw` entry point (what `npx kw` runs). */
export const KW = path.join(__dirname, '..', '..', 'cli', 'kw.js');

export interface KwRun {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Runs `kw ARGS` to the end with `input` on stdin (and `env` instead of this process's). */
export function runKw(
  args: string[],
  input = '',
  timeoutMs = 20_000,
  env?: NodeJS.ProcessEnv,
): Promise<KwRun> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [KW, ...args], { timeout: timeoutMs, ...(env && { env }) });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.stdin!.end(input);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

export interface KwProcess {
  readonly child: ChildProcess;
  /** What `ready` matched. */
  readonly ready: RegExpExecArray;
  /** Everything printed so far, stdout and stderr together. */
  output(): string;
  /** Sends `signal` (SIGTERM unless given) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts a long-running `kw` command and resolves once its output matches `ready`. Rejects if it exits
 * first or takes longer than `timeoutMs`. A test that fails before stop() does not leave it running.
 */
export function startKw(
  args: string[],
  ready: RegExp,
  options: { readonly env?: NodeJS.ProcessEnv; readonly timeoutMs?: number } = {},
): Promise<KwProcess> {
  const child = spawn(process.execPath, [KW, ...args], {
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      process.off('exit', reap);
      resolve(code);
    }),
  );
  let output = '';
  const name = `kw ${args[0]}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} was not ready within ${options.timeoutMs ?? 60_000} ms:\n${output}`));
    }, options.timeoutMs ?? 60_000);
    let started = false;
    void exited.then((code) => {
      clearTimeout(timer);
      if (!started) reject(new Error(`${name} exited with ${code} before it was ready:\n${output}`));
    });
    const onData = (d: Buffer) => {
      output += d.toString();
      const match = started ? null : ready.exec(output);
      if (!match) return;
      started = true;
      clearTimeout(timer);
      resolve({
        child,
        ready: match,
        output: () => output,
        stop(signal = 'SIGTERM') {
          child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  });
}

/** A `kw broker` on a free port. */
export interface CliBroker {
  readonly bootstrap: string;
  readonly process: ChildProcess;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `kw broker --port 0 ARGS` and waits for its "listening on" line. Its console takes a free
 * port too, so files running at once do not contend for the default one.
 */
export async function startCliBroker(args: string[]): Promise<CliBroker> {
  const broker = await startKw(
    ['broker', '--port', '0', '--console-port', '0', ...args],
    /listening on (\S+:\d+)/,
    {
      timeoutMs: 15_000,
    },
  );
  return { bootstrap: broker.ready[1], process: broker.child, stop: () => broker.stop() };
}

/**
 * Starts `kw broker --port 0 ARGS` before the calling file's tests and stops it after them. Its
 * `bootstrap` can be read once the tests run.
 */
export function cliBrokerForTests(args: string[]): { readonly bootstrap: string } {
  let broker: CliBroker | undefined;
  beforeAll(async () => {
    broker = await startCliBroker(args);
  });
  afterAll(() => broker?.stop());
  return {
    get bootstrap() {
      if (!broker) throw new Error('kw broker did not start (see beforeAll)');
      return broker.bootstrap;
    },
  };
}

/** The local endpoints in the ready block `kw up` (`npm start`) prints; empty before it has printed one. */
export function readyEndpoints(output: string): {
  ingestUrl?: string;
  bootstrap?: string;
  dynamodb?: string;
  table?: string;
  credentials?: string;
} {
  if (!output.includes('Ready in')) return {};
  const ready = output.slice(output.indexOf('Ready in'));
  const field = (label: string) => new RegExp(`^\\s+${label}\\s+(\\S+)`, 'm').exec(ready)?.[1];
  return {
    ingestUrl: field('ingest URL'),
    bootstrap: field('Kafka bootstrap'),
    dynamodb: field('DynamoDB'),
    table: field('table'),
    credentials: field('credentials'),
  };
}

/** A running `kw up` (`npm start`) and the endpoints its ready block printed. */
export interface KwUp {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly ingestUrl: string;
  readonly dynamodb: string;
  readonly table: string;
  /** The Kafka bootstrap list as printed (comma-separated). */
  readonly bootstrap: string;
  /** The credentials file the ready block names; undefined when IAM is not enforced. */
  readonly credentialsFile: string | undefined;
  /** The run file it writes (a temporary one of its own, so runs at once do not share one). */
  readonly runFile: string;
  /** Posts `body` to the ingest URL, signed as the caller when IAM is enforced. */
  post(body: unknown): Promise<UrlAnswer>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Every item of the (first) table, read with the AWS SDK at the printed DynamoDB endpoint. */
  scanTable(): Promise<Record<string, unknown>[]>;
  /** True once every group has committed up to the end of every partition it reads (kafkajs admin). */
  caughtUp(groups: readonly string[]): Promise<true | undefined>;
}

/**
 * Starts `kw up ARGS` with free ports for the Function URL, DynamoDB and the console (and the
 * embedded broker, unless ARGS say --bootstrap) and resolves once it printed its ready block.
 */
export async function startKwUp(
  args: readonly string[],
  options: { readonly env?: NodeJS.ProcessEnv; readonly timeoutMs?: number } = {},
): Promise<KwUp> {
  const broker = args.includes('--bootstrap') ? [] : ['--broker-port', '0'];
  const runFile = path.join(mkdtempSync(path.join(tmpdir(), 'kw-run-')), 'run.json');
  const started = await startKw(
    ['up', '--port', '0', ...broker, '--dynamodb-port', '0', '--console-port', '0', ...args],
    /Ctrl-C stops everything/,
    {
      env: { ...(options.env ?? { ...process.env, CI: 'true' }), KW_RUN_FILE: runFile },
      timeoutMs: options.timeoutMs ?? 180_000,
    },
  );
  const endpoints = readyEndpoints(started.output());
  const keys = callerKeys(endpoints.credentials);
  const bootstrap = endpoints.bootstrap ?? '';
  const dynamodb = endpoints.dynamodb ?? '';
  const table = endpoints.table ?? '';
  return {
    child: started.child,
    output: started.output,
    ingestUrl: endpoints.ingestUrl ?? '',
    dynamodb,
    table,
    bootstrap,
    credentialsFile: endpoints.credentials,
    runFile,
    post: (body) => postToUrl(endpoints.ingestUrl ?? '', body, keys),
    stop: (signal) => started.stop(signal),
    async scanTable() {
      const client = DynamoDBDocumentClient.from(
        new DynamoDBClient({
          endpoint: dynamodb,
          region: 'us-east-1',
          credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        }),
      );
      try {
        return await scanAll(client, table);
      } finally {
        client.destroy();
      }
    },
    async caughtUp(groups) {
      const admin = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        for (const groupId of groups) {
          for (const { topic, partitions } of await admin.fetchOffsets({ groupId })) {
            for (const end of await admin.fetchTopicOffsets(topic)) {
              const committed = partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
              if (Number(committed) < Number(end.high)) return undefined;
            }
          }
        }
        return true;
      } finally {
        await admin.disconnect();
      }
    },
  };
}
