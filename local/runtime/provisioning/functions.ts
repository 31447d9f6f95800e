/**
 * The template's functions: one pool of local processes each, output in a log file per function (and
 * on the terminal with --verbose). Functions something invokes locally (a mapping or a URL) are warmed
 * before the runtime is ready.
 *
 * Functions get the template's environment plus local overrides, so the same bundles that deploy
 * to AWS reach the local services: `KAFKA_BOOTSTRAP_SERVERS` and `KAFKA_AUTH=none` (the functions'
 * Kafka settings, see functions/commons/kafka-client.ts), `DYNAMODB_ENDPOINT` and
 * `AWS_ENDPOINT_URL_DYNAMODB`, and a local region with placeholder credentials. The function pool
 * adds the variables Lambda itself sets (function name, memory, version...).
 *
 * With IAM enforced (`iam`), functions take the code path they take on AWS instead: `KAFKA_AUTH=iam`
 * with the broker's IAM listener, and their role's local credentials through the AWS SDK's usual
 * provider chain (AWS_PROFILE in the shared files kw up wrote), so the MSK signer signs as the role.
 * `KAFKA_TLS=false`: the local listener is plain TCP where MSK's is TLS. A function whose role is not
 * in the app keeps the placeholder keys, which the broker refuses, as AWS would refuse an unknown role.
 *
 * Each function runs on the Node major its `Runtime` declares where that Node is at hand
 * (lambda/node-binaries.ts says where it looks); elsewhere on kw's own Node, with one warning per
 * runtime that says so.
 */
import { closeSync, createWriteStream, openSync, type WriteStream } from 'node:fs';
import * as path from 'node:path';
import { LOCAL_REGION, type CloudAssemblyView, type LocalFunctionSpec } from '../assembly';
import { FunctionPool } from '../lambda/function-pool';
import { declaredNodeMajor, findNodeFor, type NodeChoice } from '../lambda/node-binaries';
import { StopPhase, type Lifecycle } from '../lifecycle';

export interface RunningFunction {
  readonly spec: LocalFunctionSpec;
  readonly pool: FunctionPool;
  /** Where this function's output goes. */
  readonly logFile: string;
  /** The Node its processes run on. */
  readonly node: NodeChoice;
}

/** The local services functions reach instead of AWS's. */
export interface LocalEndpoints {
  /** Comma-separated host:port list. */
  readonly bootstrapServers: string;
  readonly dynamodbEndpoint: string;
}

/** How functions reach Kafka when IAM is enforced. */
export interface FunctionsIam {
  /** Comma-separated host:port list of the IAM listeners. */
  readonly bootstrapServers: string;
  /** AWS_PROFILE and the shared files' variables for the role of function `spec`; undefined when it has none. */
  profileEnvironment(spec: LocalFunctionSpec): Readonly<Record<string, string>> | undefined;
}

export interface FunctionsOptions {
  readonly endpoints: LocalEndpoints;
  /** Functions authenticate to Kafka with their role's credentials. @default none: plain Kafka */
  readonly iam?: FunctionsIam;
  /** Log files go to `logs/` here. */
  readonly outputDir: string;
  /** Extra environment for every function, applied last. */
  readonly environment?: Readonly<Record<string, string>>;
  /** Most environments per function. */
  readonly maxConcurrency?: number;
  readonly log: (message: string) => void;
  /** Receives function output lines, prefixed with the function's short name, besides its log file. */
  readonly functionOutput?: (line: string) => void;
  /** Picks the Node each function runs on. @default findNodeFor: the template's major where found */
  readonly nodeFor?: (runtime: string) => NodeChoice;
}

/** Short, readable name for a function: the last part of its construct path. */
export function shortName(spec: LocalFunctionSpec): string {
  return spec.displayName.split('/').pop()!.toLowerCase();
}

/** The environment a function's process gets: template values plus the local overrides. */
export function localEnvironment(
  spec: LocalFunctionSpec,
  endpoints: LocalEndpoints,
  extra: Readonly<Record<string, string>> = {},
  iam?: FunctionsIam,
): Record<string, string> {
  // The SDK skips AWS_ACCESS_KEY_ID when AWS_PROFILE is set (and warns of both): only one is given.
  const profile = iam?.profileEnvironment(spec);
  const credentials: Readonly<Record<string, string>> = profile ?? {
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  };
  const kafka: Record<string, string> = iam
    ? { KAFKA_BOOTSTRAP_SERVERS: iam.bootstrapServers, KAFKA_AUTH: 'iam', KAFKA_TLS: 'false' }
    : { KAFKA_BOOTSTRAP_SERVERS: endpoints.bootstrapServers, KAFKA_AUTH: 'none' };
  return {
    ...spec.environment,
    ...kafka,
    DYNAMODB_ENDPOINT: endpoints.dynamodbEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodbEndpoint,
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    ...credentials,
    PATH: process.env.PATH ?? '',
    ...extra,
  };
}

/** Starts a pool per function, by function id, and warms those a mapping or a URL invokes. */
export async function startFunctions(
  assembly: CloudAssemblyView,
  options: FunctionsOptions,
  lifecycle: Lifecycle,
): Promise<Map<string, RunningFunction>> {
  const { log, functionOutput } = options;
  const nodeFor = options.nodeFor ?? findNodeFor;
  const functions = new Map<string, RunningFunction>();
  const logStreams: WriteStream[] = [];
  lifecycle.onStop(StopPhase.streams, () =>
    Promise.all(logStreams.map((s) => new Promise<void>((resolve) => s.end(resolve)))),
  );
  for (const spec of assembly.functions) {
    const name = shortName(spec);
    const logFile = path.join(options.outputDir, 'logs', `${name}.log`);
    // Without --verbose, output goes straight to the file; with it, through here to the terminal too.
    const fd = openSync(logFile, 'a');
    lifecycle.onStop(StopPhase.files, async () => closeSync(fd));
    const stream = functionOutput ? createWriteStream('', { fd, autoClose: false }) : undefined;
    if (stream) {
      stream.on('error', (error) => log(`${name} log: ${error.message}`));
      logStreams.push(stream);
    }
    const node = nodeFor(spec.runtime);
    const pool = new FunctionPool(
      {
        name: spec.name,
        arn: spec.arn,
        codeDir: spec.codeDir,
        handler: spec.handler,
        timeoutSeconds: spec.timeoutSeconds,
        memoryMb: spec.memoryMb,
        environment: localEnvironment(spec, options.endpoints, options.environment, options.iam),
      },
      {
        maxConcurrency: options.maxConcurrency,
        outputFd: fd,
        nodeExecutable: node.executable,
        log: functionOutput
          ? (line) => {
              stream!.write(`${line}\n`);
              functionOutput(`${name} | ${line}`);
            }
          : undefined,
      },
    );
    pool.on('invoked', (outcome: { ok: boolean; kind?: string; error?: { errorMessage: string } }) => {
      if (!outcome.ok && outcome.kind !== 'function')
        log(`${name}: ${outcome.kind}: ${outcome.error?.errorMessage}`);
    });
    lifecycle.onStop(StopPhase.functions, () => pool.close());
    functions.set(spec.id, { spec, pool, logFile, node });
  }
  const triggered = new Set([
    ...assembly.mappings.map((m) => m.functionId),
    ...assembly.urls.map((u) => u.functionId),
  ]);
  await Promise.all(
    [...functions.values()]
      .filter((f) => triggered.has(f.spec.id))
      .map(async (f) => {
        await f.pool.warm().catch((error: Error) => {
          throw new Error(`${f.spec.displayName} failed to load: ${error.message} (see ${f.logFile})`);
        });
        log(
          `function ${shortName(f.spec)} ready (${onNode(f)}, ${f.spec.memoryMb} MB, ${f.spec.timeoutSeconds} s)`,
        );
      }),
  );
  return functions;
}

/** `nodejs24.x on Node 24.22.3`, or with `instead of 24` when it is not the declared Node. */
function onNode(f: RunningFunction): string {
  const major = declaredNodeMajor(f.spec.runtime);
  const instead = f.node.matchesTemplate || major === undefined ? '' : ` instead of ${major}`;
  return `${f.spec.runtime} on Node ${f.node.version}${instead}`;
}

/**
 * One warning per runtime whose functions do not run on the Node it declares: which functions, the
 * Node they run on instead, why, and how to get the declared one.
 */
export function nodeWarnings(functions: Iterable<RunningFunction>): string[] {
  const byRuntime = new Map<string, RunningFunction[]>();
  for (const f of functions) {
    if (f.node.matchesTemplate) continue;
    byRuntime.set(f.spec.runtime, [...(byRuntime.get(f.spec.runtime) ?? []), f]);
  }
  return [...byRuntime].map(([runtime, fs]) => {
    const names = fs.map((f) => shortName(f.spec)).join(', ');
    const { version, note } = fs[0].node;
    const [noun, declare, run] =
      fs.length === 1 ? ['function', 'declares', 'runs'] : ['functions', 'declare', 'run'];
    return `${noun} ${names} ${declare} ${runtime} but ${run} on Node ${version} here: ${note}`;
  });
}
