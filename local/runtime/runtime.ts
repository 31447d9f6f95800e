/**
 * The local runtime: runs a synthesized cloud assembly on one machine. The MSK cluster becomes the
 * embedded broker, tables an embedded DynamoDB endpoint, functions pools of local processes, Kafka
 * event source mappings local pollers, Function URLs local HTTP ports, topics topics on the broker.
 *
 * Functions get the template's environment plus local overrides, so the same bundles that deploy
 * to AWS reach the local services: `KAFKA_BOOTSTRAP_SERVERS` and `KAFKA_AUTH=none` (the functions'
 * Kafka settings, see functions/commons/kafka-client.ts), `DYNAMODB_ENDPOINT` and
 * `AWS_ENDPOINT_URL_DYNAMODB`, and a local region with placeholder credentials. The function pool
 * adds the variables Lambda itself sets (function name, memory, version...).
 */
import { closeSync, createWriteStream, mkdirSync, mkdtempSync, openSync, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startBroker, type RunningBroker } from '../broker/broker';
import {
  LOCAL_REGION,
  loadAssembly,
  type CloudAssemblyView,
  type LocalFunctionSpec,
  type LocalMappingSpec,
} from './assembly';
import { createTable, startDynamoDB, type LocalDynamoDB } from './dynamodb';
import { MappingPoller } from './esm/mapping-poller';
import { OnFailureWriter } from './esm/on-failure';
import { FunctionPool } from './lambda/function-pool';
import { startFunctionUrl, type RunningUrl } from './url-server';

export interface LocalRuntimeOptions {
  /** A loaded assembly or the directory of one. */
  readonly assembly: CloudAssemblyView | string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Broker port; 0 picks a free one. @default 9092 */
  readonly brokerPort?: number;
  /** First Function URL port; further URLs take the next ports (0: free ports). @default 3000 */
  readonly httpPort?: number;
  /** @default 8000 */
  readonly dynamodbPort?: number;
  /** Keeps broker data and tables across restarts; memory only when absent. */
  readonly dataDir?: string;
  /**
   * Function logs and on-failure files. Default: `output` under dataDir; without one, a temporary
   * folder removed on close (like the rest of the state).
   */
  readonly outputDir?: string;
  /** Extra environment for every function, applied last. */
  readonly environment?: Readonly<Record<string, string>>;
  /** Most environments per function. @default 10 */
  readonly maxConcurrency?: number;
  /** Progress and diagnostics. */
  readonly log?: (message: string) => void;
  /** Receives function output lines, prefixed with the function's short name, besides its log file. */
  readonly functionOutput?: (line: string) => void;
}

export interface RunningFunction {
  readonly spec: LocalFunctionSpec;
  readonly pool: FunctionPool;
  /** Where this function's output goes. */
  readonly logFile: string;
}

export interface RunningMapping {
  readonly spec: LocalMappingSpec;
  readonly poller: MappingPoller;
}

export interface LocalEndpointUrl {
  readonly functionName: string;
  readonly displayName: string;
  readonly url: string;
  readonly authType: string;
}

/** Figures for the live summary. */
export interface RuntimeSnapshot {
  readonly topics: { name: string; records: number }[];
  readonly mappings: {
    name: string;
    topic: string;
    group: string;
    lag: number;
    toDestination: number;
    dropped: number;
  }[];
  readonly functions: {
    name: string;
    invocations: number;
    errors: number;
    timeouts: number;
    crashes: number;
  }[];
  /** Records on dead-letter topics and on-failure destinations. */
  readonly deadLetters: number;
}

export interface LocalRuntime {
  readonly assembly: CloudAssemblyView;
  readonly broker: RunningBroker;
  readonly bootstrapServers: string;
  readonly dynamodb: LocalDynamoDB;
  readonly urls: readonly LocalEndpointUrl[];
  readonly functions: ReadonlyMap<string, RunningFunction>;
  readonly mappings: readonly RunningMapping[];
  readonly outputDir: string;
  snapshot(): RuntimeSnapshot;
  close(): Promise<void>;
}

/** Short, readable name for a function: the last part of its construct path. */
function shortName(spec: LocalFunctionSpec): string {
  return spec.displayName.split('/').pop()!.toLowerCase();
}

/** The environment a function's process gets: template values plus the local overrides. */
export function localEnvironment(
  spec: LocalFunctionSpec,
  endpoints: { bootstrapServers: string; dynamodbEndpoint: string },
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return {
    ...spec.environment,
    KAFKA_BOOTSTRAP_SERVERS: endpoints.bootstrapServers,
    KAFKA_AUTH: 'none',
    DYNAMODB_ENDPOINT: endpoints.dynamodbEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodbEndpoint,
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    PATH: process.env.PATH ?? '',
    ...extra,
  };
}

const DEAD_LETTER_NAME = /(^|[.\-_])(dlq|dead-?letters?)($|[.\-_])/i;

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const log = options.log ?? (() => undefined);
  const host = options.host ?? '127.0.0.1';
  const assembly = typeof options.assembly === 'string' ? loadAssembly(options.assembly) : options.assembly;
  const temporary = !options.outputDir && !options.dataDir;
  const outputDir =
    options.outputDir ??
    (options.dataDir ? path.join(options.dataDir, 'output') : mkdtempSync(path.join(tmpdir(), 'kw-up-')));
  mkdirSync(path.join(outputDir, 'logs'), { recursive: true });

  // Stopping runs in phases, each phase's steps together: pollers are told to stop (so nothing new
  // is invoked or committed), URLs close, function processes end (which also ends any invocation in
  // flight), pollers finish, Kafka clients disconnect, log streams end before their files close, and
  // the broker and DynamoDB go last.
  const Phase = {
    stopPollers: 0,
    urls: 1,
    functions: 2,
    pollersDone: 3,
    clients: 4,
    streams: 5,
    files: 6,
    stores: 7,
    temp: 8,
  };
  const cleanups: { phase: number; run: () => Promise<unknown> }[] = [];
  const onClose = (phase: number, run: () => Promise<unknown>) => cleanups.push({ phase, run });
  let closing = false;
  if (temporary) onClose(Phase.temp, () => rm(outputDir, { recursive: true, force: true }));
  const closeAll = async () => {
    closing = true;
    const steps = cleanups.splice(0);
    for (const phase of [...new Set(steps.map((s) => s.phase))].sort((a, b) => a - b)) {
      await Promise.all(
        steps
          .filter((s) => s.phase === phase)
          .map((s) => s.run().catch((error: Error) => log(`while stopping: ${error.message}`))),
      );
    }
  };

  try {
    const brokerPort = options.brokerPort ?? 9092;
    const broker = await startBroker({
      port: brokerPort,
      host,
      dataDir: options.dataDir ? path.join(options.dataDir, 'broker') : undefined,
      log: () => undefined,
    }).catch((error: Error) => {
      if (!/already in use/.test(error.message)) throw error;
      throw new Error(
        `Kafka port ${brokerPort} on ${host} is already in use (a 'kw broker' or another 'kw up'?): stop it or pass --broker-port`,
      );
    });
    onClose(Phase.stores, () => broker.close());
    const dynamodb = await startDynamoDB({
      port: options.dynamodbPort ?? 8000,
      host,
      dataDir: options.dataDir ? path.join(options.dataDir, 'dynamodb') : undefined,
    });
    onClose(Phase.stores, () => dynamodb.close());
    log(`broker listening on ${broker.bootstrapServers}; DynamoDB at ${dynamodb.endpoint}`);

    const kafka = new Kafka({
      clientId: 'kw-up',
      brokers: [broker.bootstrapServers],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    onClose(Phase.clients, () => admin.disconnect());
    await createTopics(assembly, admin, log);
    await checkOnFailureTopics(assembly, admin);
    for (const table of assembly.tables) {
      const result = await createTable(dynamodb.client, table);
      log(`table ${table.name}: ${result === 'created' ? 'created' : 'kept from the data dir'}`);
    }

    // One producer for Kafka on-failure topics, connected on first use; a failed connect is forgotten
    // so the next write tries again.
    let producer: Promise<Producer> | undefined;
    onClose(Phase.clients, async () => (await producer?.catch(() => undefined))?.disconnect());
    const dlqProducer = () => {
      if (closing) return Promise.reject(new Error('the local runtime is stopping'));
      producer ??= (async () => {
        const p = kafka.producer({ allowAutoTopicCreation: false, idempotent: true });
        await p.connect();
        return p;
      })().catch((error: Error) => {
        producer = undefined;
        throw error;
      });
      return producer;
    };

    // Functions: one pool each; those something invokes locally are warmed before ready.
    const functions = new Map<string, RunningFunction>();
    const logStreams: WriteStream[] = [];
    onClose(Phase.streams, () =>
      Promise.all(logStreams.map((s) => new Promise<void>((resolve) => s.end(resolve)))),
    );
    for (const spec of assembly.functions) {
      const name = shortName(spec);
      const logFile = path.join(outputDir, 'logs', `${name}.log`);
      // Without --verbose, output goes straight to the file; with it, through here to the terminal too.
      const fd = openSync(logFile, 'a');
      onClose(Phase.files, async () => closeSync(fd));
      const functionOutput = options.functionOutput;
      const stream = functionOutput ? createWriteStream('', { fd, autoClose: false }) : undefined;
      if (stream) {
        stream.on('error', (error) => log(`${name} log: ${error.message}`));
        logStreams.push(stream);
      }
      const pool = new FunctionPool(
        {
          name: spec.name,
          arn: spec.arn,
          codeDir: spec.codeDir,
          handler: spec.handler,
          timeoutSeconds: spec.timeoutSeconds,
          memoryMb: spec.memoryMb,
          environment: localEnvironment(
            spec,
            { bootstrapServers: broker.bootstrapServers, dynamodbEndpoint: dynamodb.endpoint },
            options.environment,
          ),
        },
        {
          maxConcurrency: options.maxConcurrency,
          outputFd: fd,
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
      onClose(Phase.functions, () => pool.close());
      functions.set(spec.id, { spec, pool, logFile });
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
            `function ${shortName(f.spec)} ready (${f.spec.runtime}, ${f.spec.memoryMb} MB, ${f.spec.timeoutSeconds} s)`,
          );
        }),
    );

    // Function URLs.
    const urls: LocalEndpointUrl[] = [];
    let nextPort = options.httpPort ?? 3000;
    for (const spec of assembly.urls) {
      const fn = functions.get(spec.functionId)!;
      const running: RunningUrl = await startFunctionUrl(fn.pool, {
        port: nextPort,
        host,
        apiId: shortName(fn.spec),
      });
      if (nextPort !== 0) nextPort = running.port + 1;
      onClose(Phase.urls, () => running.close());
      urls.push({
        functionName: shortName(fn.spec),
        displayName: fn.spec.displayName,
        url: running.url,
        authType: spec.authType,
      });
    }

    // Event source mappings.
    const mappings: RunningMapping[] = [];
    for (const spec of assembly.mappings) {
      if (!spec.enabled) {
        log(`mapping ${spec.name} is disabled in the template; not polling`);
        continue;
      }
      const fn = functions.get(spec.functionId)!;
      const onFailure = spec.onFailure
        ? new OnFailureWriter(spec.onFailure, dlqProducer, path.join(outputDir, 'destinations'))
        : undefined;
      const poller = new MappingPoller(
        {
          ...spec,
          source:
            spec.sourceKind === 'msk'
              ? { kind: 'msk', arn: spec.clusterArn, bootstrapServers: broker.bootstrapServers }
              : { kind: 'self-managed', bootstrapServers: broker.bootstrapServers },
        },
        fn.pool,
        { bootstrapServers: [broker.bootstrapServers], onFailure, log },
      );
      poller.start();
      let stopped: Promise<void> | undefined;
      onClose(Phase.stopPollers, async () => void (stopped = poller.stop()));
      onClose(Phase.pollersDone, async () => stopped);
      mappings.push({ spec, poller });
    }

    const onFailureTopics = new Set(
      assembly.mappings.flatMap((m) => (m.onFailure?.kind === 'kafka' ? [m.onFailure.topic] : [])),
    );
    const runtime: LocalRuntime = {
      assembly,
      broker,
      bootstrapServers: broker.bootstrapServers,
      dynamodb,
      urls,
      functions,
      mappings,
      outputDir,
      snapshot() {
        const topics = [...broker.cluster.topics.values()]
          .filter((t) => !t.name.startsWith('__'))
          .map((t) => ({
            name: t.name,
            records: t.partitions.reduce((sum, p) => sum + (p.log.highWatermark - p.log.logStartOffset), 0),
          }))
          .sort((a, b) => a.name.localeCompare(b.name));
        const fileDestinations = mappings.reduce(
          (sum, m) =>
            sum +
            (m.spec.onFailure && m.spec.onFailure.kind !== 'kafka' ? m.poller.stats.recordsToDestination : 0),
          0,
        );
        // Lag from the broker's current end offsets, not the poller's last fetch, so it never trails.
        const lagOf = (m: RunningMapping) => {
          const topic = broker.cluster.topics.get(m.spec.topic);
          if (!topic) return 0;
          return topic.partitions.reduce((sum, p, index) => {
            const committed = m.poller.stats.committed.get(index) ?? p.log.logStartOffset;
            return sum + Math.max(0, p.log.highWatermark - Math.max(committed, p.log.logStartOffset));
          }, 0);
        };
        return {
          topics,
          mappings: mappings.map((m) => ({
            name: `${shortName(functions.get(m.spec.functionId)!.spec)} ← ${m.spec.topic}`,
            topic: m.spec.topic,
            group: m.spec.consumerGroupId,
            lag: lagOf(m),
            toDestination: m.poller.stats.recordsToDestination,
            dropped: m.poller.stats.recordsDropped,
          })),
          functions: [...functions.values()].map((f) => ({ name: shortName(f.spec), ...f.pool.stats })),
          deadLetters:
            topics
              .filter((t) => onFailureTopics.has(t.name) || DEAD_LETTER_NAME.test(t.name))
              .reduce((sum, t) => sum + t.records, 0) + fileDestinations,
        };
      },
      close: closeAll,
    };
    return runtime;
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * A Kafka on-failure destination must be another topic that exists: otherwise every failed record
 * would be retried against it forever and block its partition.
 */
async function checkOnFailureTopics(
  assembly: CloudAssemblyView,
  admin: ReturnType<Kafka['admin']>,
): Promise<void> {
  const topics = new Set(await admin.listTopics());
  for (const m of assembly.mappings) {
    if (m.onFailure?.kind !== 'kafka') continue;
    if (m.onFailure.topic === m.topic) {
      throw new Error(
        `${m.name}: the on-failure topic is the topic the mapping reads (${m.topic}); AWS refuses this`,
      );
    }
    if (!topics.has(m.onFailure.topic)) {
      throw new Error(
        `${m.name}: on-failure topic ${m.onFailure.topic} does not exist: declare it among the app's topics`,
      );
    }
  }
}

async function createTopics(
  assembly: CloudAssemblyView,
  admin: ReturnType<Kafka['admin']>,
  log: (message: string) => void,
): Promise<void> {
  const existing = new Map(
    (await admin.fetchTopicMetadata()).topics.map((t) => [t.name, t.partitions.length] as const),
  );
  const missing = assembly.topics.filter((t) => !existing.has(t.name));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: 1,
        configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  for (const t of assembly.topics) {
    const had = existing.get(t.name);
    if (had !== undefined && had < t.partitions) {
      await admin.createPartitions({ topicPartitions: [{ topic: t.name, count: t.partitions }] });
      log(`topic ${t.name}: grown from ${had} to ${t.partitions} partitions`);
    } else {
      log(
        `topic ${t.name}: ${had === undefined ? 'created' : 'kept'} (${Math.max(had ?? 0, t.partitions)} partitions)`,
      );
    }
  }
}
