/**
 * What the control channel reports: the brokers' status from BrokerControl plus, per topic, each
 * partition's leader, replicas, ISR, leader epoch and high watermark read from the broker's stats(). Plain
 * JSON-ready data, so the CLI (and the console) can compare two snapshots to say what a drill changed.
 * It imports the broker's types only, so a client (`kw cluster`) loads none of the broker with it.
 */
import type { BrokerControl, BrokerStats, ClusterStatus } from '../broker';
import type { Cluster } from '../cluster/cluster';

export interface PartitionView {
  readonly partition: number;
  /** Node id of its leader; -1 while it has none (offline). */
  readonly leader: number;
  readonly leaderEpoch: number;
  /** Brokers holding a replica, in preference order. */
  readonly replicas: readonly number[];
  /** The in-sync replicas. */
  readonly isr: readonly number[];
  /** Replicas on brokers that are down: stopped, or paused past their session (Metadata's OfflineReplicas). */
  readonly offlineReplicas: readonly number[];
  readonly highWatermark: number;
}

export interface TopicView {
  readonly name: string;
  /** Kafka's own topics (`__consumer_offsets` and the like). */
  readonly internal: boolean;
  /** By partition index. */
  readonly partitions: readonly PartitionView[];
}

/** GET /status: the cluster's status and every topic's partitions. */
export interface ControlStatus extends ClusterStatus {
  readonly clusterId: string;
  readonly topics: readonly TopicView[];
}

/** Reads the status now; later changes to the cluster do not change what it returned. */
export function controlStatus(target: {
  readonly control: BrokerControl;
  readonly cluster: Pick<Cluster, 'clusterId'>;
  stats(): BrokerStats;
}): ControlStatus {
  const status = target.control.status();
  const topics = [...target.stats().topics]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((topic) => ({
      name: topic.name,
      internal: topic.name.startsWith('__'),
      partitions: topic.partitions.map((p) => ({
        partition: p.partition,
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicas: p.replicas,
        isr: p.isr,
        offlineReplicas: p.offlineReplicas,
        highWatermark: p.highWatermark,
      })),
    }));
  return {
    clusterId: target.cluster.clusterId,
    brokers: status.brokers.map((b) => ({ ...b })),
    underReplicated: status.underReplicated,
    underMinIsr: status.underMinIsr,
    offline: status.offline,
    topics,
  };
}

/** A partition whose leader or ISR differs between two snapshots. */
export interface PartitionChange {
  readonly topic: string;
  readonly partition: number;
  readonly leader: readonly [before: number, after: number];
  readonly isr: readonly [before: readonly number[], after: readonly number[]];
}

const sameMembers = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((id) => b.includes(id));

/** The partitions whose leader or ISR changed from `before` to `after` (new and deleted topics are left out). */
export function partitionChanges(before: ControlStatus, after: ControlStatus): PartitionChange[] {
  const earlier = new Map(before.topics.map((t) => [t.name, t]));
  const changes: PartitionChange[] = [];
  for (const topic of after.topics) {
    const old = earlier.get(topic.name);
    if (!old) continue;
    for (const p of topic.partitions) {
      const q = old.partitions[p.partition];
      if (!q || (q.leader === p.leader && sameMembers(q.isr, p.isr))) continue;
      changes.push({
        topic: topic.name,
        partition: p.partition,
        leader: [q.leader, p.leader],
        isr: [q.isr, p.isr],
      });
    }
  }
  return changes;
}

export const CONTROL_ACTIONS = ['stop', 'start', 'pause', 'resume'] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

/** POST /brokers/N/ACTION's answer. */
export interface ActionResult {
  readonly nodeId: number;
  readonly action: ControlAction;
  readonly before: ControlStatus;
  readonly after: ControlStatus;
  /** Partitions whose leader or ISR changed while the action ran. */
  readonly changes: readonly PartitionChange[];
}
