/**
 * Classic consumer-group coordinator: membership, rebalances (join → sync), heartbeats with session
 * timeouts, and committed offsets. One coordinator serves every group of the process.
 *
 * A rebalance starts when a member joins, leaves or times out. Members learn of it from their next
 * heartbeat (REBALANCE_IN_PROGRESS) and rejoin; the join phase ends when every known member has
 * rejoined or the largest rebalance timeout passes (stragglers are removed). The first member becomes
 * leader, receives everyone's subscriptions and sends the assignment in SyncGroup.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../protocol/errors';
import type { Journal } from '../storage/journal';
import type { OffsetEntry } from '../storage/data-dir';

export interface JoinRequest {
  readonly groupId: string;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly { name: string; metadata: Buffer }[];
  /** JoinGroup v4+: a first join without a member id is answered MEMBER_ID_REQUIRED. */
  readonly requireKnownMemberId: boolean;
}

export interface JoinResult {
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leader: string;
  readonly memberId: string;
  readonly members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncResult {
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Buffer;
}

export interface CommittedOffset {
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string | null;
}

type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

export interface GroupDescription {
  readonly state: GroupState | 'Dead';
  readonly protocolType: string;
  readonly protocolName: string;
  readonly members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    metadata: Buffer;
    assignment: Buffer;
  }[];
}

interface Member {
  readonly id: string;
  readonly groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: readonly { name: string; metadata: Buffer }[];
  assignment: Buffer;
  lastSeen: number;
  awaitingJoin?: (result: JoinResult) => void;
  awaitingSync?: (result: SyncResult) => void;
}

class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId = '';
  readonly members = new Map<string, Member>();
  /** Ids handed out with MEMBER_ID_REQUIRED, not yet joined, with when they expire. */
  readonly pendingIds = new Map<string, number>();
  readonly offsets = new Map<string, CommittedOffset>();
  joinTimer?: NodeJS.Timeout;

  constructor(readonly id: string) {}
}

const EMPTY = Buffer.alloc(0);

/** Committed offsets are keyed `<partition>:<topic>`; the first ':' splits the key. */
const offsetKey = (topic: string, partition: number) => `${partition}:${topic}`;
function parseOffsetKey(key: string): { topic: string; partition: number } {
  const sep = key.indexOf(':');
  return { partition: Number(key.slice(0, sep)), topic: key.slice(sep + 1) };
}

/** Offset commits between compactions of the offsets journal (consumers auto-commit often). */
const OFFSETS_COMPACTION_EVERY = 10_000;

export interface GroupCoordinatorOptions {
  /** Clock, for tests. */
  readonly now?: () => number;
  /** How often session timeouts are checked. @default 250 ms */
  readonly sweepIntervalMs?: number;
  /** Where committed offsets persist; none keeps them in memory. */
  readonly offsetsJournal?: Journal<OffsetEntry>;
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;

  private readonly journal?: Journal<OffsetEntry>;
  /** Journal entries written since the last compaction. */
  private appended = 0;

  constructor(options: GroupCoordinatorOptions = {}) {
    this.now = options.now ?? Date.now;
    this.journal = options.offsetsJournal;
    if (this.journal) this.restoreOffsets(this.journal);
    this.sweeper = setInterval(() => this.expireSessions(), options.sweepIntervalMs ?? 250);
    this.sweeper.unref();
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const g of this.groups.values()) clearTimeout(g.joinTimer);
  }

  /** Appends to the offsets journal, compacting it once it holds many superseded entries. */
  private journalAppend(entry: OffsetEntry): void {
    if (!this.journal) return;
    this.journal.append(entry);
    if (++this.appended >= OFFSETS_COMPACTION_EVERY) this.compactOffsets(this.journal);
  }

  /** Rewrites the journal as the latest committed offset per group and partition. */
  private compactOffsets(journal: Journal<OffsetEntry>): void {
    const latest: OffsetEntry[] = [];
    for (const g of this.groups.values()) {
      for (const [key, c] of g.offsets) {
        latest.push({
          group: g.id,
          ...parseOffsetKey(key),
          offset: String(c.offset),
          epoch: c.leaderEpoch,
          metadata: c.metadata,
        });
      }
    }
    journal.rewrite(latest);
    this.appended = 0;
  }

  /** Replays committed offsets, then compacts the journal to the latest offset per partition. */
  private restoreOffsets(journal: Journal<OffsetEntry>): void {
    for (const e of journal.load()) {
      if ('deleteGroup' in e) this.groups.delete(e.deleteGroup);
      else if ('deleted' in e) this.groups.get(e.group)?.offsets.delete(offsetKey(e.topic, e.partition));
      else
        this.group(e.group).offsets.set(offsetKey(e.topic, e.partition), {
          offset: BigInt(e.offset),
          leaderEpoch: e.epoch,
          metadata: e.metadata,
        });
    }
    this.compactOffsets(journal);
  }

  private group(id: string): Group {
    let g = this.groups.get(id);
    if (!g) {
      g = new Group(id);
      this.groups.set(id, g);
    }
    return g;
  }

  private failJoin(code: number, memberId = ''): JoinResult {
    return {
      errorCode: code,
      generationId: -1,
      protocolType: null,
      protocolName: null,
      leader: '',
      memberId,
      members: [],
    };
  }

  join(req: JoinRequest): Promise<JoinResult> {
    if (req.groupId === '') return Promise.resolve(this.failJoin(ErrorCode.INVALID_GROUP_ID));
    if (req.sessionTimeoutMs < 1000 || req.sessionTimeoutMs > 1_800_000) {
      return Promise.resolve(this.failJoin(ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const g = this.group(req.groupId);
    if (
      req.protocols.length === 0 ||
      (g.protocolType !== null && g.members.size > 0 && g.protocolType !== req.protocolType)
    ) {
      return Promise.resolve(this.failJoin(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    let memberId = req.memberId;
    if (memberId === '' && req.groupInstanceId) {
      memberId = [...g.members.values()].find((m) => m.groupInstanceId === req.groupInstanceId)?.id ?? '';
    }
    if (memberId === '') {
      memberId = `${req.clientId || 'member'}-${randomUUID()}`;
      if (req.requireKnownMemberId) {
        g.pendingIds.set(memberId, this.now() + req.sessionTimeoutMs);
        return Promise.resolve(this.failJoin(ErrorCode.MEMBER_ID_REQUIRED, memberId));
      }
    } else if (!g.members.has(memberId) && !g.pendingIds.has(memberId)) {
      return Promise.resolve(this.failJoin(ErrorCode.UNKNOWN_MEMBER_ID, memberId));
    }
    g.pendingIds.delete(memberId);

    return new Promise<JoinResult>((resolve) => {
      // A rejoin refreshes what the member told us; a first join also gets its id and an empty assignment.
      const latest = {
        clientId: req.clientId,
        clientHost: req.clientHost,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs,
        protocolType: req.protocolType,
        protocols: req.protocols,
        lastSeen: this.now(),
      };
      const existing = g.members.get(memberId);
      const member: Member = existing
        ? Object.assign(existing, latest)
        : { id: memberId, groupInstanceId: req.groupInstanceId, assignment: EMPTY, ...latest };
      member.awaitingJoin?.(this.failJoin(ErrorCode.UNKNOWN_MEMBER_ID, memberId)); // superseded join
      member.awaitingJoin = resolve;
      g.members.set(memberId, member);
      if (g.protocolType === null || g.members.size === 1) g.protocolType = req.protocolType;
      this.prepareRebalance(g);
      this.maybeCompleteJoin(g);
    });
  }

  /** Moves the group into a join phase, telling members waiting in SyncGroup to rejoin. */
  private prepareRebalance(g: Group): void {
    if (g.state === 'PreparingRebalance') return;
    g.state = 'PreparingRebalance';
    for (const m of g.members.values()) {
      m.awaitingSync?.({
        errorCode: ErrorCode.REBALANCE_IN_PROGRESS,
        protocolType: null,
        protocolName: null,
        assignment: EMPTY,
      });
      m.awaitingSync = undefined;
    }
    const timeout = Math.max(...[...g.members.values()].map((m) => m.rebalanceTimeoutMs), 0);
    clearTimeout(g.joinTimer);
    g.joinTimer = setTimeout(() => {
      // Members that did not rejoin in time are dropped; the rest go ahead.
      for (const m of [...g.members.values()]) if (!m.awaitingJoin) g.members.delete(m.id);
      this.completeJoin(g);
    }, timeout);
    g.joinTimer.unref();
  }

  private maybeCompleteJoin(g: Group): void {
    if (g.state !== 'PreparingRebalance') return;
    if ([...g.members.values()].every((m) => m.awaitingJoin)) this.completeJoin(g);
  }

  private completeJoin(g: Group): void {
    clearTimeout(g.joinTimer);
    g.joinTimer = undefined;
    if (g.members.size === 0) {
      g.state = 'Empty';
      g.generationId++;
      g.protocolName = null;
      g.leaderId = '';
      return;
    }
    const members = [...g.members.values()];
    const candidates = members[0].protocols.map((p) => p.name);
    const protocol = candidates.find((name) =>
      members.every((m) => m.protocols.some((p) => p.name === name)),
    );
    g.generationId++;
    if (!g.members.has(g.leaderId)) g.leaderId = members[0].id;
    if (!protocol) {
      for (const m of members) {
        m.awaitingJoin?.(this.failJoin(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, m.id));
        m.awaitingJoin = undefined;
      }
      g.members.clear();
      g.state = 'Empty';
      return;
    }
    g.protocolName = protocol;
    g.state = 'CompletingRebalance';
    const now = this.now();
    for (const m of members) {
      m.lastSeen = now;
      m.assignment = EMPTY;
      const isLeader = m.id === g.leaderId;
      m.awaitingJoin?.({
        errorCode: ErrorCode.NONE,
        generationId: g.generationId,
        protocolType: g.protocolType,
        protocolName: protocol,
        leader: g.leaderId,
        memberId: m.id,
        members: isLeader
          ? members.map((x) => ({
              memberId: x.id,
              groupInstanceId: x.groupInstanceId,
              metadata: x.protocols.find((p) => p.name === protocol)!.metadata,
            }))
          : [],
      });
      m.awaitingJoin = undefined;
    }
  }

  sync(
    groupId: string,
    generationId: number,
    memberId: string,
    assignments: readonly { memberId: string; assignment: Buffer }[],
  ): Promise<SyncResult> {
    const fail = (code: number): Promise<SyncResult> =>
      Promise.resolve({ errorCode: code, protocolType: null, protocolName: null, assignment: EMPTY });
    const g = this.groups.get(groupId);
    const m = g?.members.get(memberId);
    if (!g || !m) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (generationId !== g.generationId) return fail(ErrorCode.ILLEGAL_GENERATION);
    if (g.state === 'PreparingRebalance') return fail(ErrorCode.REBALANCE_IN_PROGRESS);
    m.lastSeen = this.now();
    const ok = (member: Member): SyncResult => ({
      errorCode: ErrorCode.NONE,
      protocolType: g.protocolType,
      protocolName: g.protocolName,
      assignment: member.assignment,
    });
    if (g.state === 'Stable') return Promise.resolve(ok(m));
    return new Promise<SyncResult>((resolve) => {
      m.awaitingSync = resolve;
      if (memberId !== g.leaderId) return;
      for (const a of assignments) {
        const target = g.members.get(a.memberId);
        if (target) target.assignment = a.assignment;
      }
      g.state = 'Stable';
      for (const member of g.members.values()) {
        member.awaitingSync?.(ok(member));
        member.awaitingSync = undefined;
      }
    });
  }

  heartbeat(groupId: string, generationId: number, memberId: string): number {
    const g = this.groups.get(groupId);
    const m = g?.members.get(memberId);
    if (!g || !m) return ErrorCode.UNKNOWN_MEMBER_ID;
    m.lastSeen = this.now();
    if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (g.state === 'PreparingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  /** Removes members; answers per member. */
  leave(
    groupId: string,
    members: readonly { memberId: string; groupInstanceId: string | null }[],
  ): { memberId: string; errorCode: number }[] {
    const g = this.groups.get(groupId);
    return members.map(({ memberId, groupInstanceId }) => {
      const byInstance = () =>
        [...(g?.members.values() ?? [])].find((m) => m.groupInstanceId === groupInstanceId)?.id;
      const id = memberId || (groupInstanceId === null ? undefined : byInstance());
      if (!g || !id || !g.members.has(id)) return { memberId, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      this.removeMember(g, id);
      return { memberId: id, errorCode: ErrorCode.NONE };
    });
  }

  private removeMember(g: Group, id: string): void {
    const m = g.members.get(id);
    if (!m) return;
    g.members.delete(id);
    m.awaitingJoin?.(this.failJoin(ErrorCode.UNKNOWN_MEMBER_ID, id));
    m.awaitingSync?.({
      errorCode: ErrorCode.UNKNOWN_MEMBER_ID,
      protocolType: null,
      protocolName: null,
      assignment: EMPTY,
    });
    if (g.members.size === 0) {
      clearTimeout(g.joinTimer);
      g.state = 'Empty';
      g.generationId++;
      g.leaderId = '';
      g.protocolName = null;
      return;
    }
    this.prepareRebalance(g);
    this.maybeCompleteJoin(g);
  }

  private expireSessions(): void {
    const now = this.now();
    for (const g of this.groups.values()) {
      for (const [id, expiresAt] of g.pendingIds) if (expiresAt < now) g.pendingIds.delete(id);
      for (const m of [...g.members.values()]) {
        // A member parked in JoinGroup is alive: its deadline is the rebalance timeout instead.
        if (!m.awaitingJoin && now - m.lastSeen > m.sessionTimeoutMs) this.removeMember(g, m.id);
      }
    }
  }

  /** Checks a commit's member and generation; -1/'' is a commit from outside the group protocol. */
  commitCheck(groupId: string, generationId: number, memberId: string): number {
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const g = this.groups.get(groupId);
    // Outside the group protocol only while nobody is a member (as Kafka's classic groups).
    if (generationId < 0 && memberId === '')
      return !g || g.members.size === 0 ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
    const m = g?.members.get(memberId);
    if (!g || !m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    // Members commit what they processed before rejoining, so a join phase does not stop commits; the
    // window between join and assignment does (the assignment that owns the partitions is not out yet).
    if (g.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    m.lastSeen = this.now();
    return ErrorCode.NONE;
  }

  commitOffset(groupId: string, topic: string, partition: number, offset: CommittedOffset): void {
    this.group(groupId).offsets.set(offsetKey(topic, partition), offset);
    this.journalAppend({
      group: groupId,
      topic,
      partition,
      offset: String(offset.offset),
      epoch: offset.leaderEpoch,
      metadata: offset.metadata,
    });
  }

  committedOffset(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.groups.get(groupId)?.offsets.get(offsetKey(topic, partition));
  }

  /** A group's state and members, for DescribeGroups (an unknown group is reported as Dead). */
  describe(groupId: string): GroupDescription {
    const g = this.groups.get(groupId);
    if (!g) return { state: 'Dead', protocolType: '', protocolName: '', members: [] };
    return {
      state: g.state,
      protocolType: g.protocolType ?? '',
      protocolName: g.protocolName ?? '',
      members: [...g.members.values()].map((m) => ({
        memberId: m.id,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? EMPTY,
        assignment: g.state === 'Stable' ? m.assignment : EMPTY,
      })),
    };
  }

  /** Every group with members or committed offsets. */
  list(): { groupId: string; protocolType: string; state: GroupState }[] {
    return [...this.groups.values()]
      .filter((g) => g.members.size > 0 || g.offsets.size > 0)
      .map((g) => ({ groupId: g.id, protocolType: g.protocolType ?? '', state: g.state }));
  }

  /** Deletes an empty group and its committed offsets. */
  deleteGroup(groupId: string): number {
    const g = this.groups.get(groupId);
    if (!g || (g.members.size === 0 && g.offsets.size === 0)) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (g.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    clearTimeout(g.joinTimer);
    this.groups.delete(groupId);
    this.journalAppend({ deleteGroup: groupId });
    return ErrorCode.NONE;
  }

  /** Deletes committed offsets of an empty group (a group with members may be using them). */
  deleteOffsets(
    groupId: string,
    topic: string,
    partitions: readonly number[],
  ): { partition: number; errorCode: number }[] {
    const g = this.groups.get(groupId);
    return partitions.map((partition) => {
      if (!g) return { partition, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
      if (g.members.size > 0) return { partition, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
      if (g.offsets.delete(offsetKey(topic, partition)))
        this.journalAppend({ group: groupId, topic, partition, deleted: true });
      return { partition, errorCode: ErrorCode.NONE };
    });
  }

  /** Forgets every group's committed offsets of a deleted topic, so a new topic of that name starts clean. */
  forgetTopic(topic: string): void {
    for (const g of this.groups.values()) {
      for (const key of [...g.offsets.keys()]) {
        const { partition, topic: committed } = parseOffsetKey(key);
        if (committed !== topic) continue;
        g.offsets.delete(key);
        this.journalAppend({ group: g.id, topic, partition, deleted: true });
      }
    }
  }

  /** Topics and partitions with a committed offset in the group. */
  committedPartitions(groupId: string): { topic: string; partition: number }[] {
    return [...(this.groups.get(groupId)?.offsets.keys() ?? [])].map(parseOffsetKey);
  }
}
