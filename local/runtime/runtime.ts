/**
 * The local runtime: runs a synthesized cloud assembly on one machine. The MSK cluster becomes the
 * embedded broker (or an existing Kafka cluster, given its bootstrap servers), tables an embedded
 * DynamoDB endpoint, functions pools of local processes, Kafka event source mappings local pollers,
 * Function URLs local HTTP ports, topics topics on the broker (kafka-target.ts says what differs on
 * an existing cluster).
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
import type { RunningBroker } from '../broker/broker';
import {
  LOCAL_REGION,
  loadAssembly,
  type CloudAssemblyView,
  type LocalFunctionSpec,
  type LocalMappingSpec,
} from './assembly';
import { createTable, startDynamoDB, type LocalDynamoDB } from './dynamodb';
import {
  clusterOffsets,
  createTopics,
  embeddedOffsets,
  groupsWithOffsets,
  startKafkaTarget,
  type KafkaClusterInfo,
} from './kafka-target';
import { MappingPoller } from './esm/mapping-poller';
import type { ClusterSummary } from './kafka/bootstrap';
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
  /** Embedded brokers, on consecutive ports from brokerPort. @default 1 */
  readonly brokers?: number;
  /**
   * host:port of an existing Kafka cluster (plaintext) to run on instead of the embedded broker;
   * brokerPort and brokers do not apply then.
   */
  readonly bootstrapServers?: readonly string[];
  /** What probeCluster found at bootstrapServers, when the caller asked already (it is not asked again). */
  readonly probedCluster?: ClusterSummary;
  /** First Function URL port; further URLs take the next ports (0: free ports). @default 3000 */
  readonly httpPort?: number;
  /** @default 8000 */
  readonly dynamodbPort?: number;
  /** Keeps broker data (embedded broker only) and tables across restarts; memory only when absent. */
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
  /** The embedded broker; undefined on an existing cluster. */
  readonly broker: RunningBroker | undefined;
  readonly kafka: KafkaClusterInfo;
  /** Comma-separated host:port list, as functions get it in KAFKA_BOOTSTRAP_SERVERS. */
  readonly bootstrapServers: string;
  /** Things found at start that a user should know (a topic smaller than the template says...). */
  readonly warnings: readonly string[];
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
    const warnings: string[] = [];
    const target = await startKafkaTarget({
      host,
      brokerPort: options.brokerPort,
      brokers: options.brokers,
      bootstrapServers: options.bootstrapServers,
      probedCluster: options.probedCluster,
      dataDir: options.dataDir,
    });
    onClose(Phase.stores, () => target.close());
    const { broker, bootstrap, info: kafkaCluster } = target;
    const bootstrapServers = bootstrap.join(',');
    const dynamodb = await startDynamoDB({
      port: options.dynamodbPort ?? 8000,
      host,
      dataDir: options.dataDir ? path.join(options.dataDir, 'dynamodb') : undefined,
    });
    onClose(Phase.stores, () => dynamodb.close());
    log(`${target.description}; DynamoDB at ${dynamodb.endpoint}`);

    const kafka = new Kafka({
      clientId: 'kw-up',
      brokers: [...bootstrap],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    onClose(Phase.clients, () => admin.disconnect());
    warnings.push(
      ...(await createTopics(assembly, admin, log, {
        existing: kafkaCluster.kind === 'existing',
        brokers: kafkaCluster.brokers,
      })),
    );
    await checkOnFailureTopics(assembly, admin);
    let tablesCreated = false;
    for (const table of assembly.tables) {
      const result = await createTable(dynamodb.client, table);
      tablesCreated ||= result === 'created';
      log(`table ${table.name}: ${result === 'created' ? 'created' : 'kept from the data dir'}`);
    }
    if (kafkaCluster.kind === 'existing' && tablesCreated) {
      const resumed = await groupsWithOffsets(assembly, admin);
      if (resumed.length > 0) {
        warnings.push(
          `groups ${resumed.join(', ')} resume from offsets an earlier run committed on this cluster, but ` +
            `the tables start empty: records before those offsets will not be in them (keep tables ` +
            `across runs with --data-dir, or start the groups over with 'kw groups reset-offsets')`,
        );
      }
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
            { bootstrapServers, dynamodbEndpoint: dynamodb.endpoint },
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
              ? { kind: 'msk', arn: spec.clusterArn, bootstrapServers }
              : { kind: 'self-managed', bootstrapServers },
        },
        fn.pool,
        { bootstrapServers: bootstrap, onFailure, log },
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
    const offsets = broker
      ? embeddedOffsets(broker)
      : await clusterOffsets(
          admin,
          [...new Set([...assembly.topics.map((t) => t.name), ...onFailureTopics])],
          (run) => onClose(Phase.stopPollers, run),
        );
    const runtime: LocalRuntime = {
      assembly,
      broker,
      kafka: kafkaCluster,
      bootstrapServers,
      warnings,
      dynamodb,
      urls,
      functions,
      mappings,
      outputDir,
      snapshot() {
        const topics = offsets
          .topics()
          .map((name) => ({
            name,
            records: (offsets.partitions(name) ?? []).reduce((sum, p) => sum + (p.high - p.low), 0),
          }))
          .sort((a, b) => a.name.localeCompare(b.name));
        const fileDestinations = mappings.reduce(
          (sum, m) =>
            sum +
            (m.spec.onFailure && m.spec.onFailure.kind !== 'kafka' ? m.poller.stats.recordsToDestination : 0),
          0,
        );
        const lagOf = (m: RunningMapping) =>
          (offsets.partitions(m.spec.topic) ?? []).reduce((sum, p, index) => {
            const committed = m.poller.stats.committed.get(index) ?? p.low;
            return sum + Math.max(0, p.high - Math.max(committed, p.low));
          }, 0);
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
