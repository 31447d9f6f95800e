/**
 * One partition and its replicas: a log per replica (each on its own broker), the leader, its epoch,
 * the in-sync replicas and the high watermark. The leader appends; followers copy from the leader's
 * log (replicateFollowers, run by the controller after appends, as Kafka's followers fetch); the high
 * watermark is the lowest log end among the in-sync replicas; acks=-1 produces wait for it.
 *
 * What Kafka's brokers do over the network (followers' Fetch, AlterPartition to the controller)
 * happens here in process: the replicas share no state but the bytes of the batches they copy.
 */
import { ErrorCode } from '../../kafka/errors';
import type { BatchInfo } from '../../kafka/record-batch';
import type { PartitionLog } from '../log/partition-log';
import { isOutOfSync, mayJoinIsr, truncationOffset } from './election';

/** What a partition needs to know of its topic and cluster. */
export interface PartitionEnvironment {
  /** The topic's min.insync.replicas, read at each use (it can be altered). */
  readonly minInsyncReplicas: () => number;
  /** Whether a broker may hold a live replica now (running or paused, not fenced). */
  readonly alive: (nodeId: number) => boolean;
  /** Whether a broker is copying now (running: a paused broker's followers stand still). */
  readonly running: (nodeId: number) => boolean;
  /** replica.lag.time.max.ms */
  readonly replicaLagTimeMaxMs: number;
  /**
   * Keep the high watermark where it is while the ISR is smaller than min.insync.replicas, as Apache
   * Kafka 3.9 does, so a record acknowledged with acks=1 then is not read before it is replicated.
   */
  readonly freezeHighWatermarkUnderMinIsr: boolean;
  readonly now: () => number;
  /** Journals leader, epoch and ISR changes, so a restart elects from the same ISR. */
  readonly onStateChange: (partition: Partition) => void;
}

/** An acks=-1 produce waiting for its batch to be replicated. */
interface AckWaiter {
  readonly requiredOffset: number;
  readonly leaderEpoch: number;
  readonly resolve: (code: number) => void;
}

/** Leader, epoch and ISR, as the controller journals them. */
export interface PartitionState {
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
}

export class Partition {
  leader: number;
  leaderEpoch = 0;
  isr: number[];
  /** The leader before it went offline, whose log `log` keeps answering for (stats, tools). */
  private lastLeader: number;
  /** Last time each follower's log end reached the leader's. */
  private readonly caughtUpAt = new Map<number, number>();
  /** Followers that must check their log against the leader's before copying (a new leader, a restart). */
  private readonly mustTruncate = new Set<number>();
  private readonly waiters = new Set<AckWaiter>();

  constructor(
    readonly index: number,
    /** Node ids of the replicas, in assignment order (the first is the preferred leader). */
    readonly replicas: readonly number[],
    private readonly logs: ReadonlyMap<number, PartitionLog>,
    private readonly env: PartitionEnvironment,
    state?: PartitionState,
  ) {
    this.leader = state?.leader ?? replicas[0];
    this.leaderEpoch = state?.leaderEpoch ?? 0;
    this.isr = state ? [...state.isr] : [...replicas];
    this.lastLeader = this.leader >= 0 ? this.leader : replicas[0];
    const now = env.now();
    for (const r of replicas) {
      this.caughtUpAt.set(r, now);
      if (r !== this.leader) this.mustTruncate.add(r);
    }
    if (this.leader >= 0) this.log.noteEpoch(this.leaderEpoch, this.log.logEndOffset);
  }

  /** The leader's log (the last leader's while the partition is offline). */
  get log(): PartitionLog {
    return this.logs.get(this.leader >= 0 ? this.leader : this.lastLeader)!;
  }

  /** Each replica's log, by node id. */
  replicaLog(nodeId: number): PartitionLog | undefined {
    return this.logs.get(nodeId);
  }

  get allLogs(): readonly PartitionLog[] {
    return [...this.logs.values()];
  }

  get highWatermark(): number {
    return this.log.highWatermark;
  }

  /** Replicas on brokers that are not alive (Metadata's OfflineReplicas). */
  get offlineReplicas(): number[] {
    return this.replicas.filter((r) => !this.env.alive(r));
  }

  /** min.insync.replicas as Kafka applies it: never more than the replicas there are. */
  get effectiveMinIsr(): number {
    return Math.min(this.env.minInsyncReplicas(), this.replicas.length);
  }

  get state(): PartitionState {
    return { leader: this.leader, leaderEpoch: this.leaderEpoch, isr: [...this.isr] };
  }

  /**
   * The leader's append of a produced batch, stamped with the leader epoch: returns its base offset.
   * With acks=-1 Kafka first checks that the ISR is large enough (NOT_ENOUGH_REPLICAS, nothing written).
   */
  appendAsLeader(batch: BatchInfo, now: number, logAppendTime: boolean): number {
    const base = this.log.append([batch], now, logAppendTime, this.leaderEpoch);
    this.advanceHighWatermark();
    return base;
  }

  /** Whether an acks=-1 produce may append now (Kafka: ISR at least min.insync.replicas). */
  get enoughReplicasToAppend(): boolean {
    return this.isr.length >= this.effectiveMinIsr;
  }

  /**
   * Waits until the high watermark reaches `requiredOffset` (the end of an acks=-1 batch): NONE once
   * it does with enough replicas in sync, NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR fell below
   * min.insync.replicas, NOT_LEADER_OR_FOLLOWER if leadership moved, REQUEST_TIMED_OUT at the timeout.
   */
  awaitReplication(requiredOffset: number, timeoutMs: number, onClose: (cb: () => void) => () => void) {
    return new Promise<number>((resolve) => {
      let done = false;
      const cleanup: { timer?: NodeJS.Timeout; unsubscribe?: () => void } = {};
      const waiter: AckWaiter = {
        requiredOffset,
        leaderEpoch: this.leaderEpoch,
        resolve: (code) => {
          if (done) return;
          done = true;
          this.waiters.delete(waiter);
          clearTimeout(cleanup.timer);
          cleanup.unsubscribe?.();
          resolve(code);
        },
      };
      const now = this.replicationOutcome(waiter);
      if (now !== undefined) return resolve(now);
      this.waiters.add(waiter);
      cleanup.timer = setTimeout(() => waiter.resolve(ErrorCode.REQUEST_TIMED_OUT), Math.max(0, timeoutMs));
      cleanup.unsubscribe = onClose(() => waiter.resolve(ErrorCode.REQUEST_TIMED_OUT));
    });
  }

  /** A waiting produce's answer now, or undefined while it must keep waiting (checkEnoughReplicasReachOffset). */
  private replicationOutcome(waiter: AckWaiter): number | undefined {
    if (this.leader < 0 || this.leaderEpoch !== waiter.leaderEpoch) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    if (this.log.highWatermark < waiter.requiredOffset) return undefined;
    return this.isr.length >= this.effectiveMinIsr
      ? ErrorCode.NONE
      : ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND;
  }

  /**
   * After a change of ISR or leader: moves the high watermark if it can and answers the waiting
   * produces that can be answered now; true if the high watermark moved.
   */
  private settle(): boolean {
    const moved = this.advanceHighWatermark(); // answers the waiters itself when it moves
    if (!moved) this.settleWaiters();
    return moved;
  }

  /**
   * Answers every waiting acks=-1 produce NOT_LEADER_OR_FOLLOWER: the partition is gone (its topic was
   * deleted), as Kafka answers a produce whose partition left the broker.
   */
  abandonWaiters(): void {
    for (const w of [...this.waiters]) w.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }

  private settleWaiters(): void {
    for (const w of [...this.waiters]) {
      const outcome = this.replicationOutcome(w);
      if (outcome !== undefined) w.resolve(outcome);
    }
  }

  /**
   * Moves the leader's high watermark to the lowest log end in the ISR; true if it moved. Running
   * followers learn it at once (Kafka's learn it in their next fetch, which a leader's high-watermark
   * change answers), so a follower elected leader next serves what was acknowledged.
   */
  advanceHighWatermark(): boolean {
    if (this.leader < 0) return false;
    if (this.env.freezeHighWatermarkUnderMinIsr && this.isr.length < this.effectiveMinIsr) return false;
    let lowest = Infinity;
    for (const r of this.isr) lowest = Math.min(lowest, this.logs.get(r)!.logEndOffset);
    const moved = this.log.advanceHighWatermark(lowest);
    if (moved) {
      const hw = this.log.highWatermark;
      for (const r of this.replicas) {
        if (r !== this.leader && this.env.running(r)) this.logs.get(r)!.advanceHighWatermark(hw);
      }
      this.settleWaiters();
    }
    return moved;
  }

  /**
   * One round of replication: every running follower cuts its log where it diverges from the leader's
   * (after a leader change or its own restart), copies what the leader has beyond its log end, learns
   * the leader's log start and high watermark; followers that caught up rejoin the ISR, and the high
   * watermark moves. Returns whether anything changed that fetches waiting for data should see.
   */
  replicateFollowers(): boolean {
    if (this.leader < 0) return false;
    const leaderLog = this.log;
    const now = this.env.now();
    let changed = false;
    for (const r of this.replicas) {
      if (r === this.leader || !this.env.alive(r) || !this.env.running(r)) continue;
      const follower = this.logs.get(r)!;
      if (this.mustTruncate.delete(r)) {
        const cut = truncationOffset(
          follower.logEndOffset,
          follower.highWatermark,
          leaderLog.endOffsetForEpoch(follower.latestEpoch),
          (epoch) => follower.endOffsetForEpoch(epoch).endOffset,
        );
        follower.truncateTo(Math.max(cut, 0));
      }
      if (
        follower.logEndOffset < leaderLog.logStartOffset ||
        follower.logEndOffset > leaderLog.logEndOffset
      ) {
        follower.resetTo(leaderLog.logStartOffset);
      }
      const before = follower.logEndOffset;
      while (follower.logEndOffset < leaderLog.logEndOffset) {
        const { batches } = leaderLog.read(follower.logEndOffset, 1024 * 1024, leaderLog.logEndOffset);
        if (batches.length === 0) break;
        follower.appendReplica(batches, now);
      }
      if (leaderLog.logStartOffset > follower.logStartOffset) follower.deleteBefore(leaderLog.logStartOffset);
      follower.advanceHighWatermark(leaderLog.highWatermark);
      if (follower.logEndOffset === leaderLog.logEndOffset) this.caughtUpAt.set(r, now);
      if (follower.logEndOffset !== before) changed = true;
      if (
        !this.isr.includes(r) &&
        mayJoinIsr(follower.logEndOffset, leaderLog.highWatermark, this.epochStartOffset(leaderLog))
      ) {
        this.isr = [...this.isr, r]; // Kafka adds a returning replica at the end of the ISR
        this.env.onStateChange(this);
        changed = true;
      }
    }
    return this.settle() || changed;
  }

  /** Where the leader's current epoch began in its log. */
  private epochStartOffset(leaderLog: PartitionLog): number {
    return leaderLog.epochEntries.find((e) => e.epoch === this.leaderEpoch)?.startOffset ?? 0;
  }

  /**
   * Drops in-sync followers that have been behind the leader for longer than replica.lag.time.max.ms;
   * true if the ISR shrank.
   */
  shrinkIsr(): boolean {
    if (this.leader < 0) return false;
    const now = this.env.now();
    const leaderEnd = this.log.logEndOffset;
    const out = this.isr.filter(
      (r) =>
        r !== this.leader &&
        isOutOfSync(
          { logEndOffset: this.logs.get(r)!.logEndOffset, lastCaughtUpMs: this.caughtUpAt.get(r) ?? 0 },
          leaderEnd,
          now,
          this.env.replicaLagTimeMaxMs,
        ),
    );
    if (out.length === 0) return false;
    this.isr = this.isr.filter((r) => !out.includes(r));
    this.env.onStateChange(this);
    this.settle();
    return true;
  }

  /**
   * Applies a controller decision: a new ISR and leader. A new leader bumps the epoch, starts it in
   * its log at its log end (Kafka's epoch cache entry) and makes every follower check its log
   * against the new leader's before copying.
   */
  changeState(leader: number, isr: readonly number[]): void {
    const leaderChanged = leader !== this.leader;
    if (!leaderChanged && isr.length === this.isr.length && isr.every((r) => this.isr.includes(r))) return;
    this.isr = [...isr];
    if (leaderChanged) {
      if (this.leader >= 0) this.lastLeader = this.leader;
      this.leader = leader;
      this.leaderEpoch++;
      if (leader >= 0) {
        this.lastLeader = leader;
        const log = this.log;
        log.noteEpoch(this.leaderEpoch, log.logEndOffset);
        const now = this.env.now();
        for (const r of this.replicas) {
          if (r !== leader) this.mustTruncate.add(r);
          this.caughtUpAt.set(r, now);
        }
      }
    }
    this.env.onStateChange(this);
    this.settle();
  }

  /** A broker came back: its replica must check its log against the leader's before copying again. */
  replicaRestarted(nodeId: number): void {
    if (nodeId !== this.leader) this.mustTruncate.add(nodeId);
    this.caughtUpAt.set(nodeId, this.env.now());
  }
}
