/**
 * The classic consumer-group coordinator, answering as Apache Kafka 3.9's does (the coordinator its
 * KRaft brokers run by default; kafka.coordinator.group.GroupCoordinator). It finds or creates the
 * group a request names and hands the request to it: each group runs its own state machine
 * (classic-group.ts), and committed offsets are kept by the offset store (offset-store.ts). What is
 * decided here: which requests need a group that exists, the session timeout bounds, the timer that
 * expires deadlines, and forgetting groups. Empty groups without committed offsets are forgotten every
 * ten minutes, as Kafka's offsets retention check does. One coordinator serves every group of the
 * process.
 */
import { ErrorCode } from '../../kafka/errors';
import type { Journal } from '../storage/journal';
import type { OffsetEntry } from '../storage/data-dir';
import {
  ClassicGroup,
  type GroupDescription,
  type GroupState,
  type JoinRequest,
  type LeavingMember,
  type SyncOptions,
} from './classic-group';
import { joinError, syncError, type JoinResult, type SyncResult } from './group-member';
import { OffsetStore, type CommittedOffset } from './offset-store';

export type { CommittedOffset } from './offset-store';
export type { GroupDescription, JoinRequest } from './classic-group';
export type { JoinResult, SyncResult } from './group-member';

export interface LeaveResult {
  /** Set when the whole request failed (then no member results). */
  readonly errorCode: number;
  /** Per member, with the ids as the request gave them. */
  readonly members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export interface GroupCoordinatorOptions {
  /** Clock, for tests. */
  readonly now?: () => number;
  /** How often deadlines are checked. @default 250 ms */
  readonly sweepIntervalMs?: number;
  /** Where committed offsets persist; none keeps them in memory. */
  readonly offsetsJournal?: Journal<OffsetEntry>;
  /** group.min.session.timeout.ms. @default 6000, Kafka's */
  readonly minSessionTimeoutMs?: number;
  /** group.max.session.timeout.ms. @default 1 800 000, Kafka's */
  readonly maxSessionTimeoutMs?: number;
}

/** What deleting a topic needs of the cluster. */
export interface TopicDeleter {
  deleteTopic(name: string): void;
}

/** offsets.retention.check.interval.ms: how often Empty groups without offsets are forgotten. */
const EMPTY_GROUP_CLEANUP_INTERVAL_MS = 10 * 60 * 1000;

export class GroupCoordinator {
  private readonly groups = new Map<string, ClassicGroup>();
  private readonly offsets: OffsetStore;
  private readonly now: () => number;
  private readonly minSessionTimeoutMs: number;
  private readonly maxSessionTimeoutMs: number;
  private readonly sweeper: NodeJS.Timeout;
  private readonly cleaner: NodeJS.Timeout;

  constructor(options: GroupCoordinatorOptions = {}) {
    this.now = options.now ?? Date.now;
    this.minSessionTimeoutMs = options.minSessionTimeoutMs ?? 6000;
    this.maxSessionTimeoutMs = options.maxSessionTimeoutMs ?? 1_800_000;
    this.offsets = new OffsetStore(options.offsetsJournal);
    // A restarted broker knows its groups by their committed offsets: Empty, at generation 0.
    for (const groupId of this.offsets.groupIds()) this.createGroup(groupId);
    this.sweeper = setInterval(() => this.expireDeadlines(), options.sweepIntervalMs ?? 250);
    this.sweeper.unref();
    this.cleaner = setInterval(() => this.forgetEmptyGroups(), EMPTY_GROUP_CLEANUP_INTERVAL_MS);
    this.cleaner.unref();
  }

  close(): void {
    clearInterval(this.sweeper);
    clearInterval(this.cleaner);
  }

  private createGroup(groupId: string): ClassicGroup {
    const g = new ClassicGroup(groupId, this.now);
    this.groups.set(groupId, g);
    return g;
  }

  // ---- JoinGroup, SyncGroup, Heartbeat and LeaveGroup

  /** Answers once the member's join is decided: at once, or when the join phase ends. */
  join(req: JoinRequest): Promise<JoinResult> {
    return new Promise((respond) => {
      if (req.groupId === '') return respond(joinError(req.memberId, ErrorCode.INVALID_GROUP_ID));
      if (
        req.sessionTimeoutMs < this.minSessionTimeoutMs ||
        req.sessionTimeoutMs > this.maxSessionTimeoutMs
      ) {
        return respond(joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
      }
      let g = this.groups.get(req.groupId);
      if (!g) {
        // Only a member without an id creates a group; an id names a member of a group that is gone.
        if (req.memberId !== '') return respond(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
        g = this.createGroup(req.groupId);
      }
      g.join(req, respond);
    });
  }

  /** Answers once the member's assignment is known: at once, or when the leader's SyncGroup arrives. */
  sync(
    groupId: string,
    generationId: number,
    memberId: string,
    assignments: readonly { memberId: string; assignment: Buffer }[],
    options: SyncOptions = {},
  ): Promise<SyncResult> {
    return new Promise((respond) => {
      if (groupId === '') return respond(syncError(ErrorCode.INVALID_GROUP_ID));
      const g = this.groups.get(groupId);
      if (!g) return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      g.sync(generationId, memberId, assignments, options, respond);
    });
  }

  heartbeat(
    groupId: string,
    generationId: number,
    memberId: string,
    groupInstanceId: string | null = null,
  ): number {
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const g = this.groups.get(groupId);
    if (!g) return ErrorCode.UNKNOWN_MEMBER_ID;
    return g.heartbeat(generationId, memberId, groupInstanceId);
  }

  /** Removes members (by member id, or by instance id alone for a static member); answers per member. */
  leave(groupId: string, leaving: readonly LeavingMember[]): LeaveResult {
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const g = this.groups.get(groupId);
    const errorCodes = g ? g.leave(leaving) : leaving.map(() => ErrorCode.UNKNOWN_MEMBER_ID);
    return {
      errorCode: ErrorCode.NONE,
      members: leaving.map((m, i) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        errorCode: errorCodes[i],
      })),
    };
  }

  private expireDeadlines(): void {
    for (const g of this.groups.values()) g.expire();
  }

  /** Forgets Empty groups without committed offsets (Kafka's offsets retention check does). */
  private forgetEmptyGroups(): void {
    for (const [groupId, g] of this.groups) {
      if (g.is('Empty') && !this.offsets.hasOffsets(groupId)) this.groups.delete(groupId);
    }
  }

  // ---- Offsets

  /**
   * Checks an offset commit against the group (see ClassicGroup.commitCheck). An unknown group is
   * created for a commit from outside the group protocol (generation -1); a commit in a generation is
   * from an older generation of a group now gone.
   */
  commitCheck(
    groupId: string,
    generationId: number,
    memberId: string,
    groupInstanceId: string | null = null,
  ): number {
    let g = this.groups.get(groupId);
    if (!g) {
      if (generationId >= 0) return ErrorCode.ILLEGAL_GENERATION;
      g = this.createGroup(groupId);
    }
    return g.commitCheck(generationId, memberId, groupInstanceId);
  }

  commitOffset(groupId: string, topic: string, partition: number, offset: CommittedOffset): void {
    if (!this.groups.has(groupId)) this.createGroup(groupId);
    this.offsets.commit(groupId, topic, partition, offset);
  }

  committedOffset(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.committed(groupId, topic, partition);
  }

  /** Topics and partitions with a committed offset in the group. */
  committedPartitions(groupId: string): { topic: string; partition: number }[] {
    return this.offsets.partitions(groupId);
  }

  /**
   * Deletes a topic from the cluster, and with it every group's committed offsets of it (as Kafka
   * does), so a new topic of that name starts clean.
   */
  deleteTopic(cluster: TopicDeleter, topic: string): void {
    cluster.deleteTopic(topic);
    this.offsets.forgetTopic(topic);
  }

  // ---- DescribeGroups, ListGroups, DeleteGroups, OffsetDelete

  /** A group's state and members (an unknown group is reported as Dead, as Kafka does). */
  describe(groupId: string): GroupDescription {
    const g = this.groups.get(groupId);
    if (!g) return { state: 'Dead', protocolType: '', protocolName: '', members: [] };
    return g.describe();
  }

  /** A group's generation; undefined for a group the coordinator does not know. */
  generation(groupId: string): number | undefined {
    return this.groups.get(groupId)?.generation;
  }

  /** Every group the coordinator knows. */
  list(): { groupId: string; protocolType: string; state: GroupState }[] {
    return [...this.groups.values()].map((g) => g.listing());
  }

  /** Deletes an Empty group and its committed offsets. */
  deleteGroup(groupId: string): number {
    const g = this.groups.get(groupId);
    if (!g) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (!g.is('Empty')) return ErrorCode.NON_EMPTY_GROUP;
    this.groups.delete(groupId);
    this.offsets.deleteGroup(groupId);
    return ErrorCode.NONE;
  }

  /**
   * Deletes committed offsets: any of an Empty group's; of a consumer group with members only for
   * topics it does not subscribe to (GROUP_SUBSCRIBED_TO_TOPIC for the others). Other groups with
   * members answer NON_EMPTY_GROUP as a whole.
   */
  deleteOffsets(
    groupId: string,
    partitions: readonly { topic: string; partition: number }[],
  ): { errorCode: number; partitions: { topic: string; partition: number; errorCode: number }[] } {
    const failed = (errorCode: number) => ({ errorCode, partitions: [] });
    if (groupId === '') return failed(ErrorCode.INVALID_GROUP_ID);
    const g = this.groups.get(groupId);
    if (!g) return failed(ErrorCode.GROUP_ID_NOT_FOUND);
    const error = g.offsetDeleteError();
    if (error !== ErrorCode.NONE) return failed(error);
    return {
      errorCode: ErrorCode.NONE,
      partitions: partitions.map(({ topic, partition }) => {
        if (g.readsTopic(topic)) return { topic, partition, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
        this.offsets.delete(groupId, topic, partition);
        return { topic, partition, errorCode: ErrorCode.NONE };
      }),
    };
  }
}
