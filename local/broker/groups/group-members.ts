/**
 * Who is in a classic group: its members in joining order (dynamic, or static by group.instance.id),
 * the ids handed out with MEMBER_ID_REQUIRED and not yet used, the leader, and what the members agree
 * on (the protocol type, the protocol they vote for, the topics they subscribe to). No state and no
 * clock: the group's state machine (classic-group.ts) decides when members come and go.
 */
import { ErrorCode } from '../../kafka/errors';
import {
  joinError,
  subscriptionTopics,
  syncError,
  type GroupMember,
  type JoinResult,
  type Protocol,
} from './group-member';

export class GroupMembers {
  /** Set by the first member and kept while the group lives (DescribeGroups shows it when Empty). */
  protocolType: string | null = null;
  leaderId: string | null = null;
  /** Ids handed out with MEMBER_ID_REQUIRED → when they lapse unless used to join. */
  readonly pending = new Map<string, number>();
  /** Members in joining order (the order a new leader is picked in). */
  private readonly byId = new Map<string, GroupMember>();
  /** group.instance.id → member id. */
  private readonly staticIds = new Map<string, string>();

  get size(): number {
    return this.byId.size;
  }

  get(memberId: string): GroupMember | undefined {
    return this.byId.get(memberId);
  }

  /** Every member, in joining order. */
  all(): GroupMember[] {
    return [...this.byId.values()];
  }

  /** The member id a static member's instance id maps to. */
  staticMember(groupInstanceId: string): string | undefined {
    return this.staticIds.get(groupInstanceId);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  /** Kafka's validateCurrentMember: a static member's instance id must map to its member id. */
  validate(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const current = this.staticIds.get(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    return this.byId.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  add(member: GroupMember): void {
    if (this.byId.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    if (member.groupInstanceId !== null) this.staticIds.set(member.groupInstanceId, member.memberId);
    this.byId.set(member.memberId, member);
    this.pending.delete(member.memberId);
  }

  remove(memberId: string): void {
    const member = this.byId.get(memberId);
    this.byId.delete(memberId);
    if (member?.groupInstanceId != null) this.staticIds.delete(member.groupInstanceId);
    if (this.isLeader(memberId)) this.leaderId = this.byId.keys().next().value ?? null;
    this.pending.delete(memberId);
  }

  /**
   * A static member rejoining without its member id takes `newMemberId`; whoever still waits on a
   * JoinGroup or SyncGroup under the old id is fenced.
   */
  replaceStatic(groupInstanceId: string, oldMemberId: string, newMemberId: string): GroupMember {
    const member = this.byId.get(oldMemberId);
    if (!member) throw new Error(`no member ${oldMemberId} to replace`);
    this.byId.delete(oldMemberId);
    member.answerJoin(joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    member.answerSync(syncError(ErrorCode.FENCED_INSTANCE_ID));
    member.memberId = newMemberId;
    this.byId.set(newMemberId, member);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticIds.set(groupInstanceId, newMemberId);
    return member;
  }

  /**
   * Before a join phase ends: if the leader did not rejoin, any member that did leads. False when no
   * member rejoined (or there is no leader, the group being empty).
   */
  electJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    if (this.byId.get(this.leaderId)?.awaitingJoin) return true;
    const joined = this.all().find((m) => m.awaitingJoin);
    if (!joined) return false;
    this.leaderId = joined.memberId;
    return true;
  }

  /** Whether every member waits in JoinGroup and no handed-out id is still to come. */
  allJoined(): boolean {
    return this.all().every((m) => m.awaitingJoin) && this.pending.size === 0;
  }

  /** The largest rebalance timeout of the members: how long a join phase waits for them. */
  rebalanceTimeoutMs(): number {
    return Math.max(0, ...this.all().map((m) => m.rebalanceTimeoutMs));
  }

  /** Whether a member joining with `protocolType` and `protocols` fits: the type, and a protocol all have. */
  accept(protocolType: string, protocols: readonly Protocol[]): boolean {
    const members = this.all();
    return (
      this.protocolType === protocolType &&
      protocols.some((p) => members.every((m) => m.protocols.some((q) => q.name === p.name)))
    );
  }

  /** The protocol most members prefer among those all support (ties: the one voted for first). */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.byId.values()) {
      const choice = m.vote(candidates);
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best = '';
    let most = 0;
    for (const [name, count] of votes) {
      if (count > most) [best, most] = [name, count];
    }
    return best;
  }

  /** Protocols every member supports. */
  private candidateProtocols(): Set<string> {
    const members = this.all();
    const names = (members[0]?.protocols ?? []).map((p) => p.name);
    return new Set(names.filter((name) => members.every((m) => m.protocols.some((p) => p.name === name))));
  }

  /** The leader's view in a JoinGroup answer: every member with its metadata for `protocol`. */
  metadata(protocol: string): JoinResult['members'] {
    return this.all().map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata(protocol),
    }));
  }

  /**
   * A consumer group's subscribed topics under `protocol`, from each member's subscription (consumer
   * protocol v0 prefix); undefined when not known (another protocol type, unreadable metadata).
   */
  subscribedTopics(protocol: string | null): ReadonlySet<string> | undefined {
    if (this.protocolType !== 'consumer') return undefined;
    if (this.byId.size === 0) return new Set();
    if (protocol === null) return undefined;
    const topics = new Set<string>();
    for (const m of this.byId.values()) {
      const subscribed = subscriptionTopics(m.metadata(protocol));
      if (!subscribed) return undefined;
      for (const t of subscribed) topics.add(t);
    }
    return topics;
  }
}
