/**
 * What the broker-failure drill (drills.test.ts) observes of a cluster, through the Kafka protocol, and
 * how it writes each observation down: as a rule a client could check ("the leader moved to the first
 * live in-sync replica in replica order") rather than as node ids, since the two sides place partitions
 * on brokers each in its own way. Also the side-by-side table the drill prints.
 */
import { errorName } from '../../local/kafka/errors';
import type { Struct } from '../../local/kafka/message-codec';
import { ListOffsetsSchema } from '../../local/kafka/messages/02-list-offsets';
import { ProduceSchema } from '../../local/kafka/messages/00-produce';
import {
  coordinatorOf,
  requestTo,
  type DrillCluster,
  type DrillSide,
  type PartitionState,
} from '../support/drill-cluster';
import { until } from '../support/until';
import { recordBatch } from './batch-builder';
import { listOffsetsBody, produceBody } from './topic-requests';

/** One fact a step of the drill observed on one side. */
export interface Fact {
  readonly step: string;
  readonly what: string;
  readonly value: string;
  /** A figure that depends on timing (redeliveries after a rebalance): shown, not compared. */
  readonly informational?: boolean;
}

/** A fact both sides are known to observe differently, and why. */
export interface KnownDifference {
  readonly step: string;
  readonly what: string;
  readonly reason: string;
  /** A `**heading**` of local/broker/SKIPPED.md that lists it, for a difference from Kafka's behaviour. */
  readonly skipped?: string;
}

const sameSet = (x: readonly number[], y: readonly number[]) => [...x].sort().join() === [...y].sort().join();

/** A partition just created: its replicas, ISR and leader, by rule. */
export function describeFresh(p: PartitionState): string {
  const isr = sameSet(p.isr, p.replicas) ? 'isr = replicas' : `isr ${p.isr.length} of them`;
  const leader = p.leader === p.replicas[0] ? 'the first replica' : 'another replica';
  return `${p.replicas.length} replicas, ${isr}, leader ${leader}`;
}

/** How a partition changed since `before`, with the brokers `stopped` now. */
export function describeChange(
  before: PartitionState,
  after: PartitionState,
  stopped: readonly number[],
): string {
  const live = (n: number) => !stopped.includes(n);
  const firstLiveInIsr = before.replicas.find((n) => before.isr.includes(n) && live(n));
  const leader =
    after.leader === -1
      ? 'none'
      : after.leader === before.leader
        ? 'kept'
        : after.leader === firstLiveInIsr
          ? 'moved to the first live in-sync replica in replica order'
          : after.leader === after.replicas[0]
            ? 'moved back to the first replica'
            : 'moved elsewhere';
  const isr = sameSet(after.isr, before.isr)
    ? 'unchanged'
    : sameSet(after.isr, after.replicas.filter(live))
      ? stopped.length
        ? 'the running replicas'
        : 'all replicas'
      : `${after.isr.length} others`;
  const epoch = after.leaderEpoch - before.leaderEpoch;
  const offline =
    after.offline.length === 0
      ? 'none'
      : sameSet(after.offline, stopped)
        ? 'the stopped ones'
        : `${after.offline.length} others`;
  const replicas = after.replicas.join() === before.replicas.join() ? 'unchanged' : 'changed';
  return (
    `leader ${leader}, epoch ${epoch >= 0 ? '+' : ''}${epoch}, isr ${isr}, replicas ${replicas}, ` +
    `offline replicas ${offline}` +
    (after.errorCode ? `, ${errorName(after.errorCode)}` : '')
  );
}

/**
 * A group id that FindCoordinator places on broker `nodeId` (Kafka creates its offsets topic on the
 * first ask and answers COORDINATOR_NOT_AVAILABLE until then).
 */
export async function groupCoordinatedBy(cluster: DrillCluster, nodeId: number): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const group = `drill-readers-${i}`;
    const found = await until(async () => {
      const answer = await coordinatorOf(cluster, group);
      return answer.errorCode === 0 && answer;
    }, `a coordinator for ${group} on ${cluster.name}`);
    if (found.nodeId === nodeId) return group;
  }
  throw new Error(`no group of 100 tried has its coordinator on ${cluster.name} broker ${nodeId}`);
}

/**
 * A raw Produce (v9) of one record `<label>-p<partition>` to each partition's leader with `acks` and a
 * 2 s timeout: what the partitions answered (one cell), and the values acknowledged.
 */
export async function rawProduce(
  cluster: DrillCluster,
  topic: string,
  partitions: readonly PartitionState[],
  acks: number,
  label: string,
): Promise<{ cell: string; acknowledged: string[] }> {
  const answers = await Promise.all(
    partitions.map(async (p) => {
      const value = `${label}-p${p.partition}`;
      const body = produceBody(topic, p.partition, recordBatch({ records: [{ value }] }), acks);
      const response = await requestTo(cluster, p.leader, ProduceSchema, 9, { ...body, TimeoutMs: 2000 });
      const answer = ((response.Responses as Struct[])[0].PartitionResponses as Struct[])[0];
      return { value, error: errorName(answer.ErrorCode as number) };
    }),
  );
  const errors = answers.map((a) => a.error);
  return {
    cell: errors.every((e) => e === errors[0]) ? `${errors[0]} (each partition)` : errors.join(', '),
    acknowledged: answers.filter((a) => a.error === 'NONE').map((a) => a.value),
  };
}

/** Each partition's high watermark (ListOffsets v7 latest, read_uncommitted) from broker `nodeId`. */
export async function highWatermarks(
  cluster: DrillCluster,
  nodeId: number,
  topic: string,
  partitions: readonly number[],
): Promise<number[]> {
  return Promise.all(
    partitions.map(async (partition) => {
      const response = await requestTo(
        cluster,
        nodeId,
        ListOffsetsSchema,
        7,
        listOffsetsBody(topic, partition, -1n),
      );
      const answer = ((response.Topics as Struct[])[0].Partitions as Struct[])[0];
      if (answer.ErrorCode !== 0) {
        throw new Error(`ListOffsets ${topic}-${partition}: ${errorName(answer.ErrorCode as number)}`);
      }
      return Number(answer.Offset);
    }),
  );
}

export interface ComparedFact {
  readonly step: string;
  readonly what: string;
  readonly apache: string;
  readonly embedded: string;
  /** 'yes', 'NO', 'not compared', or 'no, listed [n]' (the n-th known difference). */
  readonly same: string;
  readonly listed?: KnownDifference;
}

/** Both sides' facts side by side, by step and what, in the order the drill observed them. */
export function compareFacts(
  sides: Record<DrillSide, readonly Fact[]>,
  known: readonly KnownDifference[],
): ComparedFact[] {
  const key = (f: { step: string; what: string }) => `${f.step}\u0000${f.what}`;
  const all = [...sides['Apache Kafka'], ...sides.embedded];
  return [...new Set(all.map(key))].map((k) => {
    const [step, what] = k.split('\u0000');
    const apache = sides['Apache Kafka'].find((f) => key(f) === k)?.value ?? '(not reached)';
    const embedded = sides.embedded.find((f) => key(f) === k)?.value ?? '(not reached)';
    const listed = known.find((d) => key(d) === k);
    const informational = all.some((f) => key(f) === k && f.informational);
    // A timing-dependent figure is never compared, even when both sides happen to agree: counted as
    // the same in one run and left out in the next, it made the conformance table's totals drift.
    const same = informational
      ? 'not compared'
      : apache === embedded
        ? 'yes'
        : listed
          ? `no, listed [${known.indexOf(listed) + 1}]`
          : 'NO';
    return { step, what, apache, embedded, same, listed };
  });
}

/**
 * The compared facts as a text table (step | what | Apache Kafka | embedded | same?), then the reason
 * for each listed difference, numbered as `same?` refers to them.
 */
export function factTable(rows: readonly ComparedFact[], known: readonly KnownDifference[]): string {
  const header = { step: 'step', what: 'what', apache: 'Apache Kafka', embedded: 'embedded', same: 'same?' };
  const columns = Object.keys(header) as (keyof typeof header)[];
  const widths = columns.map((c) => Math.max(...[header, ...rows].map((r) => r[c].length)));
  const line = (r: Pick<ComparedFact, keyof typeof header>) =>
    columns.map((c, i) => r[c].padEnd(widths[i])).join(' | ');
  const reasons = known.map((d, i) => `[${i + 1}] ${d.step}, ${d.what}: ${d.reason}`);
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line), '', ...reasons].join(
    '\n',
  );
}
