/**
 * Cold-start benchmark: what each function of the pipeline app costs before it can answer.
 *
 * The bundles are the ones `npm start` runs: those of the project's cdk.out, synthesized first when it
 * is not current, as `kw up` does (lib/lambda/bundled-function.ts decides the esbuild options); each
 * function's asset is read from its stack's template, with the Node major the template declares
 * (node-binaries.ts finds it).
 * Per function:
 * - bundle size;
 * - load time: a fresh process that requires the bundle, minus a bare `node -e 0` start measured in
 *   the same rounds, with and without `--enable-source-maps` (which the template sets in NODE_OPTIONS);
 * - the first stack trace with `--enable-source-maps`: source maps cost little at load, but the first
 *   error whose stack is formatted (logged, or reported by the runtime) makes Node parse the whole map;
 *   measured on the error the handler throws when called without an event;
 * - first invocation: a fresh process requires the bundle and calls its handler once with a valid
 *   event against an embedded broker in this process (and, for the ledger, a dynalite table); the
 *   handler's time is measured inside that process, as Lambda's Duration would be.
 *
 * The invocations use `KAFKA_AUTH=none` and bootstrap servers, as `kw up` does; the deployed template
 * sets `KAFKA_AUTH=iam` and `KAFKA_CLUSTER_ARN`, so on AWS a first connection also loads the MSK
 * client and the IAM signer (see functions/commons/kafka-client.ts) and makes their network calls.
 *
 * Figures are medians; machines here are noisy, so compare figures of one run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { enrichOrder } from '../functions/enrich/enrich-order';
import { synthesizeIfStale } from '../cli/synth';
import { startBroker, type RunningBroker } from '../local/broker/broker';
import { loadAssembly } from '../local/runtime/assembly';
import { findNodeFor } from '../local/runtime/lambda/node-binaries';
import { functionUrlEvent, mskEvent } from '../test/support/events';
import { startLocalDynamoDB, type LocalDynamoDB } from '../test/support/local-dynamodb';
import { median, type Figure } from './broker.bench';

const PROJECT_ROOT = path.join(__dirname, '..');

export interface ColdStartOptions {
  /** Fresh processes per function and setting; the baseline runs as often. @default 9 */
  readonly rounds?: number;
}

/** One function of the synthesized app, as the runtime's assembly loader reads it. */
export interface SynthesizedFunction {
  /** Its handler folder under functions/ (the template's POWERTOOLS_SERVICE_NAME). */
  readonly name: string;
  /** The Lambda runtime the template declares, e.g. nodejs24.x. */
  readonly runtime: string;
  /** The bundle file `Handler` names in the asset directory. */
  readonly bundle: string;
  readonly handlerExport: string;
  /** The template's environment variables, intrinsics resolved as `kw up` resolves them. */
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * The functions of ours (those with a POWERTOOLS_SERVICE_NAME) in the cloud assembly at `assemblyDir`,
 * synthesized first (the default configuration, with bundling) when it is not current, under the lock
 * `kw up` takes, so a run beside `kw up` or other benches waits for one synthesis rather than racing it.
 */
export async function pipelineFunctions(
  assemblyDir: string,
  log: (line: string) => void,
): Promise<SynthesizedFunction[]> {
  await synthesizeIfStale(assemblyDir, {}, (stale) =>
    log(`  synthesizing ${path.relative(PROJECT_ROOT, assemblyDir)} (${stale}) ...`),
  );
  return loadAssembly(assemblyDir).functions.flatMap((spec) => {
    const name = spec.environment.POWERTOOLS_SERVICE_NAME;
    if (!name) return [];
    const dot = spec.handler.lastIndexOf('.');
    return [
      {
        name,
        runtime: spec.runtime,
        bundle: path.join(spec.codeDir, `${spec.handler.slice(0, dot)}.js`),
        handlerExport: spec.handler.slice(dot + 1),
        environment: spec.environment,
      },
    ];
  });
}

/** Wall time of one fresh process, in ms. */
function processMs(node: string, args: readonly string[], env: NodeJS.ProcessEnv): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(node, args, { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) {
    throw new Error(`${node} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr}`);
  }
  return ms;
}

/**
 * What a Lambda environment gives the function: Lambda's own variables, the template's (NODE_OPTIONS
 * left out: flags are passed per run), and `local` for the broker, table and endpoints of this run.
 */
function functionEnvironment(fn: SynthesizedFunction, local: Record<string, string>): NodeJS.ProcessEnv {
  const fromTemplate = Object.fromEntries(
    Object.entries(fn.environment).filter(([name]) => name !== 'NODE_OPTIONS'),
  );
  return {
    PATH: process.env.PATH,
    AWS_LAMBDA_FUNCTION_NAME: `bench-${fn.name}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    TZ: ':UTC',
    ...fromTemplate,
    ...local,
  };
}

/**
 * Run by the node under test with --enable-source-maps: calls the handler without an event, which
 * throws in the bundle's code, and prints how long formatting that error's stack took.
 */
const FIRST_STACK = `
const [bundle, handlerExport] = process.argv.slice(1);
const handler = require(bundle)[handlerExport];
const context = { functionName: 'bench', awsRequestId: 'bench-1', getRemainingTimeInMillis: () => 30000 };
Promise.resolve()
  .then(() => handler(null, context))
  .then(
    () => process.exit(2),
    (error) => {
      const started = performance.now();
      const stack = error.stack;
      const ms = performance.now() - started;
      process.stdout.write('\\nfirst-stack-ms ' + ms + ' ' + stack.split('\\n').length + '\\n');
      process.exit(0);
    },
  );
`;

/** Time the first stack trace of an error thrown in the bundle takes to format, in ms. */
function firstStackMs(node: string, fn: SynthesizedFunction, env: NodeJS.ProcessEnv): number {
  const result = spawnSync(node, ['--enable-source-maps', '-e', FIRST_STACK, fn.bundle, fn.handlerExport], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const line = /^first-stack-ms ([\d.]+) (\d+)$/m.exec(result.stdout ?? '');
  if (result.status !== 0 || !line) {
    throw new Error(
      `${fn.name}: calling the handler without an event did not throw a stack trace to format (exit ${result.status}): ${result.stderr}`,
    );
  }
  return Number(line[1]);
}

/**
 * Run by the node under test: reads the event, requires the bundle, calls its handler once, and
 * writes the times (measured in that process) and the handler's answer to a file.
 */
const INVOKE_ONCE = `
const fs = require('node:fs');
const { performance } = require('node:perf_hooks');
const [bundle, handlerExport, eventFile, resultFile] = process.argv.slice(1);
const event = JSON.parse(fs.readFileSync(eventFile, 'utf8'));
const started = performance.now();
const handler = require(bundle)[handlerExport];
const loaded = performance.now();
const context = {
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
  memoryLimitInMB: '512',
  awsRequestId: 'bench-1',
  logGroupName: '/aws/lambda/bench',
  logStreamName: 'bench',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30000,
};
Promise.resolve(handler(event, context)).then(
  (answer) => {
    const invoked = performance.now();
    fs.writeFileSync(resultFile, JSON.stringify({ loadMs: loaded - started, invokeMs: invoked - loaded, answer }));
    process.exit(0);
  },
  (error) => {
    fs.writeFileSync(resultFile, JSON.stringify({ error: String(error && error.stack || error) }));
    process.exit(1);
  },
);
`;

interface FirstInvocation {
  readonly loadMs: number;
  readonly invokeMs: number;
  readonly answer: unknown;
}

/** Starts a fresh process that loads the bundle and invokes its handler once with `event`. */
async function invokeOnce(
  node: string,
  fn: SynthesizedFunction,
  event: unknown,
  env: NodeJS.ProcessEnv,
  scratch: string,
): Promise<FirstInvocation> {
  const eventFile = path.join(scratch, `${fn.name}-event.json`);
  const resultFile = path.join(scratch, `${fn.name}-result.json`);
  writeFileSync(eventFile, JSON.stringify(event));
  rmSync(resultFile, { force: true });
  const child = spawn(
    node,
    ['--enable-source-maps', '-e', INVOKE_ONCE, fn.bundle, fn.handlerExport, eventFile, resultFile],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  let result: Partial<FirstInvocation> & { error?: string } = {};
  try {
    result = JSON.parse(readFileSync(resultFile, 'utf8')) as typeof result;
  } catch {
    // no result file: the process died before writing one; its stderr says why
  }
  if (code !== 0 || result.error !== undefined || result.invokeMs === undefined) {
    throw new Error(`${fn.name}: the first invocation failed (exit ${code}): ${result.error ?? stderr}`);
  }
  return result as FirstInvocation;
}

/** A server standing in for CloudFormation's response URL: it takes the custom resource's answer. */
async function responseCatcher(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/response` };
}

const ORDER = {
  orderId: 'order-1',
  customerId: 'customer-1',
  items: [{ sku: 'A-1', quantity: 2, unitPrice: 12.5 }],
  currency: 'USD',
  receivedAt: '2026-11-30T00:00:00.000Z',
};

/** A valid event for each function, and what its answer must look like to count as a success. */
function firstEvent(
  name: string,
  responseUrl: string,
): { event: unknown; succeeded: (answer: unknown) => boolean } | undefined {
  const noFailures = (answer: unknown) =>
    (answer as { batchItemFailures?: unknown[] }).batchItemFailures?.length === 0;
  switch (name) {
    case 'ingest':
      return {
        event: functionUrlEvent({ body: JSON.stringify({ customerId: 'customer-1', items: ORDER.items }) }),
        succeeded: (answer) => (answer as { statusCode?: number }).statusCode === 202,
      };
    case 'enrich':
      return {
        event: mskEvent([{ topic: 'orders', partition: 0, offset: 0, key: ORDER.customerId, value: ORDER }]),
        succeeded: noFailures,
      };
    case 'ledger': {
      const enriched = enrichOrder(ORDER, { topic: 'orders', partition: 0, offset: 0 });
      return {
        event: mskEvent([
          { topic: 'orders.enriched', partition: 0, offset: 0, key: ORDER.customerId, value: enriched },
        ]),
        succeeded: noFailures,
      };
    }
    case 'topic-admin':
      return {
        event: {
          RequestType: 'Create',
          ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:bench-topic-admin',
          ResponseURL: responseUrl,
          StackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/bench/1',
          RequestId: 'bench-request',
          LogicalResourceId: 'BenchTopic',
          ResourceType: 'Custom::KafkaTopic',
          ResourceProperties: {
            ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:bench-topic-admin',
            TopicName: 'bench.cold-start',
            Partitions: '3',
            ReplicationFactor: '1',
            Configs: {},
          },
        },
        // The custom resource reports through the response URL; the handler itself returns nothing.
        succeeded: (answer) => answer === undefined || answer === null,
      };
    default:
      return undefined;
  }
}

/** Measures every function of the synthesized pipeline app; see the file's header. */
export async function runColdStartBench(
  log: (line: string) => void,
  options: ColdStartOptions = {},
): Promise<Figure[]> {
  const rounds = options.rounds ?? 9;
  const scratch = mkdtempSync(path.join(tmpdir(), 'kw-cold-start-'));
  let broker: RunningBroker | undefined;
  let dynamodb: LocalDynamoDB | undefined;
  let catcher: { server: Server; url: string } | undefined;
  try {
    const functions = await pipelineFunctions(path.join(PROJECT_ROOT, 'cdk.out'), log);
    if (functions.length === 0) throw new Error('the synthesized app has no functions of ours');
    log(`  functions: ${functions.map((f) => f.name).join(', ')}`);

    broker = await startBroker({ port: 0, autoCreateTopics: false });
    for (const topic of ['orders', 'orders.enriched', 'orders.dlq']) broker.cluster.createTopic(topic, 3);
    dynamodb = await startLocalDynamoDB();
    const tableName = await dynamodb.createLedgerTable();
    catcher = await responseCatcher();
    const local = {
      KAFKA_AUTH: 'none',
      KAFKA_BOOTSTRAP_SERVERS: broker.bootstrapServers,
      KAFKA_CLUSTER_ARN: '',
      LEDGER_TABLE_NAME: tableName,
      DYNAMODB_ENDPOINT: dynamodb.endpoint,
    };

    const figures: Figure[] = [];
    for (const fn of functions) {
      const node = findNodeFor(fn.runtime);
      if (!node.matchesTemplate) log(`  ${fn.name}: not on the template's Node: ${node.note}`);
      const env = functionEnvironment(fn, local);
      const load = ['-e', `require(${JSON.stringify(fn.bundle)})`];
      const bare: number[] = [];
      const plain: number[] = [];
      const mapped: number[] = [];
      const stacks: number[] = [];
      // Interleaved, so a burst of load elsewhere on the machine falls on all three alike.
      for (let round = 0; round < rounds; round++) {
        bare.push(processMs(node.executable, ['-e', '0'], env));
        plain.push(processMs(node.executable, load, env));
        mapped.push(processMs(node.executable, ['--enable-source-maps', ...load], env));
        stacks.push(firstStackMs(node.executable, fn, env));
      }
      const bareMs = median(bare);
      const spec = firstEvent(fn.name, catcher.url);
      let first: FirstInvocation | undefined;
      if (spec) {
        first = await invokeOnce(node.executable, fn, spec.event, env, scratch);
        if (!spec.succeeded(first.answer)) {
          throw new Error(`${fn.name}: the first invocation answered ${JSON.stringify(first.answer)}`);
        }
      }
      log(
        `  ${fn.name} on node ${node.version}: bare start ${bareMs.toFixed(1)} ms` +
          (first
            ? `; first invocation loaded in ${first.loadMs.toFixed(0)} ms`
            : '; no event to invoke with'),
      );
      figures.push(
        { name: `${fn.name}: bundle size`, value: statSync(fn.bundle).size / 1e6, unit: 'MB' },
        { name: `${fn.name}: load beyond bare node`, value: median(plain) - bareMs, unit: 'ms' },
        {
          name: `${fn.name}: load beyond bare node, --enable-source-maps`,
          value: median(mapped) - bareMs,
          unit: 'ms',
        },
        {
          name: `${fn.name}: first error stack trace, --enable-source-maps`,
          value: median(stacks),
          unit: 'ms',
        },
      );
      if (first) {
        figures.push({ name: `${fn.name}: first invocation`, value: first.invokeMs, unit: 'ms' });
      }
    }
    return figures;
  } finally {
    catcher?.server.close();
    await dynamodb?.close();
    await broker?.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}
