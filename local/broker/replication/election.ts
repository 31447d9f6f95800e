/**
 * The controller's decisions about one partition, as pure functions of its replicas, in-sync replicas
 * and which brokers are alive (after Kafka's PartitionChangeBuilder and Partition.isFollowerInSync).
 */

/** The replicas of one partition, in assignment order, and the ones in sync. */
export interface ReplicaSets {
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

/**
 * The leader after a change: the current one while it stays alive and in sync; else the first replica,
 * in assignment order, that is in sync and alive; else none (-1). No unclean election: a replica out of
 * the ISR never leads, Kafka's default (unclean.leader.election.enable=false; SKIPPED.md).
 */
export function electLeader(sets: ReplicaSets, current: number, alive: (nodeId: number) => boolean): number {
  if (current >= 0 && alive(current) && sets.isr.includes(current)) return current;
  return sets.replicas.find((r) => sets.isr.includes(r) && alive(r)) ?? -1;
}

/**
 * The ISR without the brokers that died, in the ISR's order. Its last member is never removed (Kafka
 * keeps it so the partition knows which replica may lead when it comes back).
 */
export function isrWithout(isr: readonly number[], dead: (nodeId: number) => boolean): number[] {
  const kept = isr.filter((r) => !dead(r));
  return kept.length > 0 ? kept : isr.slice(-1);
}

/** A follower's replication progress, as its leader sees it. */
export interface FollowerProgress {
  readonly logEndOffset: number;
  /** Last time its log end reached the leader's. */
  readonly lastCaughtUpMs: number;
}

/**
 * Whether an in-sync follower has fallen out of sync: behind the leader's log end for longer than
 * replica.lag.time.max.ms (Partition.getOutOfSyncReplicas).
 */
export function isOutOfSync(
  follower: FollowerProgress,
  leaderEndOffset: number,
  now: number,
  lagTimeMaxMs: number,
): boolean {
  return follower.logEndOffset < leaderEndOffset && now - follower.lastCaughtUpMs > lagTimeMaxMs;
}

/**
 * Whether a follower outside the ISR may rejoin it: alive, and its log reaches both the high watermark
 * and the start of the leader's current epoch (Partition.isFollowerInSync).
 */
export function mayJoinIsr(
  followerEndOffset: number,
  highWatermark: number,
  leaderEpochStartOffset: number,
): boolean {
  return followerEndOffset >= highWatermark && followerEndOffset >= leaderEpochStartOffset;
}

/**
 * Where a follower whose last epoch is `followerEpoch` must cut its log before copying from the
 * leader (KIP-101 / KIP-279): the leader's end of that epoch, or of the largest epoch below it, and
 * never past what the follower itself wrote in that epoch. `leaderAnswer` is the leader's
 * OffsetForLeaderEpoch answer; `followerEndFor` the follower's own for an epoch.
 */
export function truncationOffset(
  followerEndOffset: number,
  followerHighWatermark: number,
  leaderAnswer: { readonly epoch: number; readonly endOffset: number },
  followerEndFor: (epoch: number) => number,
): number {
  if (leaderAnswer.epoch < 0) return Math.min(followerHighWatermark, followerEndOffset);
  return Math.min(leaderAnswer.endOffset, followerEndFor(leaderAnswer.epoch), followerEndOffset);
}
