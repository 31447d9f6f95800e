/**
 * What the client probe suites (franz-go, the Python clients, the Java client) share: running a probe
 * command that must succeed, the orders every probe sends, the fields of a reported record that are
 * the same in every run, and the checks of what a probe reported against what the broker holds.
 */
import {
  clusterNodes,
  committedOffsets,
  endOffsets,
  idempotenceProblems,
  placements,
  storedBatches,
  unreplicatedPartitions,
  type StoredBatch,
} from './broker-view';
import { eventsNamed, succeeded, type PeerEvent, type PeerRun } from './peers';

/**
 * `run` as a probe's command line, `COMMAND BOOTSTRAP ARGS...` against `broker`, throwing with the
 * probe's stderr unless it exits 0.
 */
export function probeCommands(
  label: string,
  run: (args: readonly string[]) => Promise<PeerRun>,
  broker: { readonly bootstrap: string },
): (command: string, ...args: string[]) => Promise<PeerRun> {
  return async (command, ...args) =>
    succeeded(await run([command, broker.bootstrap, ...args]), `${label} ${command}`);
}

/** What a probe reported of producing orders to a topic and consuming them back in a group. */
export interface ProducedThenConsumed {
  produced: PeerEvent[];
  consumed: PeerEvent[];
  /** The offsets the consumer reported committing. */
  committed: unknown;
}

/**
 * Runs the probe's `produce TOPIC COUNT`, then its `consume TOPIC GROUP COUNT`, before the enclosing
 * block's tests; the returned object holds what they reported once those tests run.
 */
export function producedThenConsumed(
  probe: (command: string, ...args: string[]) => Promise<PeerRun>,
  topic: string,
  group: string,
  count: number,
): ProducedThenConsumed {
  const reported: ProducedThenConsumed = { produced: [], consumed: [], committed: undefined };
  beforeAll(async () => {
    reported.produced = eventsNamed(await probe('produce', topic, String(count)), 'produced');
    const run = await probe('consume', topic, group, String(count));
    reported.consumed = eventsNamed(run, 'consumed');
    reported.committed = eventsNamed(run, 'committed')[0]?.offsets;
  });
  return reported;
}

/**
 * Order i as every probe sends it (franz-go's main.go, probe_events.py and KafkaClientProbe.java each
 * have an `order`), its `source` header naming the client.
 */
export function order(i: number, source: string) {
  return { key: `customer-${i % 5}`, value: `order-${i}`, headers: { trace: `t-${i}`, source } };
}

/** Orders 0 to count - 1, each where a partitioner-correct broker stores it in three partitions. */
export function placedOrders(count: number, source: string) {
  const orders = Array.from({ length: count }, (_, i) => order(i, source));
  const placed = placements(
    orders.map((o) => o.key),
    3,
  );
  return orders.map((o, i) => ({ ...o, ...placed[i] }));
}

/** A reported record without the fields that vary from run to run. */
export function recordFields(e: PeerEvent) {
  return { key: e.key, value: e.value, headers: e.headers, partition: e.partition, offset: e.offset };
}

/** The records sorted by partition, then offset. */
export function inPartitionOrder(events: readonly PeerEvent[]): PeerEvent[] {
  return [...events].sort(
    (a, b) => Number(a.partition) - Number(b.partition) || Number(a.offset) - Number(b.offset),
  );
}

/** How many of the records are in each partition of a three-partition topic. */
export function perPartition(events: readonly PeerEvent[]): number[] {
  return [0, 1, 2].map((p) => events.filter((e) => e.partition === p).length);
}

/** Offsets by partition index, keyed `topic-partition` as the probes report commits. */
export function byTopicPartition(topic: string, offsets: readonly number[]): Record<string, number> {
  return Object.fromEntries(offsets.map((offset, p) => [`${topic}-${p}`, offset]));
}

/**
 * Checks a probe's `topic` and `cluster` events against what kafkajs reads: the partitions with their
 * leaders, spread over the three brokers, and the brokers (in the field the probe names `nodes`).
 */
export async function expectTopicAndClusterMatchBroker(
  run: PeerRun,
  bootstrap: string,
  topic: string,
  nodes: 'brokers' | 'nodes',
): Promise<void> {
  const partitions = await unreplicatedPartitions(bootstrap, topic);
  const [described] = eventsNamed(run, 'topic');
  expect(described.partitions).toEqual(partitions);
  expect(new Set(partitions.map((p) => p.leader))).toEqual(new Set([1, 2, 3]));
  const [cluster] = eventsNamed(run, 'cluster');
  expect(cluster[nodes]).toEqual(await clusterNodes(bootstrap));
}

/** The topic's stored batches, checked to hold `count` records written by idempotent producers. */
export async function idempotentBatches(
  bootstrap: string,
  topic: string,
  count: number,
): Promise<StoredBatch[]> {
  const batches = await storedBatches(bootstrap, topic);
  expect(batches.reduce((n, b) => n + b.recordCount, 0)).toBe(count);
  expect(idempotenceProblems(batches)).toEqual([]);
  return batches;
}

/** Checks that what a probe reported committing, and what kafkajs reads back, is each partition's end. */
export async function expectCommittedToTheEnd(
  bootstrap: string,
  group: string,
  topic: string,
  reported: unknown,
): Promise<void> {
  const ends = await endOffsets(bootstrap, topic);
  expect(reported).toEqual(byTopicPartition(topic, ends));
  expect(await committedOffsets(bootstrap, group, topic)).toEqual(ends);
}
