/**
 * One classic consumer group and its state machine, as Apache Kafka 3.9's classic coordinator runs it
 * (kafka.coordinator.group.GroupCoordinator and GroupMetadata): JoinGroup, SyncGroup, Heartbeat and
 * LeaveGroup move it through Empty → PreparingRebalance → CompletingRebalance → Stable, and only this
 * class changes its state. Who is in the group is kept by group-members.ts: members are dynamic, or
 * static by group.instance.id (a rejoin takes a new member id and fences the old one, without a
 * rebalance when nothing changed); ids handed out with MEMBER_ID_REQUIRED wait until used or lapsed.
 *
 * Deadlines, as Kafka's: a member's session ends unless it is heard from within its session timeout
 * (members waiting in JoinGroup or SyncGroup are exempt); a join phase waits up to the largest
 * rebalance timeout for members to rejoin, then drops the dynamic ones that did not; members that do
 * not send SyncGroup within it are dropped too; pending ids lapse after the session timeout. A
 * rebalance of an Empty group completes at once (group.initial.rebalance.delay.ms 0). The coordinator
 * (group-coordinator.ts) calls expire() on a timer; the clock is given, so tests need not sleep.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../kafka/errors';
import {
  GroupMember,
  joinError,
  NO_BYTES,
  syncError,
  type JoinResult,
  type Protocol,
  type SyncResult,
} from './group-member';
import { GroupMembers } from './group-members';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

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

/** What SyncGroup v5+ names, to be checked against the group; the member's instance id. */
export interface SyncOptions {
  readonly groupInstanceId?: string | null;
  readonly protocolType?: string | null;
  readonly protocolName?: string | null;
}

/** A member leaving: by member id, or a static one by its instance id alone. */
export interface LeavingMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
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

/** How long a new member may wait in its first JoinGroup before it is dropped (Kafka's constant). */
const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;

export class ClassicGroup {
  private currentState: GroupState = 'Empty';
  private generationId = 0;
  private protocolName: string | null = null;
  private readonly members = new GroupMembers();
  /** Members that have not sent SyncGroup for the current generation. */
  private readonly pendingSync = new Set<string>();
  /** Topics the members subscribe to (consumer groups); undefined when not known. */
  private subscribedTopics: ReadonlySet<string> | undefined;
  /** When the join phase ends (PreparingRebalance) or unsynced members are dropped (CompletingRebalance). */
  private rebalanceDeadline?: number;

  /** A new group is Empty, at generation 0. */
  constructor(
    readonly groupId: string,
    private readonly now: () => number,
  ) {}

  get state(): GroupState {
    return this.currentState;
  }

  /** The current generation (DescribeGroups does not carry it; the console shows it). */
  get generation(): number {
    return this.generationId;
  }

  is(state: GroupState): boolean {
    return this.currentState === state;
  }

  // ---- JoinGroup

  /** A JoinGroup of a known group; `respond` is called once the member's answer is decided. */
  join(req: JoinRequest, respond: (result: JoinResult) => void): void {
    if (req.memberId === '') this.joinNewMember(req, respond);
    else this.joinCurrentMember(req, respond);
    this.maybeCompleteJoin();
  }

  private joinNewMember(req: JoinRequest, respond: (result: JoinResult) => void): void {
    if (!this.supportsProtocols(req.protocolType, req.protocols)) {
      return respond(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const newMemberId = `${req.groupInstanceId ?? req.clientId}-${randomUUID()}`;
    if (req.groupInstanceId !== null) {
      const oldMemberId = this.members.staticMember(req.groupInstanceId);
      if (oldMemberId) this.replaceStaticMember(req, req.groupInstanceId, oldMemberId, newMemberId, respond);
      else this.addMemberAndRebalance(req, newMemberId, respond);
    } else if (req.requireKnownMemberId) {
      this.members.pending.set(newMemberId, this.now() + req.sessionTimeoutMs);
      respond(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    } else {
      this.addMemberAndRebalance(req, newMemberId, respond);
    }
  }

  private joinCurrentMember(req: JoinRequest, respond: (result: JoinResult) => void): void {
    const memberId = req.memberId;
    if (!this.supportsProtocols(req.protocolType, req.protocols)) {
      return respond(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    if (this.members.pending.has(memberId)) {
      // Ids handed out with MEMBER_ID_REQUIRED are dynamic members' (Kafka fails the request otherwise).
      if (req.groupInstanceId !== null) return respond(joinError(memberId, ErrorCode.UNKNOWN_SERVER_ERROR));
      return this.addMemberAndRebalance(req, memberId, respond);
    }
    const error = this.members.validate(memberId, req.groupInstanceId);
    if (error !== ErrorCode.NONE) return respond(joinError(memberId, error));
    const member = this.members.get(memberId)!;
    switch (this.currentState) {
      case 'PreparingRebalance':
        this.updateMember(member, req, respond);
        return;
      case 'CompletingRebalance':
        // The same metadata again: the member missed its JoinGroup answer; it gets it once more.
        if (member.matches(req.protocols))
          return respond(this.currentGeneration(member, this.members.isLeader(memberId)));
        this.updateMember(member, req, respond);
        this.maybePrepareRebalance();
        return;
      case 'Stable':
        // The leader rejoins to have the assignment redone (topic metadata changed, say).
        if (this.members.isLeader(memberId) || !member.matches(req.protocols)) {
          this.updateMember(member, req, respond);
          this.maybePrepareRebalance();
          return;
        }
        return respond(this.currentGeneration(member, false));
      default:
        return respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  /** The current generation, for a member that joins without changing anything. */
  private currentGeneration(member: GroupMember, withMembers: boolean): JoinResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: this.generationId,
      protocolType: this.members.protocolType,
      protocolName: this.protocolName,
      leader: this.members.leaderId ?? '',
      skipAssignment: false,
      memberId: member.memberId,
      members: withMembers ? this.members.metadata(this.protocolName ?? '') : [],
    };
  }

  /** A member's protocols and timeouts from its latest JoinGroup, which now waits for the join phase. */
  private updateMember(member: GroupMember, req: JoinRequest, respond: (result: JoinResult) => void): void {
    member.protocols = req.protocols;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.answerJoin(joinError(member.memberId, ErrorCode.UNKNOWN_MEMBER_ID)); // a superseded JoinGroup
    member.awaitingJoin = respond;
  }

  private addMemberAndRebalance(
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
    this.members.add(member);
    this.maybePrepareRebalance();
  }

  /**
   * A static member rejoining without its member id takes a new one (the old one is fenced). In a
   * Stable group whose protocol stays the same it gets the current generation back at once (JoinGroup
   * v9+ tells a leader to skip the assignment; before, it is told the old leader id so it does not
   * assign); otherwise the group rebalances.
   */
  private replaceStaticMember(
    req: JoinRequest,
    groupInstanceId: string,
    oldMemberId: string,
    newMemberId: string,
    respond: (result: JoinResult) => void,
  ): void {
    const leaderBefore = this.members.leaderId ?? '';
    const member = this.members.replaceStatic(groupInstanceId, oldMemberId, newMemberId);
    member.sessionDeadline = this.now() + member.sessionTimeoutMs;
    this.updateMember(member, req, respond);
    if (this.is('Stable')) {
      if (this.protocolName !== this.members.selectProtocol()) return this.maybePrepareRebalance();
      const isLeader = this.members.isLeader(newMemberId);
      const skip = req.supportSkippingAssignment === true;
      member.answerJoin({
        errorCode: ErrorCode.NONE,
        generationId: this.generationId,
        protocolType: this.members.protocolType,
        protocolName: this.protocolName,
        leader: skip ? (this.members.leaderId ?? '') : leaderBefore,
        skipAssignment: skip && isLeader,
        memberId: newMemberId,
        members: skip && isLeader ? this.members.metadata(this.protocolName ?? '') : [],
      });
    } else if (this.is('CompletingRebalance')) {
      // The leader may be assigning to the old id: start over.
      this.prepareRebalance();
    }
  }

  // ---- SyncGroup, Heartbeat, LeaveGroup and offset commits

  /** A SyncGroup; the leader's carries the assignment. `respond` is called once the answer is decided. */
  sync(
    generationId: number,
    memberId: string,
    assignments: readonly { memberId: string; assignment: Buffer }[],
    options: SyncOptions,
    respond: (result: SyncResult) => void,
  ): void {
    const error = this.members.validate(memberId, options.groupInstanceId ?? null);
    if (error !== ErrorCode.NONE) return respond(syncError(error));
    if (generationId !== this.generationId) return respond(syncError(ErrorCode.ILLEGAL_GENERATION));
    const { protocolType = null, protocolName = null } = options;
    if (
      (protocolType !== null && protocolType !== this.members.protocolType) ||
      (protocolName !== null && protocolName !== this.protocolName)
    ) {
      return respond(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const member = this.members.get(memberId)!;
    switch (this.currentState) {
      case 'Empty':
        return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case 'PreparingRebalance':
        return respond(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'CompletingRebalance':
        member.answerSync(syncError(ErrorCode.UNKNOWN_MEMBER_ID)); // a superseded SyncGroup
        member.awaitingSync = respond;
        this.pendingSync.delete(memberId);
        if (this.members.isLeader(memberId)) this.completeSync(assignments);
        return;
      default:
        this.pendingSync.delete(memberId);
        member.sessionDeadline = this.now() + member.sessionTimeoutMs;
        return respond(this.assignmentOf(member));
    }
  }

  /** A Heartbeat: the error code it is answered with (REBALANCE_IN_PROGRESS tells the member to rejoin). */
  heartbeat(generationId: number, memberId: string, groupInstanceId: string | null): number {
    const error = this.members.validate(memberId, groupInstanceId);
    if (error !== ErrorCode.NONE) return error;
    if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (this.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID;
    const member = this.members.get(memberId)!;
    member.sessionDeadline = this.now() + member.sessionTimeoutMs;
    return this.is('PreparingRebalance') ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  /** Removes members (by member id, or by instance id alone for a static member): the error code of each. */
  leave(leaving: readonly LeavingMember[]): number[] {
    return leaving.map((m) => {
      if (m.memberId === '') {
        const current = m.groupInstanceId === null ? undefined : this.members.staticMember(m.groupInstanceId);
        if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
        this.removeMember(this.members.get(current)!);
        return ErrorCode.NONE;
      }
      if (this.members.pending.has(m.memberId)) {
        this.removePendingMember(m.memberId);
        return ErrorCode.NONE;
      }
      const error = this.members.validate(m.memberId, m.groupInstanceId);
      if (error === ErrorCode.NONE) this.removeMember(this.members.get(m.memberId)!);
      return error;
    });
  }

  /**
   * Checks an offset commit against the group (Kafka's validateOffsetCommit): generation -1 without a
   * member id commits from outside the group protocol, allowed while the group is Empty; members commit
   * within their generation, also while a rebalance is being prepared, not between join and assignment.
   */
  commitCheck(generationId: number, memberId: string, groupInstanceId: string | null): number {
    if (!(generationId < 0 && this.is('Empty'))) {
      if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
        const error = this.members.validate(memberId, groupInstanceId);
        if (error !== ErrorCode.NONE) return error;
        if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION;
      } else if (!this.is('Empty')) {
        return ErrorCode.UNKNOWN_MEMBER_ID; // only members commit to a group that has some
      }
    }
    if (this.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
    const member = this.members.get(memberId);
    if (member) member.sessionDeadline = this.now() + member.sessionTimeoutMs;
    return ErrorCode.NONE;
  }

  /** Whether OffsetDelete may remove offsets: an Empty group's or a consumer group's (NON_EMPTY_GROUP otherwise). */
  offsetDeleteError(): number {
    return this.is('Empty') || this.members.protocolType === 'consumer'
      ? ErrorCode.NONE
      : ErrorCode.NON_EMPTY_GROUP;
  }

  /** Whether members subscribe to `topic` (OffsetDelete keeps its offsets: GROUP_SUBSCRIBED_TO_TOPIC). */
  readsTopic(topic: string): boolean {
    return !this.is('Empty') && this.isSubscribedToTopic(topic);
  }

  // ---- DescribeGroups and ListGroups

  describe(): GroupDescription {
    const stable = this.is('Stable');
    return {
      state: this.currentState,
      protocolType: this.members.protocolType ?? '',
      protocolName: stable ? (this.protocolName ?? '') : '',
      members: this.members.all().map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadata(this.protocolName ?? '') : NO_BYTES,
        assignment: stable ? m.assignment : NO_BYTES,
      })),
    };
  }

  /** What ListGroups shows of the group. */
  listing(): { groupId: string; protocolType: string; state: GroupState } {
    return { groupId: this.groupId, protocolType: this.members.protocolType ?? '', state: this.currentState };
  }

  // ---- Deadlines

  /** Sessions, join phases and syncs that ran out of time, and ids handed out but never used. */
  expire(): void {
    const now = this.now();
    for (const [memberId, deadline] of this.members.pending) {
      if (deadline <= now) this.removePendingMember(memberId);
    }
    for (const m of this.members.all()) {
      // Members waiting on a rebalance need not heartbeat; a new one only has its first join's time.
      const waiting = !m.isNew && (m.awaitingJoin !== undefined || m.awaitingSync !== undefined);
      if (!waiting && m.sessionDeadline <= now && this.members.get(m.memberId) === m) this.removeMember(m);
    }
    if (this.rebalanceDeadline === undefined || this.rebalanceDeadline > now) return;
    if (this.is('PreparingRebalance')) this.completeJoin();
    else if (this.is('CompletingRebalance') || this.is('Stable')) this.expirePendingSync();
  }

  /** Members that did not send SyncGroup in time are dropped, and the rest rebalance. */
  private expirePendingSync(): void {
    this.rebalanceDeadline = undefined;
    if (this.pendingSync.size === 0) return;
    for (const memberId of [...this.pendingSync]) this.remove(memberId);
    this.prepareRebalance();
  }

  // ---- Transitions: the only places the state changes

  private maybePrepareRebalance(): void {
    // A rebalance can start from Empty, Stable and CompletingRebalance.
    if (this.is('Empty') || this.is('Stable') || this.is('CompletingRebalance')) this.prepareRebalance();
  }

  /** → PreparingRebalance: a join phase starts; members waiting in SyncGroup are told to rejoin. */
  private prepareRebalance(): void {
    if (this.is('CompletingRebalance')) {
      for (const m of this.members.all()) {
        m.assignment = NO_BYTES;
        m.answerSync(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      }
    }
    this.pendingSync.clear();
    const fromEmpty = this.is('Empty');
    this.currentState = 'PreparingRebalance';
    // An Empty group waits group.initial.rebalance.delay.ms (0 here) for more members, then goes ahead
    // with whoever joined; otherwise the phase waits for every member up to the rebalance timeout.
    this.rebalanceDeadline = this.now() + (fromEmpty ? 0 : this.members.rebalanceTimeoutMs());
    this.maybeCompleteJoin();
  }

  private maybeCompleteJoin(): void {
    if (!this.is('PreparingRebalance')) return;
    if (this.members.allJoined() || this.now() >= (this.rebalanceDeadline ?? Infinity)) this.completeJoin();
  }

  /**
   * Ends a join phase: the next generation, answered to every member that rejoined (→
   * CompletingRebalance), or → Empty when nobody is left.
   */
  private completeJoin(): void {
    // Dynamic members that did not rejoin are gone; static ones keep their place until their session ends.
    for (const m of this.members.all()) {
      if (!m.awaitingJoin && m.groupInstanceId === null) this.remove(m.memberId);
    }
    if (!this.members.electJoinedLeader() && this.members.size > 0) {
      // Nobody rejoined (all remaining members are static): wait another rebalance timeout.
      this.rebalanceDeadline = this.now() + this.members.rebalanceTimeoutMs();
      return;
    }
    this.generationId++;
    this.pendingSync.clear();
    this.rebalanceDeadline = undefined;
    this.protocolName = this.members.size > 0 ? this.members.selectProtocol() : null;
    this.subscribedTopics = this.members.subscribedTopics(this.protocolName);
    if (this.members.size === 0) {
      this.currentState = 'Empty';
      return;
    }
    this.currentState = 'CompletingRebalance';
    const now = this.now();
    for (const m of this.members.all()) {
      m.answerJoin(this.currentGeneration(m, this.members.isLeader(m.memberId)));
      m.sessionDeadline = now + m.sessionTimeoutMs;
      m.isNew = false;
      this.pendingSync.add(m.memberId);
    }
    // Members that do not sync within the rebalance timeout are dropped.
    this.rebalanceDeadline = now + this.members.rebalanceTimeoutMs();
  }

  /** → Stable: the leader's assignment (members it left out get an empty one) goes to everyone waiting. */
  private completeSync(assignments: readonly { memberId: string; assignment: Buffer }[]): void {
    const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    const now = this.now();
    for (const m of this.members.all()) {
      m.assignment = byMember.get(m.memberId) ?? NO_BYTES;
      if (!m.awaitingSync) continue;
      m.answerSync(this.assignmentOf(m));
      m.sessionDeadline = now + m.sessionTimeoutMs;
    }
    this.currentState = 'Stable';
  }

  /** A member leaves or its session ended: the rest rebalance. */
  private removeMember(member: GroupMember): void {
    member.answerJoin(joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    member.answerSync(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    this.remove(member.memberId);
    if (this.is('Stable') || this.is('CompletingRebalance')) this.maybePrepareRebalance();
    else this.maybeCompleteJoin();
  }

  private removePendingMember(memberId: string): void {
    this.members.pending.delete(memberId);
    this.maybeCompleteJoin();
  }

  // ---- Members, protocol and assignment

  /** Removes a member from the group and from those owing a SyncGroup. */
  private remove(memberId: string): void {
    this.members.remove(memberId);
    this.pendingSync.delete(memberId);
  }

  /**
   * Whether a member joining with `protocolType` and `protocols` fits: any non-empty type and at least
   * one protocol while the group is Empty, otherwise the group's type and a protocol every member has.
   */
  private supportsProtocols(protocolType: string, protocols: readonly Protocol[]): boolean {
    if (this.is('Empty')) return protocolType !== '' && protocols.length > 0;
    return this.members.accept(protocolType, protocols);
  }

  private assignmentOf(member: GroupMember): SyncResult {
    return {
      errorCode: ErrorCode.NONE,
      protocolType: this.members.protocolType,
      protocolName: this.protocolName,
      assignment: member.assignment,
    };
  }

  /** Whether the group reads `topic`; when not known (not a consumer group, unreadable metadata): yes. */
  private isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics ? this.subscribedTopics.has(topic) : true;
  }
}
