/**
 * The classic consumer-group coordinator, answering as Apache Kafka 3.9's does (the coordinator its
 * KRaft brokers run by default; kafka.coordinator.group.GroupCoordinator): JoinGroup, SyncGroup,
 * Heartbeat and LeaveGroup drive each group (classic-group.ts) through Empty → PreparingRebalance →
 * CompletingRebalance → Stable, with dynamic members (MEMBER_ID_REQUIRED from JoinGroup v4) and static
 * ones (group.instance.id: a rejoin takes a new member id and fences the old one, without a rebalance
 * when nothing changed); offset commits are checked against the group here and kept by offset-store.ts.
 *
 * Deadlines, as Kafka's: a member's session ends unless it is heard from within its session timeout
 * (members waiting in JoinGroup or SyncGroup are exempt); a join phase waits up to the largest
 * rebalance timeout for members to rejoin, then drops the dynamic ones that did not; members that do
 * not send SyncGroup within it are dropped too; ids handed out with MEMBER_ID_REQUIRED lapse after the
 * session timeout. A rebalance of an Empty group completes at once (group.initial.rebalance.delay.ms
 * 0). Empty groups without committed offsets are forgotten every ten minutes, as Kafka's offsets
 * retention check does. One coordinator serves every group of the process.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../kafka/errors';
import type { Journal } from '../storage/journal';
import type { OffsetEntry } from '../storage/data-dir';
import {
  ClassicGroup,
  GroupMember,
  joinError,
  syncError,
  type GroupState,
  type JoinResult,
  type Protocol,
  type SyncResult,
} from './classic-group';
import { OffsetStore, type CommittedOffset } from './offset-store';

export type { CommittedOffset } from './offset-store';
export type { JoinResult, SyncResult } from './classic-group';

export interface JoinRequest {
  readonly groupId: string;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly Protocol[];
  /** JoinGroup v4+ from a dynamic member: a first join without a member id is answered MEMBER_ID_REQUIRED. */
  readonly requireKnownMemberId: boolean;
  /** JoinGroup v9+: a static leader rejoining a Stable group is told to skip the assignment. */
  readonly supportSkippingAssignment?: boolean;
}

export interface GroupDescription {
  readonly state: GroupState;
  readonly protocolType: string;
  /** The chosen protocol, given only while Stable (as Kafka's). */
  readonly protocolName: string;
  readonly members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    /** Subscription and assignment, given only while Stable. */
    metadata: Buffer;
    assignment: Buffer;
  }[];
}

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

/** How long a new member may wait in its first JoinGroup before it is dropped (Kafka's constant). */
const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;
/** offsets.retention.check.interval.ms: how often Empty groups without offsets are forgotten. */
const EMPTY_GROUP_CLEANUP_INTERVAL_MS = 10 * 60 * 1000;

const EMPTY = Buffer.alloc(0);

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
    const g = new ClassicGroup(groupId);
    this.groups.set(groupId, g);
    return g;
  }

  // ---- JoinGroup

  join(req: JoinRequest): Promise<JoinResult> {
    return new Promise((respond) => this.handleJoin(req, respond));
  }

  private handleJoin(req: JoinRequest, respond: (result: JoinResult) => void): void {
    if (req.groupId === '') return respond(joinError(req.memberId, ErrorCode.INVALID_GROUP_ID));
    if (req.sessionTimeoutMs < this.minSessionTimeoutMs || req.sessionTimeoutMs > this.maxSessionTimeoutMs) {
      return respond(joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const isNewMember = req.memberId === '';
    let g = this.groups.get(req.groupId);
    if (!g) {
      // Only a member without an id creates a group; an id names a member of a group that is gone.
      if (!isNewMember) return respond(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      g = this.createGroup(req.groupId);
    }
    if (isNewMember) this.joinNewMember(g, req, respond);
    else this.joinCurrentMember(g, req, respond);
    if (g.is('PreparingRebalance')) this.maybeCompleteJoin(g);
  }

  private joinNewMember(g: ClassicGroup, req: JoinRequest, respond: (result: JoinResult) => void): void {
    if (!g.supportsProtocols(req.protocolType, req.protocols)) {
      return respond(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const newMemberId = `${req.groupInstanceId ?? req.clientId}-${randomUUID()}`;
    if (req.groupInstanceId !== null) {
      const oldMemberId = g.staticMembers.get(req.groupInstanceId);
      if (oldMemberId) this.replaceStaticMember(g, req, oldMemberId, newMemberId, respond);
      else this.addMemberAndRebalance(g, req, newMemberId, respond);
    } else if (req.requireKnownMemberId) {
      g.pendingMembers.set(newMemberId, this.now() + req.sessionTimeoutMs);
      respond(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    } else {
      this.addMemberAndRebalance(g, req, newMemberId, respond);
    }
  }

  private joinCurrentMember(g: ClassicGroup, req: JoinRequest, respond: (result: JoinResult) => void): void {
    const memberId = req.memberId;
    if (!g.supportsProtocols(req.protocolType, req.protocols)) {
      return respond(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    if (g.pendingMembers.has(memberId)) {
      // Ids handed out with MEMBER_ID_REQUIRED are dynamic members' (Kafka fails the request otherwise).
      if (req.groupInstanceId !== null) return respond(joinError(memberId, ErrorCode.UNKNOWN_SERVER_ERROR));
      return this.addMemberAndRebalance(g, req, memberId, respond);
    }
    const error = this.validateCurrentMember(g, memberId, req.groupInstanceId);
    if (error !== ErrorCode.NONE) return respond(joinError(memberId, error));
    const member = g.members.get(memberId)!;
    switch (g.state) {
      case 'PreparingRebalance':
        this.updateMember(member, req, respond);
        return;
      case 'CompletingRebalance':
        // The same metadata again: the member missed its JoinGroup answer; it gets it once more.
        if (member.matches(req.protocols))
          return respond(this.currentGeneration(g, member, g.isLeader(memberId)));
        this.updateMember(member, req, respond);
        this.maybePrepareRebalance(g);
        return;
      case 'Stable':
        // The leader rejoins to have the assignment redone (topic metadata changed, say).
        if (g.isLeader(memberId) || !member.matches(req.protocols)) {
          this.updateMember(member, req, respond);
          this.maybePrepareRebalance(g);
          return;
        }
        return respond(this.currentGeneration(g, member, false));
      default:
        return respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  /** The current generation, for a member that joins without changing anything. */
  private currentGeneration(g: ClassicGroup, member: GroupMember, withMembers: boolean): JoinResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: g.generationId,
      protocolType: g.protocolType,
      protocolName: g.protocolName,
      leader: g.leaderId ?? '',
      skipAssignment: false,
      memberId: member.memberId,
      members: withMembers ? g.currentMemberMetadata() : [],
    };
  }

  /** A member's protocols and timeouts from its latest JoinGroup, which now waits for the join phase. */
  private updateMember(member: GroupMember, req: JoinRequest, respond: (result: JoinResult) => void): void {
    member.protocols = req.protocols;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.awaitingJoin?.(joinError(member.memberId, ErrorCode.UNKNOWN_MEMBER_ID)); // a superseded JoinGroup
    member.awaitingJoin = respond;
  }

  private addMemberAndRebalance(
    g: ClassicGroup,
    req: JoinRequest,
    memberId: string,
    respond: (result: JoinResult) => void,
  ): void {
    const member = new GroupMember(
      memberId,
      req.groupInstanceId,
      req.clientId,
      req.clientHost,
      req.rebalanceTimeoutMs,
      req.sessionTimeoutMs,
      req.protocolType,
      req.protocols,
    );
    member.awaitingJoin = respond;
    // It cannot heartbeat before its JoinGroup is answered; if that never happens, it goes in time.
    member.sessionDeadline = this.now() + NEW_MEMBER_JOIN_TIMEOUT_MS;
    g.add(member);
    this.maybePrepareRebalance(g);
  }

  /**
   * A static member rejoining without its member id takes a new one. In a Stable group whose protocol
   * stays the same it gets the current generation back at once (JoinGroup v9+ tells a leader to skip
   * the assignment; before, it is told the old leader id so it does not assign); otherwise the group
   * rebalances.
   */
  private replaceStaticMember(
    g: ClassicGroup,
    req: JoinRequest,
    oldMemberId: string,
    newMemberId: string,
    respond: (result: JoinResult) => void,
  ): void {
    const leaderBefore = g.leaderId ?? '';
    const member = g.replaceStaticMember(req.groupInstanceId!, oldMemberId, newMemberId);
    member.sessionDeadline = this.now() + member.sessionTimeoutMs;
    this.updateMember(member, req, respond);
    if (g.is('Stable')) {
      if (g.protocolName !== g.selectProtocol()) return this.maybePrepareRebalance(g);
      const isLeader = g.isLeader(newMemberId);
      const skip = req.supportSkippingAssignment === true;
      this.answerJoin(member, {
        errorCode: ErrorCode.NONE,
        generationId: g.generationId,
        protocolType: g.protocolType,
        protocolName: g.protocolName,
        leader: skip ? (g.leaderId ?? '') : leaderBefore,
        skipAssignment: skip && isLeader,
        memberId: newMemberId,
        members: skip && isLeader ? g.currentMemberMetadata() : [],
      });
    } else if (g.is('CompletingRebalance')) {
      // The leader may be assigning to the old id: start over.
      this.prepareRebalance(g);
    }
  }

  /** Kafka's validateCurrentMember: a static member's instance id must map to its member id. */
  private validateCurrentMember(g: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const current = g.staticMembers.get(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    return g.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  private answerJoin(member: GroupMember, result: JoinResult): void {
    const respond = member.awaitingJoin;
    member.awaitingJoin = undefined;
    respond?.(result);
  }

  // ---- Rebalances

  private maybePrepareRebalance(g: ClassicGroup): void {
    if (g.canRebalance) this.prepareRebalance(g);
  }

  /** Starts a join phase; members waiting in SyncGroup are told to rejoin. */
  private prepareRebalance(g: ClassicGroup): void {
    if (g.is('CompletingRebalance')) this.propagateAssignmentError(g, ErrorCode.REBALANCE_IN_PROGRESS);
    g.pendingSync.clear();
    const fromEmpty = g.is('Empty');
    g.state = 'PreparingRebalance';
    // An Empty group waits group.initial.rebalance.delay.ms (0 here) for more members, then goes ahead
    // with whoever joined; otherwise the phase waits for every member up to the rebalance timeout.
    g.rebalanceDeadline = this.now() + (fromEmpty ? 0 : g.rebalanceTimeoutMs);
    this.maybeCompleteJoin(g);
  }

  private propagateAssignmentError(g: ClassicGroup, errorCode: number): void {
    for (const m of g.members.values()) {
      m.assignment = EMPTY;
      const respond = m.awaitingSync;
      m.awaitingSync = undefined;
      respond?.(syncError(errorCode));
    }
  }

  private maybeCompleteJoin(g: ClassicGroup): void {
    if (!g.is('PreparingRebalance')) return;
    if (g.hasAllMembersJoined || this.now() >= (g.rebalanceDeadline ?? Infinity)) this.completeJoin(g);
  }

  /** Ends a join phase: the next generation, answered to every member that rejoined. */
  private completeJoin(g: ClassicGroup): void {
    // Dynamic members that did not rejoin are gone; static ones keep their place until their session ends.
    for (const m of [...g.members.values()]) {
      if (!m.awaitingJoin && m.groupInstanceId === null) g.remove(m.memberId);
    }
    if (!g.electJoinedLeader() && g.members.size > 0) {
      // Nobody rejoined (all remaining members are static): wait another rebalance timeout.
      g.rebalanceDeadline = this.now() + g.rebalanceTimeoutMs;
      return;
    }
    g.initNextGeneration();
    g.rebalanceDeadline = undefined;
    if (g.is('Empty')) return;
    const now = this.now();
    for (const m of g.members.values()) {
      this.answerJoin(m, this.currentGeneration(g, m, g.isLeader(m.memberId)));
      m.sessionDeadline = now + m.sessionTimeoutMs;
      m.isNew = false;
      g.pendingSync.add(m.memberId);
    }
    // Members that do not sync within the rebalance timeout are dropped.
    g.rebalanceDeadline = now + g.rebalanceTimeoutMs;
  }

  // ---- SyncGroup

  sync(
    groupId: string,
    generationId: number,
    memberId: string,
    assignments: readonly { memberId: string; assignment: Buffer }[],
    options: {
      groupInstanceId?: string | null;
      protocolType?: string | null;
      protocolName?: string | null;
    } = {},
  ): Promise<SyncResult> {
    return new Promise((respond) => {
      if (groupId === '') return respond(syncError(ErrorCode.INVALID_GROUP_ID));
      const g = this.groups.get(groupId);
      if (!g) return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      const error = this.validateCurrentMember(g, memberId, options.groupInstanceId ?? null);
      if (error !== ErrorCode.NONE) return respond(syncError(error));
      if (generationId !== g.generationId) return respond(syncError(ErrorCode.ILLEGAL_GENERATION));
      const { protocolType = null, protocolName = null } = options;
      if (
        (protocolType !== null && protocolType !== g.protocolType) ||
        (protocolName !== null && protocolName !== g.protocolName)
      ) {
        return respond(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      }
      const member = g.members.get(memberId)!;
      switch (g.state) {
        case 'Empty':
          return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
        case 'PreparingRebalance':
          return respond(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        case 'CompletingRebalance':
          member.awaitingSync?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID)); // a superseded SyncGroup
          member.awaitingSync = respond;
          g.pendingSync.delete(memberId);
          if (g.isLeader(memberId)) this.completeSync(g, assignments);
          return;
        default:
          g.pendingSync.delete(memberId);
          member.sessionDeadline = this.now() + member.sessionTimeoutMs;
          return respond(this.assignmentOf(g, member));
      }
    });
  }

  private assignmentOf(g: ClassicGroup, member: GroupMember): SyncResult {
    return {
      errorCode: ErrorCode.NONE,
      protocolType: g.protocolType,
      protocolName: g.protocolName,
      assignment: member.assignment,
    };
  }

  /** The leader's assignment (members it left out get an empty one) goes to everyone waiting: Stable. */
  private completeSync(
    g: ClassicGroup,
    assignments: readonly { memberId: string; assignment: Buffer }[],
  ): void {
    const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    const now = this.now();
    for (const m of g.members.values()) {
      m.assignment = byMember.get(m.memberId) ?? EMPTY;
      const respond = m.awaitingSync;
      m.awaitingSync = undefined;
      if (!respond) continue;
      respond(this.assignmentOf(g, m));
      m.sessionDeadline = now + m.sessionTimeoutMs;
    }
    g.state = 'Stable';
  }

  // ---- Heartbeat and LeaveGroup

  heartbeat(
    groupId: string,
    generationId: number,
    memberId: string,
    groupInstanceId: string | null = null,
  ): number {
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const g = this.groups.get(groupId);
    if (!g) return ErrorCode.UNKNOWN_MEMBER_ID;
    const error = this.validateCurrentMember(g, memberId, groupInstanceId);
    if (error !== ErrorCode.NONE) return error;
    if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (g.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID;
    const member = g.members.get(memberId)!;
    member.sessionDeadline = this.now() + member.sessionTimeoutMs;
    return g.is('PreparingRebalance') ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  /** Removes members (by member id, or by instance id alone for a static member); answers per member. */
  leave(
    groupId: string,
    leaving: readonly { memberId: string; groupInstanceId: string | null }[],
  ): LeaveResult {
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const g = this.groups.get(groupId);
    const answer = (m: { memberId: string; groupInstanceId: string | null }, errorCode: number) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      errorCode,
    });
    if (!g)
      return {
        errorCode: ErrorCode.NONE,
        members: leaving.map((m) => answer(m, ErrorCode.UNKNOWN_MEMBER_ID)),
      };
    return {
      errorCode: ErrorCode.NONE,
      members: leaving.map((m) => {
        if (m.memberId === '') {
          const current = m.groupInstanceId === null ? undefined : g.staticMembers.get(m.groupInstanceId);
          if (current === undefined) return answer(m, ErrorCode.UNKNOWN_MEMBER_ID);
          this.removeMember(g, g.members.get(current)!);
          return answer(m, ErrorCode.NONE);
        }
        if (g.pendingMembers.has(m.memberId)) {
          this.removePendingMember(g, m.memberId);
          return answer(m, ErrorCode.NONE);
        }
        const error = this.validateCurrentMember(g, m.memberId, m.groupInstanceId);
        if (error === ErrorCode.NONE) this.removeMember(g, g.members.get(m.memberId)!);
        return answer(m, error);
      }),
    };
  }

  /** A member leaves or its session ended: the rest rebalance. */
  private removeMember(g: ClassicGroup, member: GroupMember): void {
    this.answerJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    const respond = member.awaitingSync;
    member.awaitingSync = undefined;
    respond?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    g.remove(member.memberId);
    if (g.is('Stable') || g.is('CompletingRebalance')) this.maybePrepareRebalance(g);
    else this.maybeCompleteJoin(g);
  }

  private removePendingMember(g: ClassicGroup, memberId: string): void {
    g.pendingMembers.delete(memberId);
    this.maybeCompleteJoin(g);
  }

  /** Sessions, join phases and syncs that ran out of time, and ids handed out but never used. */
  private expireDeadlines(): void {
    const now = this.now();
    for (const g of this.groups.values()) {
      for (const [memberId, deadline] of g.pendingMembers) {
        if (deadline <= now) this.removePendingMember(g, memberId);
      }
      for (const m of [...g.members.values()]) {
        // Members waiting on a rebalance need not heartbeat; a new one only has its first join's time.
        const waiting = !m.isNew && (m.awaitingJoin !== undefined || m.awaitingSync !== undefined);
        if (!waiting && m.sessionDeadline <= now && g.members.get(m.memberId) === m) this.removeMember(g, m);
      }
      if (g.rebalanceDeadline === undefined || g.rebalanceDeadline > now) continue;
      if (g.is('PreparingRebalance')) this.completeJoin(g);
      else if (g.is('CompletingRebalance') || g.is('Stable')) this.expirePendingSync(g);
    }
  }

  /** Members that did not send SyncGroup in time are dropped, and the rest rebalance. */
  private expirePendingSync(g: ClassicGroup): void {
    g.rebalanceDeadline = undefined;
    if (g.pendingSync.size === 0) return;
    for (const memberId of [...g.pendingSync]) g.remove(memberId);
    this.prepareRebalance(g);
  }

  /** Forgets Empty groups without committed offsets (Kafka's offsets retention check does). */
  private forgetEmptyGroups(): void {
    for (const [groupId, g] of this.groups) {
      if (g.is('Empty') && !this.offsets.hasOffsets(groupId)) this.groups.delete(groupId);
    }
  }

  // ---- Offsets

  /**
   * Checks an offset commit against the group (Kafka's validateOffsetCommit): generation -1 without a
   * member id commits from outside the group protocol, allowed while the group is Empty (an unknown
   * group is created for it); members commit within their generation, also while a rebalance is being
   * prepared, not between join and assignment.
   */
  commitCheck(
    groupId: string,
    generationId: number,
    memberId: string,
    groupInstanceId: string | null = null,
  ): number {
    let g = this.groups.get(groupId);
    if (!g) {
      if (generationId >= 0) return ErrorCode.ILLEGAL_GENERATION; // from an older generation of a group now gone
      g = this.createGroup(groupId);
    }
    if (!(generationId < 0 && g.is('Empty'))) {
      if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
        const error = this.validateCurrentMember(g, memberId, groupInstanceId);
        if (error !== ErrorCode.NONE) return error;
        if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
      } else if (!g.is('Empty')) {
        return ErrorCode.UNKNOWN_MEMBER_ID; // only members commit to a group that has some
      }
    }
    if (g.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
    const member = g.members.get(memberId);
    if (member) member.sessionDeadline = this.now() + member.sessionTimeoutMs;
    return ErrorCode.NONE;
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

  /** Forgets every group's committed offsets of a deleted topic, so a new topic of that name starts clean. */
  forgetTopic(topic: string): void {
    this.offsets.forgetTopic(topic);
  }

  // ---- DescribeGroups, ListGroups, DeleteGroups, OffsetDelete

  /** A group's state and members (an unknown group is reported as Dead, as Kafka does). */
  describe(groupId: string): GroupDescription {
    const g = this.groups.get(groupId);
    if (!g) return { state: 'Dead', protocolType: '', protocolName: '', members: [] };
    const stable = g.is('Stable');
    return {
      state: g.state,
      protocolType: g.protocolType ?? '',
      protocolName: stable ? (g.protocolName ?? '') : '',
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadata(g.protocolName ?? '') : EMPTY,
        assignment: stable ? m.assignment : EMPTY,
      })),
    };
  }

  /** Every group the coordinator knows. */
  list(): { groupId: string; protocolType: string; state: GroupState }[] {
    return [...this.groups.values()].map((g) => ({
      groupId: g.groupId,
      protocolType: g.protocolType ?? '',
      state: g.state,
    }));
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
    if (!g.is('Empty') && g.protocolType !== 'consumer') return failed(ErrorCode.NON_EMPTY_GROUP);
    return {
      errorCode: ErrorCode.NONE,
      partitions: partitions.map(({ topic, partition }) => {
        if (!g.is('Empty') && g.isSubscribedToTopic(topic)) {
          return { topic, partition, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
        }
        this.offsets.delete(groupId, topic, partition);
        return { topic, partition, errorCode: ErrorCode.NONE };
      }),
    };
  }
}
