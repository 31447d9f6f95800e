/**
 * One classic consumer group's state, as Apache Kafka's group coordinator keeps it: members (dynamic,
 * or static by group.instance.id), ids handed out but not yet joined (pending), the generation, the
 * chosen protocol and leader, and who still owes a SyncGroup. Pure state and rules, no clock and no
 * I/O: the coordinator (group-coordinator.ts) drives it and owns the deadlines.
 */
import { ErrorCode } from '../../kafka/errors';

/** A JoinGroup protocol: a name and the member's metadata for it (a subscription, for consumers). */
export interface Protocol {
  readonly name: string;
  readonly metadata: Buffer;
}

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** What a JoinGroup is answered with. */
export interface JoinResult {
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leader: string;
  readonly skipAssignment: boolean;
  readonly memberId: string;
  readonly members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

/** What a SyncGroup is answered with. */
export interface SyncResult {
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Buffer;
}

const EMPTY = Buffer.alloc(0);

/** A JoinGroup answer carrying only an error (Kafka's JoinGroupResult(memberId, error)). */
export function joinError(memberId: string, errorCode: number): JoinResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    memberId,
    members: [],
  };
}

/** A SyncGroup answer carrying only an error. */
export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

export class GroupMember {
  assignment: Buffer = EMPTY;
  /** Joined in the current join phase and not yet through a completed one (Kafka's isNew). */
  isNew = true;
  /** When the member's session ends unless it is heard from. */
  sessionDeadline = 0;
  awaitingJoin?: (result: JoinResult) => void;
  awaitingSync?: (result: SyncResult) => void;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: readonly Protocol[],
  ) {}

  /** The metadata it sent for `protocol`. */
  metadata(protocol: string): Buffer {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY;
  }

  /** Whether `protocols` are exactly the ones it joined with (names, order and metadata). */
  matches(protocols: readonly Protocol[]): boolean {
    return (
      protocols.length === this.protocols.length &&
      protocols.every(
        (p, i) => p.name === this.protocols[i].name && p.metadata.equals(this.protocols[i].metadata),
      )
    );
  }

  /** Its preferred protocol among `candidates` (its own order is its preference). */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.protocols.find((p) => candidates.has(p.name));
    if (!choice) throw new Error(`member ${this.memberId} supports none of ${[...candidates].join(', ')}`);
    return choice.name;
  }
}

export class ClassicGroup {
  state: GroupState = 'Empty';
  generationId = 0;
  /** Set by the first member and kept while the group lives (DescribeGroups shows it when Empty). */
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Members in joining order (the order a new leader is picked in). */
  readonly members = new Map<string, GroupMember>();
  /** group.instance.id → member id. */
  readonly staticMembers = new Map<string, string>();
  /** Ids handed out with MEMBER_ID_REQUIRED → when they lapse unless used to join. */
  readonly pendingMembers = new Map<string, number>();
  /** Members that have not sent SyncGroup for the current generation. */
  readonly pendingSync = new Set<string>();
  /** Topics the members subscribe to (consumer groups); undefined when not known. */
  subscribedTopics: ReadonlySet<string> | undefined;
  /** When the join phase ends (PreparingRebalance) or unsynced members are dropped (CompletingRebalance). */
  rebalanceDeadline?: number;

  constructor(readonly groupId: string) {}

  is(state: GroupState): boolean {
    return this.state === state;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  /** A rebalance can start from Empty, Stable and CompletingRebalance. */
  get canRebalance(): boolean {
    return this.state === 'Empty' || this.state === 'Stable' || this.state === 'CompletingRebalance';
  }

  /** The largest rebalance timeout of the members: how long a join phase waits for them. */
  get rebalanceTimeoutMs(): number {
    return Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
  }

  get hasAllMembersJoined(): boolean {
    return [...this.members.values()].every((m) => m.awaitingJoin) && this.pendingMembers.size === 0;
  }

  /** Protocols every member supports. */
  private candidateProtocols(): Set<string> {
    const members = [...this.members.values()];
    const names = (members[0]?.protocols ?? []).map((p) => p.name);
    return new Set(names.filter((name) => members.every((m) => m.protocols.some((p) => p.name === name))));
  }

  /**
   * Whether a member joining with `protocolType` and `protocols` fits: any non-empty type and at least
   * one protocol while the group is Empty, otherwise the group's type and a protocol every member has.
   */
  supportsProtocols(protocolType: string, protocols: readonly Protocol[]): boolean {
    if (this.is('Empty')) return protocolType !== '' && protocols.length > 0;
    const members = [...this.members.values()];
    return (
      this.protocolType === protocolType &&
      protocols.some((p) => members.every((m) => m.protocols.some((q) => q.name === p.name)))
    );
  }

  /** The protocol most members prefer among those all support (ties: the one voted for first). */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
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

  add(member: GroupMember): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.members.set(member.memberId, member);
    this.pendingMembers.delete(member.memberId);
  }

  remove(memberId: string): void {
    const member = this.members.get(memberId);
    this.members.delete(memberId);
    if (member?.groupInstanceId != null) this.staticMembers.delete(member.groupInstanceId);
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    this.pendingMembers.delete(memberId);
    this.pendingSync.delete(memberId);
  }

  /**
   * A static member rejoining without its member id takes `newMemberId`; whoever still waits on a
   * JoinGroup or SyncGroup under the old id is fenced.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): GroupMember {
    const member = this.members.get(oldMemberId);
    if (!member) throw new Error(`no member ${oldMemberId} to replace`);
    this.members.delete(oldMemberId);
    member.awaitingJoin?.(joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    member.awaitingJoin = undefined;
    member.awaitingSync?.(syncError(ErrorCode.FENCED_INSTANCE_ID));
    member.awaitingSync = undefined;
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    return member;
  }

  /**
   * Before a join phase ends: if the leader did not rejoin, any member that did leads. False when no
   * member rejoined (or there is no leader, the group being empty).
   */
  electJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    if (this.members.get(this.leaderId)?.awaitingJoin) return true;
    const joined = [...this.members.values()].find((m) => m.awaitingJoin);
    if (!joined) return false;
    this.leaderId = joined.memberId;
    return true;
  }

  /** Moves to the next generation: CompletingRebalance with a chosen protocol, or Empty. */
  initNextGeneration(): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.state = 'CompletingRebalance';
    } else {
      this.protocolName = null;
      this.state = 'Empty';
    }
    this.subscribedTopics = this.computeSubscribedTopics();
    this.pendingSync.clear();
  }

  /** The leader's view in a JoinGroup answer: every member with its metadata for the chosen protocol. */
  currentMemberMetadata(): JoinResult['members'] {
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata(this.protocolName ?? ''),
    }));
  }

  /** A consumer group's subscribed topics, from each member's subscription (consumer protocol v0 prefix). */
  private computeSubscribedTopics(): ReadonlySet<string> | undefined {
    if (this.protocolType !== 'consumer') return undefined;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return undefined;
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      const subscribed = subscriptionTopics(m.metadata(this.protocolName));
      if (!subscribed) return undefined;
      for (const t of subscribed) topics.add(t);
    }
    return topics;
  }

  /** Whether the group reads `topic`; when not known (not a consumer group, unreadable metadata): yes. */
  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics ? this.subscribedTopics.has(topic) : true;
  }
}

/**
 * The topics of a consumer-protocol subscription, read as Kafka reads it for this: a version (int16,
 * ≥ 0), then version 0's fields, which prefix every version: the topic names (int32 count, int16-length
 * strings) and the user data (int32-length bytes, -1 for none). Undefined when the bytes do not read so.
 */
export function subscriptionTopics(metadata: Buffer): string[] | undefined {
  try {
    if (metadata.readInt16BE(0) < 0) return undefined;
    const count = metadata.readInt32BE(2);
    if (count < 0 || count > metadata.length) return undefined;
    const topics: string[] = [];
    let at = 6;
    for (let i = 0; i < count; i++) {
      const length = metadata.readInt16BE(at);
      if (length < 0 || at + 2 + length > metadata.length) return undefined;
      topics.push(metadata.toString('utf8', at + 2, at + 2 + length));
      at += 2 + length;
    }
    const userData = metadata.readInt32BE(at);
    return userData <= metadata.length - at - 4 ? topics : undefined;
  } catch {
    return undefined; // it ends before a field does (Buffer reads throw past the end)
  }
}
