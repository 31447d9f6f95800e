/**
 * Replication bench: what replicas cost a producer, and how long a partition is without a leader when
 * its leader's broker stops, on a 3-broker embedded cluster (startBroker({ brokers: 3 }) in this
 * process) and on a 3-node Apache Kafka cluster (KRaft, every node broker and controller, started by
 * test/support/apache-kafka.ts with its heap capped at 768 MiB a node), through the same raw client.
 * Both clusters run at once and each round runs on both, alternating which goes first (and which
 * setting), as in the side-by-side bench; every figure is the median of its rounds, each ratio a
 * ratio of medians. The embedded brokers share this process's one thread with the client (control.stop
 * needs them here), so their figures carry the client's work too; Kafka's brokers have their own JVMs.
 *
 * - produce throughput: the broker bench's pipelined sender (1 KiB records, 100 per batch, 8 in
 *   flight, one connection to the partition's leader) into a new 1-partition topic, RF 1 with acks=1
 *   against RF 3 with min.insync.replicas=2 and acks=all; every response's error code is checked.
 *   Apache Kafka answers one request per connection at a time, so with acks=all each request there
 *   waits for its followers' next fetch before the next one is read.
 * - produce latency: one 1 KiB record per request, one request at a time, on the same topic after the
 *   throughput run; p50 and p99 of each round.
 * - failover: a new RF 3 topic with min.insync.replicas=2, its ISR full and one record acknowledged;
 *   the leader's broker is stopped (embedded: control.stop, its controlled shutdown; Kafka: SIGTERM,
 *   its controlled shutdown) and, from that moment, a raw loop asks the two other brokers in turn for
 *   Metadata and, once one of them is named leader, produces one record with acks=all to it, again
 *   5 ms after any failed attempt, until one is acknowledged without error. The figure is the time from
 *   the stop call to that acknowledgement (connections to the two brokers are open before it starts);
 *   the broker is started again and back in the ISR before the next run.
 *
 * Without Java or the jars it measures the embedded cluster alone and says what is missing.
 */
import { percentile } from '../cli/load-command';
import { startBroker } from '../local/broker/broker';
import { errorName } from '../local/kafka/errors';
import type { Struct } from '../local/kafka/message-codec';
import { ProduceSchema } from '../local/kafka/messages/00-produce';
import { MetadataSchema } from '../local/kafka/messages/03-metadata';
import { CreateTopicsSchema } from '../local/kafka/messages/19-create-topics';
import { DeleteTopicsSchema } from '../local/kafka/messages/20-delete-topics';
import { requestFrame } from '../local/kafka/request-frame';
import { decodeResponse } from '../local/kafka/response-frame';
import type { ApiSchema } from '../local/kafka/schema';
import {
  APACHE_KAFKA_VERSION,
  PeerMissingError,
  requireApacheKafka,
  startApacheKafka,
} from '../test/support/apache-kafka';
import { RawConnection } from '../test/support/raw-kafka';
import { until } from '../test/support/until';
import type { Comparison, SideBySide } from './apache-kafka.bench';
import {
  BENCH_BATCH,
  connectTo,
  median,
  pipeline,
  produceFrames,
  RECORD_BYTES,
  RECORDS_PER_BATCH,
  recordBatch,
  timed,
} from './broker.bench';

/** How much work each figure gets; the test runs a tiny version against the embedded cluster only. */
export interface ReplicationOptions {
  /** Rounds of the produce figures (each: a throughput run then a latency run, per setting). */
  readonly rounds: number;
  /** Pipelined produce requests per throughput run, RECORDS_PER_BATCH records each. */
  readonly produceRequests: number;
  /** One-record requests per latency run. */
  readonly latencyRequests: number;
  /** Leader stops timed on each cluster. */
  readonly failovers: number;
  /** Start Apache Kafka when it is installed (false: the embedded cluster alone, as `npm test` runs it). */
  readonly apacheKafka: boolean;
}

/**
 * What `npm run bench` runs: about 20 MB per throughput run (topics are deleted after each, since the
 * embedded cluster keeps records in memory), 1,000 one-record requests per latency run.
 */
export const FULL_RUN: ReplicationOptions = {
  rounds: 5,
  produceRequests: 200,
  latencyRequests: 1000,
  failovers: 5,
  apacheKafka: true,
};

const BROKERS = 3;
/** Pause between failover attempts that did not succeed. */
const RETRY_MS = 5;
/** Produce timeout (acks=all waits for the ISR up to it). */
const PRODUCE_TIMEOUT_MS = 10_000;
/** A run that takes this long is broken, not slow. */
const GIVE_UP_MS = 60_000;

type Side = 'embedded' | 'Apache Kafka';

/** One 3-broker cluster as the bench drives it. */
interface ReplicatedCluster {
  readonly side: Side;
  /** Port of each broker, by node id - 1. */
  readonly ports: readonly number[];
  stopNode(nodeId: number): Promise<void>;
  startNode(nodeId: number): Promise<void>;
  close(): Promise<void>;
}

async function embeddedCluster(): Promise<ReplicatedCluster> {
  const broker = await startBroker({ brokers: BROKERS, port: 0 });
  return {
    side: 'embedded',
    ports: broker.ports,
    stopNode: (nodeId) => broker.control.stop(nodeId),
    startNode: (nodeId) => broker.control.start(nodeId),
    close: () => broker.close(),
  };
}

async function apacheKafkaCluster(): Promise<ReplicatedCluster> {
  const cluster = await startApacheKafka({ nodes: BROKERS });
  return {
    side: 'Apache Kafka',
    ports: cluster.nodes.map((n) => n.port),
    stopNode: (nodeId) => cluster.stopNode(nodeId),
    startNode: (nodeId) => cluster.startNode(nodeId),
    close: () => cluster.stop(),
  };
}

interface PartitionMetadata {
  readonly ErrorCode: number;
  readonly LeaderId: number;
  readonly ReplicaNodes: number[];
  readonly IsrNodes: number[];
}

/**
 * One connection per broker of a cluster, one request at a time on each; a connection the broker
 * closed is opened again on the next request.
 */
class ClusterClient {
  private readonly connections = new Map<number, RawConnection>();
  private correlationId = 0;

  constructor(private readonly ports: readonly number[]) {}

  get nodeIds(): number[] {
    return this.ports.map((_, i) => i + 1);
  }

  async connection(nodeId: number): Promise<RawConnection> {
    let connection = this.connections.get(nodeId);
    // A broker that was stopped closed it: open a new one.
    if (connection && (await connection.closedWithin(0))) connection = undefined;
    if (!connection) {
      connection = await RawConnection.open(this.ports[nodeId - 1]);
      this.connections.set(nodeId, connection);
    }
    return connection;
  }

  /** Sends one request to `nodeId` and decodes its response; throws if the connection fails. */
  async call(
    nodeId: number,
    schema: ApiSchema,
    version: number,
    body: Struct,
    timeoutMs = PRODUCE_TIMEOUT_MS + 5000,
  ): Promise<Struct> {
    return this.send(nodeId, requestFrame(schema.request, version, body, ++this.correlationId, 'bench'), {
      schema,
      version,
      timeoutMs,
    });
  }

  /** Sends a frame built beforehand (its correlation id is not checked). */
  async send(
    nodeId: number,
    frame: Buffer,
    response: { schema: ApiSchema; version: number; timeoutMs: number },
  ): Promise<Struct> {
    const connection = await this.connection(nodeId);
    try {
      connection.write(frame);
      const answer = await connection.response(response.timeoutMs);
      if (!answer) throw new Error(`node ${nodeId} closed the connection`);
      return decodeResponse(response.schema, response.version, answer).body;
    } catch (error) {
      connection.end();
      this.connections.delete(nodeId);
      throw error;
    }
  }

  /** Sends a Produce v7 frame built beforehand; resolves to its partition's error code. */
  async produce(nodeId: number, frame: Buffer): Promise<number> {
    const body = (await this.send(nodeId, frame, {
      schema: ProduceSchema,
      version: 7,
      timeoutMs: PRODUCE_TIMEOUT_MS + 5000,
    })) as ProduceResponse;
    return body.Responses[0].PartitionResponses[0].ErrorCode;
  }

  /** Partition 0 of `topic` as `nodeId` sees it. */
  async partition(nodeId: number, topic: string): Promise<PartitionMetadata> {
    const body = (await this.call(nodeId, MetadataSchema, 7, {
      Topics: [{ Name: topic }],
      AllowAutoTopicCreation: false,
    })) as { Topics: { ErrorCode: number; Partitions: PartitionMetadata[] }[] };
    const t = body.Topics[0];
    return t.Partitions[0] ?? { ErrorCode: t.ErrorCode, LeaderId: -1, ReplicaNodes: [], IsrNodes: [] };
  }

  /** Brokers `nodeId` lists in Metadata (live ones). */
  async brokers(nodeId: number): Promise<number> {
    const body = (await this.call(nodeId, MetadataSchema, 7, { Topics: [] })) as { Brokers: unknown[] };
    return body.Brokers.length;
  }

  close(): void {
    for (const connection of this.connections.values()) connection.end();
    this.connections.clear();
  }
}

/** Creates a 1-partition topic through `nodeId`, retrying while a restarted broker is not yet back. */
async function createTopic(client: ClusterClient, topic: string, replicas: number): Promise<void> {
  const configs = replicas > 1 ? [{ Name: 'min.insync.replicas', Value: '2' }] : [];
  await until(
    async () => {
      const body = (await client.call(1, CreateTopicsSchema, 4, {
        Topics: [
          { Name: topic, NumPartitions: 1, ReplicationFactor: replicas, Assignments: [], Configs: configs },
        ],
        timeoutMs: 30_000,
        validateOnly: false,
      })) as { Topics: { ErrorCode: number; ErrorMessage: string | null }[] };
      const { ErrorCode, ErrorMessage } = body.Topics[0];
      // Kafka refuses RF 3 while a broker it just started has not registered again.
      if (ErrorCode === 38) return false;
      if (ErrorCode !== 0)
        throw new Error(`creating ${topic}: ${errorName(ErrorCode)} ${ErrorMessage ?? ''}`);
      return true;
    },
    `topic ${topic} with ${replicas} replicas to be created`,
    { timeoutMs: GIVE_UP_MS, intervalMs: 200 },
  );
}

async function deleteTopic(client: ClusterClient, topic: string): Promise<void> {
  const body = (await client.call(1, DeleteTopicsSchema, 3, { TopicNames: [topic], TimeoutMs: 30_000 })) as {
    Responses: { ErrorCode: number }[];
  };
  const code = body.Responses[0].ErrorCode;
  if (code !== 0) throw new Error(`deleting ${topic}: ${errorName(code)}`);
}

/** Partition 0 of `topic` once it has a leader and all of its replicas in sync, asked of `nodeId`. */
function inSync(
  client: ClusterClient,
  topic: string,
  replicas: number,
  nodeId = 1,
): Promise<PartitionMetadata> {
  let last: PartitionMetadata | undefined;
  return until(
    async () => {
      last = await client.partition(nodeId, topic);
      return last.ErrorCode === 0 && last.LeaderId > 0 && last.IsrNodes.length === replicas && last;
    },
    () => `${topic} to have a leader and ${replicas} in-sync replicas (last: ${JSON.stringify(last)})`,
    { timeoutMs: GIVE_UP_MS, intervalMs: 50 },
  );
}

type ProduceResponse = { Responses: { PartitionResponses: { ErrorCode: number }[] }[] };

/** The error code of a Produce v7 response's one partition (`frame` without its size). */
function produceError(frame: Buffer): number {
  const body = decodeResponse(ProduceSchema, 7, frame).body as ProduceResponse;
  return body.Responses[0].PartitionResponses[0].ErrorCode;
}

const ONE_RECORD = recordBatch(1, RECORD_BYTES);

/** A Produce v7 frame carrying one 1 KiB record for partition 0 of `topic`. */
function oneRecordFrame(topic: string, acks: number, correlationId: number): Buffer {
  return requestFrame(
    ProduceSchema.request,
    7,
    {
      TransactionalId: null,
      Acks: acks,
      TimeoutMs: PRODUCE_TIMEOUT_MS,
      TopicData: [{ Name: topic, PartitionData: [{ Index: 0, Records: Buffer.from(ONE_RECORD) }] }],
    },
    correlationId,
    'bench',
  );
}

/**
 * The leader of partition 0 of `topic` once all its replicas are in sync and it has acknowledged one
 * record with acks=all: Kafka's brokers name a new leader in Metadata a moment before it takes writes.
 */
async function ready(client: ClusterClient, topic: string, replicas: number): Promise<number> {
  let last = '';
  return until(
    async () => {
      const { LeaderId: leader } = await inSync(client, topic, replicas);
      const code = await client.produce(leader, oneRecordFrame(topic, -1, 0));
      last = `node ${leader}: ${errorName(code)}`;
      return code === 0 && leader;
    },
    () => `${topic}'s leader to take a produce (last: ${last})`,
    { timeoutMs: GIVE_UP_MS, intervalMs: 50 },
  );
}

/** The two settings compared. */
const SETTINGS = [
  { key: 'rf1', label: 'RF 1 acks=1', replicas: 1, acks: 1 },
  { key: 'rf3', label: 'RF 3 acks=all', replicas: 3, acks: -1 },
] as const;
type SettingKey = (typeof SETTINGS)[number]['key'];

interface ProduceRun {
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
}

/**
 * On a new topic with `setting`'s replicas: the pipelined throughput run, then the one-at-a-time
 * latency run; the topic is deleted afterwards.
 */
async function produceRun(
  cluster: ReplicatedCluster,
  client: ClusterClient,
  topic: string,
  setting: (typeof SETTINGS)[number],
  options: ReplicationOptions,
): Promise<ProduceRun> {
  await createTopic(client, topic, setting.replicas);
  const leader = await ready(client, topic, setting.replicas);
  const port = cluster.ports[leader - 1];

  const frames = produceFrames(topic, options.produceRequests, 1, setting.acks);
  const socket = await connectTo(port);
  const check = (frame: Buffer) => {
    const code = produceError(frame);
    if (code !== 0) throw new Error(`${cluster.side}: produce to ${topic}: ${errorName(code)}`);
  };
  const seconds = await timed(() => pipeline(socket, frames, check));
  socket.destroy();

  const connection = await RawConnection.open(port);
  const requests = Array.from({ length: options.latencyRequests }, (_, i) =>
    oneRecordFrame(topic, setting.acks, i),
  );
  const latencies: number[] = [];
  try {
    for (const frame of requests) {
      const began = performance.now();
      connection.write(frame);
      const answer = await connection.response(PRODUCE_TIMEOUT_MS + 5000);
      latencies.push(performance.now() - began);
      if (!answer) throw new Error(`${cluster.side}: the leader of ${topic} closed the connection`);
      check(answer);
    }
  } finally {
    connection.end();
  }
  await deleteTopic(client, topic);
  latencies.sort((a, b) => a - b);
  return { seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

interface FailoverRun {
  /** Stop call to the first acks=all produce acknowledged by the new leader, ms. */
  readonly ms: number;
  /** Stop call to the stop resolving (Kafka: the process exited), ms. */
  readonly stopMs: number;
  readonly stopped: number;
  readonly newLeader: number;
  /** Metadata(+Produce) attempts it took. */
  readonly attempts: number;
}

/** One timed leader stop on a new RF 3 topic; leaves the cluster whole again. */
async function failover(
  cluster: ReplicatedCluster,
  client: ClusterClient,
  topic: string,
): Promise<FailoverRun> {
  await createTopic(client, topic, BROKERS);
  // Its ISR full, and taking acks=all writes before its leader stops.
  const stopped = await ready(client, topic, BROKERS);
  const survivors = client.nodeIds.filter((id) => id !== stopped);
  // Open before the clock starts, as a running client's connections would be.
  for (const id of survivors) await client.connection(id);
  const frame = oneRecordFrame(topic, -1, 1);

  const began = performance.now();
  const stopping = cluster.stopNode(stopped).then(() => performance.now() - began);
  let attempts = 0;
  let newLeader = -1;
  let lastProblem = 'none yet';
  while (newLeader < 0) {
    const asked = survivors[attempts++ % survivors.length];
    try {
      const p = await client.partition(asked, topic);
      if (p.ErrorCode === 0 && survivors.includes(p.LeaderId)) {
        const code = await client.produce(p.LeaderId, frame);
        if (code === 0) newLeader = p.LeaderId;
        else lastProblem = `produce to node ${p.LeaderId}: ${errorName(code)}`;
      } else lastProblem = `node ${asked} says leader ${p.LeaderId} (${errorName(p.ErrorCode)})`;
    } catch (error) {
      lastProblem = (error as Error).message;
    }
    if (newLeader < 0) {
      if (performance.now() - began > GIVE_UP_MS) {
        throw new Error(`${cluster.side}: no new leader took a produce to ${topic} (last: ${lastProblem})`);
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
  const ms = performance.now() - began;
  const stopMs = await stopping;

  await cluster.startNode(stopped);
  await inSync(client, topic, BROKERS, survivors[0]);
  await until(
    async () => (await client.brokers(stopped).catch(() => 0)) === BROKERS,
    `node ${stopped} of ${cluster.side} to list every broker again`,
    { timeoutMs: GIVE_UP_MS, intervalMs: 100 },
  );
  await deleteTopic(client, topic);
  return { ms, stopMs, stopped, newLeader, attempts };
}

export async function runReplicationBench(
  log: (line: string) => void,
  options: ReplicationOptions = FULL_RUN,
): Promise<SideBySide> {
  let against = `Apache Kafka ${APACHE_KAFKA_VERSION}, 3 nodes`;
  let withReference = options.apacheKafka;
  if (withReference) {
    try {
      requireApacheKafka();
    } catch (error) {
      if (!(error instanceof PeerMissingError)) throw error;
      withReference = false;
      against = `Apache Kafka: not run, figures for the embedded broker only. ${error.message}`;
      log(`  ${against}`);
    }
  } else against = 'Apache Kafka: not requested: figures for the embedded broker only';

  const clusters: ReplicatedCluster[] = [];
  const clients = new Map<Side, ClusterClient>();
  try {
    clusters.push(await embeddedCluster());
    log('  started a 3-broker embedded cluster in this process');
    if (withReference) {
      clusters.push(await apacheKafkaCluster());
      log(`  started a 3-node Apache Kafka ${APACHE_KAFKA_VERSION} cluster`);
    }
    for (const c of clusters) clients.set(c.side, new ClusterClient(c.ports));

    const runs = new Map<Side, Map<SettingKey, ProduceRun[]>>(
      clusters.map((c) => [c.side, new Map(SETTINGS.map((s) => [s.key, []]))]),
    );
    const bytes = options.produceRequests * BENCH_BATCH.length;
    const records = options.produceRequests * RECORDS_PER_BATCH;
    const mbPerSecond = (seconds: number) => bytes / 1e6 / seconds;

    // Kafka runs its hot paths interpreted until the JVM has compiled them: one untimed round first.
    for (const c of clusters) {
      for (const s of SETTINGS) await produceRun(c, clients.get(c.side)!, `warm-up-${s.key}`, s, options);
    }
    log('  warmed up: one untimed round of each setting on each cluster');
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? clusters : [...clusters].reverse();
      const settings = round % 2 === 0 ? SETTINGS : [...SETTINGS].reverse();
      for (const c of order) {
        for (const s of settings) {
          const run = await produceRun(c, clients.get(c.side)!, `${s.key}-${round}`, s, options);
          runs.get(c.side)!.get(s.key)!.push(run);
        }
      }
      for (const c of clusters) {
        log(
          `  produce round ${round + 1}/${options.rounds}, ${c.side}: ` +
            SETTINGS.map((s) => {
              const run = runs.get(c.side)!.get(s.key)![round];
              return (
                `${s.label} ${mbPerSecond(run.seconds).toFixed(0)} MB/s, ` +
                `p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms`
              );
            }).join('; '),
        );
      }
    }

    const failovers = new Map<Side, FailoverRun[]>(clusters.map((c) => [c.side, []]));
    for (let round = 0; round < options.failovers; round++) {
      const order = round % 2 === 0 ? clusters : [...clusters].reverse();
      for (const c of order) {
        const run = await failover(c, clients.get(c.side)!, `failover-${round}`);
        failovers.get(c.side)!.push(run);
        log(
          `  failover ${round + 1}/${options.failovers}, ${c.side}: node ${run.stopped} stopped, ` +
            `node ${run.newLeader} acknowledged after ${run.ms.toFixed(1)} ms (${run.attempts} attempts; ` +
            `stop returned after ${run.stopMs.toFixed(0)} ms)`,
        );
      }
    }

    const comparisons: Comparison[] = [];
    const figure = (
      name: string,
      unit: string,
      better: Comparison['better'],
      value: (side: Side) => number,
    ) =>
      comparisons.push({
        name,
        unit,
        better,
        embedded: value('embedded'),
        apacheKafka: withReference ? value('Apache Kafka') : undefined,
      });
    const of = (side: Side, key: SettingKey, pick: (run: ProduceRun) => number) =>
      median(runs.get(side)!.get(key)!.map(pick));
    const throughput = (side: Side, key: SettingKey) => mbPerSecond(of(side, key, (r) => r.seconds));

    figure(
      'produce, RF 1 acks=1 (raw sender: 1 KiB records, 100/batch, 8 in flight)',
      'MB/s',
      'higher',
      (side) => throughput(side, 'rf1'),
    );
    figure('produce, RF 3 acks=all (min.insync.replicas=2)', 'MB/s', 'higher', (side) =>
      throughput(side, 'rf3'),
    );
    figure(
      'produce, RF 1 acks=1',
      'records/s',
      'higher',
      (side) => records / of(side, 'rf1', (r) => r.seconds),
    );
    figure(
      'produce, RF 3 acks=all',
      'records/s',
      'higher',
      (side) => records / of(side, 'rf3', (r) => r.seconds),
    );
    figure(
      'produce ratio RF 3 acks=all / RF 1 acks=1',
      '',
      'higher',
      (side) => throughput(side, 'rf3') / throughput(side, 'rf1'),
    );
    for (const [p, pick] of [
      ['p50', (r: ProduceRun) => r.p50],
      ['p99', (r: ProduceRun) => r.p99],
    ] as const) {
      figure(
        `produce latency ${p}, RF 1 acks=1 (one 1 KiB record a request, one at a time)`,
        'ms',
        'lower',
        (side) => of(side, 'rf1', pick),
      );
      figure(`produce latency ${p}, RF 3 acks=all`, 'ms', 'lower', (side) => of(side, 'rf3', pick));
      figure(
        `latency ${p} ratio RF 3 acks=all / RF 1 acks=1`,
        '',
        'lower',
        (side) => of(side, 'rf3', pick) / of(side, 'rf1', pick),
      );
    }
    figure(
      `failover: leader stopped to first acks=all produce on the new leader (median of ${options.failovers})`,
      'ms',
      'lower',
      (side) => median(failovers.get(side)!.map((f) => f.ms)),
    );
    figure('failover: leader stopped to its stop returning', 'ms', 'lower', (side) =>
      median(failovers.get(side)!.map((f) => f.stopMs)),
    );
    return { against, ran: withReference, comparisons };
  } finally {
    for (const client of clients.values()) client.close();
    for (const c of clusters) await c.close().catch(() => undefined);
  }
}
