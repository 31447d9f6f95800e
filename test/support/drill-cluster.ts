/**
 * A three-broker cluster to run failure drills on, the same way whichever side it is: Apache Kafka
 * (the reference, three broker JVMs and a controller of their own) or the embedded broker (three
 * brokers in this process). A drill stops and starts brokers by node id and watches, through the
 * Kafka protocol only, what clients see: leaders, replicas and in-sync replicas in Metadata, which
 * broker coordinates a group.
 *
 * Stopping is a controlled shutdown on both sides: Apache Kafka's node gets SIGTERM (it hands its
 * leaderships over and leaves the in-sync replica sets before it exits), the embedded broker's
 * `control.stop` does the same in place.
 */
import type { Struct } from '../../local/kafka/message-codec';
import { errorName } from '../../local/kafka/errors';
import { FetchSchema } from '../../local/kafka/messages/01-fetch';
import { FindCoordinatorSchema } from '../../local/kafka/messages/10-find-coordinator';
import { MetadataSchema } from '../../local/kafka/messages/03-metadata';
import { requestFrame } from '../../local/kafka/request-frame';
import { decodeResponse } from '../../local/kafka/response-frame';
import type { ApiSchema } from '../../local/kafka/schema';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../local/broker/broker';
import { startApacheKafka } from './apache-kafka';
import { storedRecords } from '../conformance/batch-builder';
import { fetchRequest, RawConnection } from './raw-kafka';
import { until } from './until';

export type DrillSide = 'Apache Kafka' | 'embedded';

export interface DrillBroker {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  /** Whether it was started and not stopped since (as the drill drives it, not as Metadata says). */
  readonly running: boolean;
}

export interface DrillCluster {
  readonly name: DrillSide;
  /** host:port of every broker, for a client's bootstrap setting. */
  readonly bootstrapServers: string;
  readonly nodeIds: readonly number[];
  readonly brokers: readonly DrillBroker[];
  /** Controlled shutdown of one broker; resolves once it no longer accepts connections. */
  stop(nodeId: number): Promise<void>;
  /** Starts a stopped broker again on its port; resolves once it accepts connections. */
  start(nodeId: number): Promise<void>;
  /** Stops every broker and removes what they stored. */
  close(): Promise<void>;
}

/**
 * The settings both sides run drills with: Kafka's behaviour, with the waits that do not change it
 * shortened so that a drill takes seconds. A follower that stops fetching leaves the ISR after
 * `replicaLagTimeMaxMs` (Kafka's default is 30 s); a broker that stops heartbeating is fenced after
 * `brokerSessionTimeoutMs` (default 9 s). A controlled shutdown does not wait for either.
 */
export const DRILL_SETTINGS = { replicaLagTimeMaxMs: 10_000, brokerSessionTimeoutMs: 6_000 } as const;

/** Three Apache Kafka brokers with one dedicated KRaft controller, the drill settings applied. */
export async function apacheKafkaDrillCluster(
  config: Readonly<Record<string, string | number | boolean>> = {},
): Promise<DrillCluster> {
  const kafka = await startApacheKafka({
    nodes: 3,
    // With every node also a controller, stopping two of three would stop the quorum, and no ISR
    // would change after that: managed clusters (MSK's KRaft mode among them) run controllers apart.
    controllers: 1,
    // Three JVMs and a controller on a small, maybe busy, machine.
    heap: '512m',
    startTimeoutMs: 180_000,
    config: {
      'replica.lag.time.max.ms': DRILL_SETTINGS.replicaLagTimeMaxMs,
      'broker.session.timeout.ms': DRILL_SETTINGS.brokerSessionTimeoutMs,
      'broker.heartbeat.interval.ms': 1000,
      ...config,
    },
  });
  return {
    name: 'Apache Kafka',
    bootstrapServers: kafka.bootstrapServers,
    nodeIds: kafka.nodes.map((n) => n.nodeId),
    get brokers() {
      return kafka.nodes.map((n) => ({
        nodeId: n.nodeId,
        host: '127.0.0.1',
        port: n.port,
        running: n.running,
      }));
    },
    stop: (nodeId) => kafka.stopNode(nodeId),
    start: (nodeId) => kafka.startNode(nodeId),
    close: () => kafka.stop(),
  };
}

/** Three embedded brokers in this process, the drill settings applied. */
export async function embeddedDrillCluster(
  options: Omit<BrokerOptions, 'brokers' | 'port'> = {},
): Promise<DrillCluster & { readonly broker: RunningBroker }> {
  const broker = await startBroker({ brokers: 3, port: 0, ...DRILL_SETTINGS, ...options });
  const { control } = broker;
  const nodeIds = broker.cluster.brokers.map((b) => b.nodeId);
  const running = (nodeId: number) =>
    control.status().brokers.find((b) => b.nodeId === nodeId)?.state !== 'stopped';
  return {
    name: 'embedded',
    broker,
    bootstrapServers: broker.bootstrapServers,
    nodeIds,
    get brokers() {
      return broker.cluster.brokers.map((b) => ({
        nodeId: b.nodeId,
        host: broker.host,
        port: broker.ports[b.nodeId - 1],
        running: running(b.nodeId),
      }));
    },
    stop: (nodeId) => control.stop(nodeId),
    start: (nodeId) => control.start(nodeId),
    close: () => broker.close(),
  };
}

/** One request to broker `nodeId` on a connection of its own, decoded; rejects if it cannot connect or hangs up. */
export async function requestTo(
  cluster: DrillCluster,
  nodeId: number,
  schema: ApiSchema,
  version: number,
  body: Struct,
  timeoutMs = 15_000,
): Promise<Struct> {
  const broker = cluster.brokers.find((b) => b.nodeId === nodeId);
  if (!broker) throw new Error(`${cluster.name} has no broker ${nodeId}`);
  const connection = await RawConnection.open(broker.port, broker.host);
  try {
    connection.write(requestFrame(schema.request, version, body, 1, 'drill'));
    const frame = await connection.response(timeoutMs);
    if (!frame) throw new Error(`${cluster.name} broker ${nodeId} closed the connection`);
    return decodeResponse(schema, version, frame).body;
  } finally {
    connection.end();
  }
}

/** A running broker to ask (the first one the drill has not stopped). */
export function runningBroker(cluster: DrillCluster): number {
  const broker = cluster.brokers.find((b) => b.running);
  if (!broker) throw new Error(`every ${cluster.name} broker is stopped`);
  return broker.nodeId;
}

/** A partition as Metadata (v12) describes it. */
export interface PartitionState {
  readonly partition: number;
  /** Error code of the partition (LEADER_NOT_AVAILABLE, 5, when it has no leader). */
  readonly errorCode: number;
  /** -1: none. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offline: readonly number[];
}

/** A topic and the cluster as one broker's Metadata describes them. */
export interface TopicState {
  /** Node ids of the brokers listed (live ones), in order. */
  readonly brokers: readonly number[];
  readonly errorCode: number;
  readonly partitions: readonly PartitionState[];
}

/** What Metadata (v12) from broker `nodeId` (default: a running one) says of a topic and the cluster. */
export async function describeTopic(
  cluster: DrillCluster,
  topic: string,
  nodeId = runningBroker(cluster),
): Promise<TopicState> {
  const metadata = await requestTo(cluster, nodeId, MetadataSchema, 12, {
    Topics: [{ TopicId: Buffer.alloc(16), Name: topic }],
    AllowAutoTopicCreation: false,
  });
  const described = (metadata.Topics as Struct[])[0];
  return {
    brokers: (metadata.Brokers as Struct[]).map((b) => b.NodeId as number).sort((a, b) => a - b),
    errorCode: described.ErrorCode as number,
    partitions: (described.Partitions as Struct[])
      .map((p) => ({
        partition: p.PartitionIndex as number,
        errorCode: p.ErrorCode as number,
        leader: p.LeaderId as number,
        leaderEpoch: p.LeaderEpoch as number,
        replicas: p.ReplicaNodes as number[],
        isr: p.IsrNodes as number[],
        offline: p.OfflineReplicas as number[],
      }))
      .sort((a, b) => a.partition - b.partition),
  };
}

/** The node id leading `partition` of `topic`, as a running broker's Metadata says (-1: none). */
export async function leaderOf(cluster: DrillCluster, topic: string, partition = 0): Promise<number> {
  const { partitions } = await describeTopic(cluster, topic);
  const p = partitions.find((x) => x.partition === partition);
  if (!p) throw new Error(`${topic} has no partition ${partition} on ${cluster.name}`);
  return p.leader;
}

/**
 * Waits until every running broker's Metadata satisfies `settled` for `topic`, and resolves to what the
 * first running broker then says; after `timeoutMs`, throws with the last answers. Each broker learns
 * of a change in its own time on Apache Kafka, so one broker's answer is not yet the cluster's.
 */
export async function untilSettled(
  cluster: DrillCluster,
  topic: string,
  settled: (state: TopicState) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<TopicState> {
  let last: (TopicState | string)[] = [];
  await until(
    async () => {
      const running = cluster.brokers.filter((b) => b.running);
      last = await Promise.all(
        running.map((b) => describeTopic(cluster, topic, b.nodeId).catch((e: Error) => e.message)),
      );
      return last.every((s) => typeof s !== 'string' && settled(s));
    },
    () => `${what} on ${cluster.name}; Metadata said ${JSON.stringify(last)}`,
    { timeoutMs, intervalMs: 200 },
  );
  return describeTopic(cluster, topic);
}

/** The node id FindCoordinator (v3) on broker `nodeId` names for `group`, or the error code's negative. */
export async function coordinatorOf(
  cluster: DrillCluster,
  group: string,
  nodeId = runningBroker(cluster),
): Promise<{ errorCode: number; nodeId: number }> {
  const answer = await requestTo(cluster, nodeId, FindCoordinatorSchema, 3, { Key: group, KeyType: 0 });
  return { errorCode: answer.ErrorCode as number, nodeId: answer.NodeId as number };
}

/**
 * Every record value in the topic, by partition, fetched (Fetch v11, read_uncommitted) from each
 * partition's leader from offset 0 up to its high watermark.
 */
export async function readLog(cluster: DrillCluster, topic: string): Promise<string[][]> {
  const { partitions } = await describeTopic(cluster, topic);
  return Promise.all(
    partitions.map(async (p) => {
      const broker = cluster.brokers.find((b) => b.nodeId === p.leader);
      if (!broker) throw new Error(`${topic}-${p.partition} has no leader on ${cluster.name}`);
      const connection = await RawConnection.open(broker.port, broker.host);
      try {
        const out: string[] = [];
        let offset = 0;
        for (;;) {
          connection.write(fetchRequest(topic, BigInt(offset), { partition: p.partition }));
          const frame = await connection.response(10_000);
          if (!frame) throw new Error(`${cluster.name} broker ${p.leader} closed the connection`);
          const body = decodeResponse(FetchSchema, 11, frame).body;
          const answer = ((body.Responses as Struct[])[0].Partitions as Struct[])[0];
          if (answer.ErrorCode !== 0) {
            throw new Error(`Fetch ${topic}-${p.partition}: ${errorName(answer.ErrorCode as number)}`);
          }
          const records = storedRecords(answer.Records as Buffer | null).filter((r) => r.offset >= offset);
          out.push(...records.map((r) => r.value ?? ''));
          if (records.length === 0) break;
          offset = records[records.length - 1].offset + 1;
          if (offset >= Number(answer.HighWatermark)) break;
        }
        return out;
      } finally {
        connection.end();
      }
    }),
  );
}
