/**
 * Raw requests the consumer-group scenarios build on, through the project's codec: JoinGroup (with
 * the MEMBER_ID_REQUIRED round trip clients make from v4), SyncGroup, Heartbeat, LeaveGroup,
 * OffsetCommit and OffsetFetch, DescribeGroups and ListGroups, with the consumer protocol's
 * subscription and assignment encodings. Member ids differ in text between brokers, so they are
 * observed by shape (`memberIdShape`) or by identity with an id seen before.
 */
import type { Struct } from '../../local/kafka/message-codec';
import { OffsetCommitSchema } from '../../local/kafka/messages/08-offset-commit';
import { OffsetFetchSchema } from '../../local/kafka/messages/09-offset-fetch';
import { FindCoordinatorSchema } from '../../local/kafka/messages/10-find-coordinator';
import { JoinGroupSchema } from '../../local/kafka/messages/11-join-group';
import { HeartbeatSchema } from '../../local/kafka/messages/12-heartbeat';
import { LeaveGroupSchema } from '../../local/kafka/messages/13-leave-group';
import { SyncGroupSchema } from '../../local/kafka/messages/14-sync-group';
import { DescribeGroupsSchema } from '../../local/kafka/messages/15-describe-groups';
import { ListGroupsSchema } from '../../local/kafka/messages/16-list-groups';
import { Writer } from '../../local/kafka/primitives';
import { errorName } from '../../local/kafka/errors';
import { until } from '../support/until';
import { answered, CLOSED, type Target } from './harness';

/** The client id every raw request carries (the harness's), which Kafka puts in member ids. */
export const CLIENT_ID = 'conformance';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** A member id with its random part named: `conformance-<uuid>`, or '' (none). */
export function memberIdShape(memberId: unknown): unknown {
  return typeof memberId === 'string' ? memberId.replace(UUID, '<uuid>') : memberId;
}

/** A consumer-protocol subscription (version 0): the topics a member wants. */
export function subscription(topics: readonly string[]): Buffer {
  const w = new Writer().int16(0).int32(topics.length);
  for (const topic of topics) w.nullableString(topic);
  return Buffer.from(w.int32(-1).toBuffer());
}

/** A consumer-protocol assignment (version 0): partitions by topic. */
export function assignment(partitions: Readonly<Record<string, readonly number[]>>): Buffer {
  const entries = Object.entries(partitions);
  const w = new Writer().int16(0).int32(entries.length);
  for (const [topic, indexes] of entries) {
    w.nullableString(topic).int32(indexes.length);
    for (const index of indexes) w.int32(index);
  }
  return Buffer.from(w.int32(-1).toBuffer());
}

export interface JoinSpec {
  readonly group: string;
  /** @default '' (a new member) */
  readonly memberId?: string;
  /** group.instance.id of a static member (v5+). */
  readonly instanceId?: string | null;
  /** @default 10 s */
  readonly sessionTimeoutMs?: number;
  /** @default 10 s */
  readonly rebalanceTimeoutMs?: number;
  /** @default 'consumer' */
  readonly protocolType?: string;
  /** @default one protocol, 'range', subscribing to `topics` */
  readonly protocols?: readonly { Name: string; Metadata: Buffer }[];
  /** Topics of the default subscription. @default [] */
  readonly topics?: readonly string[];
}

/** A JoinGroup request body. */
export function joinBody(spec: JoinSpec): Struct {
  return {
    GroupId: spec.group,
    SessionTimeoutMs: spec.sessionTimeoutMs ?? 10_000,
    RebalanceTimeoutMs: spec.rebalanceTimeoutMs ?? 10_000,
    MemberId: spec.memberId ?? '',
    GroupInstanceId: spec.instanceId ?? null,
    ProtocolType: spec.protocolType ?? 'consumer',
    Protocols: spec.protocols ?? [{ Name: 'range', Metadata: subscription(spec.topics ?? []) }],
    Reason: null,
  };
}

/** One JoinGroup on its own connection (it may wait for the rebalance to end). */
export async function joinOnce(t: Target, version: number, spec: JoinSpec): Promise<Struct> {
  return answered(await t.request(JoinGroupSchema, version, joinBody(spec)), `join ${spec.group}`);
}

/** A joined member, as a client keeps it. */
export interface Member {
  readonly memberId: string;
  readonly generationId: number;
  readonly leader: string;
  readonly protocolName: string | null;
  /** The JoinGroup answer's member list (the leader's only). */
  readonly members: Struct[];
}

/**
 * Joins as a client does: from v4 a dynamic member's first JoinGroup is answered MEMBER_ID_REQUIRED
 * and repeated with the id it was given. Fails the scenario unless the join ends with NONE.
 */
export async function joinGroup(t: Target, version: number, spec: JoinSpec): Promise<Member> {
  let response = await joinOnce(t, version, spec);
  if (response.ErrorCode === 79)
    response = await joinOnce(t, version, { ...spec, memberId: response.MemberId as string });
  if (response.ErrorCode !== 0) throw new Error(`join ${spec.group}: error ${String(response.ErrorCode)}`);
  return {
    memberId: response.MemberId as string,
    generationId: response.GenerationId as number,
    leader: response.Leader as string,
    protocolName: response.ProtocolName as string | null,
    members: response.Members as Struct[],
  };
}

/** SyncGroup (v3, or v5 with the protocol type and name); resolves to the answer. */
export async function syncGroup(
  t: Target,
  group: string,
  member: { memberId: string; generationId: number },
  assignments: readonly { MemberId: string; Assignment: Buffer }[] = [],
  options: {
    version?: number;
    instanceId?: string | null;
    protocolType?: string | null;
    protocolName?: string | null;
  } = {},
): Promise<Struct> {
  return answered(
    await t.request(SyncGroupSchema, options.version ?? 3, {
      GroupId: group,
      GenerationId: member.generationId,
      MemberId: member.memberId,
      GroupInstanceId: options.instanceId ?? null,
      ProtocolType: options.protocolType === undefined ? 'consumer' : options.protocolType,
      ProtocolName: options.protocolName === undefined ? 'range' : options.protocolName,
      Assignments: assignments,
    }),
    `sync ${group}`,
  );
}

/** Joins one member alone (v5) and syncs it with an empty assignment: a Stable group of one. */
export async function stableGroupOfOne(t: Target, spec: JoinSpec): Promise<Member> {
  const member = await joinGroup(t, 5, spec);
  const synced = await syncGroup(t, spec.group, member, [
    { MemberId: member.memberId, Assignment: assignment({}) },
  ]);
  if (synced.ErrorCode !== 0) throw new Error(`sync ${spec.group}: error ${String(synced.ErrorCode)}`);
  return member;
}

/** Two members of one group, and which of them the coordinator made leader. */
export interface Pair {
  readonly a: Member;
  readonly b: Member;
  readonly leader: Member;
  readonly follower: Member;
}

/**
 * Two members joined to a group's second generation, neither synced yet: A (`first`) joins alone and
 * syncs (generation 1), B (`second`) joins, A learns of the rebalance from its heartbeat and rejoins.
 */
export async function rejoinedPair(t: Target, first: JoinSpec, second: JoinSpec = first): Promise<Pair> {
  const alone = await stableGroupOfOne(t, first);
  const joiningB = joinGroup(t, 5, second);
  await until(
    async () => (await heartbeat(t, first.group, alone)) === 'REBALANCE_IN_PROGRESS',
    'a rebalance',
  );
  const a = await joinGroup(t, 5, { ...first, memberId: alone.memberId });
  const b = await joiningB;
  const leader = a.memberId === a.leader ? a : b;
  return { a, b, leader, follower: leader === a ? b : a };
}

/**
 * The pair above, synced into a Stable group (generation 2): the leader gives A partition 0 of topic
 * `t` and B partition 1.
 */
export async function stableGroupOfTwo(t: Target, first: JoinSpec, second: JoinSpec = first): Promise<Pair> {
  const pair = await rejoinedPair(t, first, second);
  const followerSync = syncGroup(t, first.group, pair.follower);
  await syncGroup(t, first.group, pair.leader, [
    { MemberId: pair.a.memberId, Assignment: assignment({ t: [0] }) },
    { MemberId: pair.b.memberId, Assignment: assignment({ t: [1] }) },
  ]);
  await followerSync;
  return pair;
}

/** Heartbeat (v3 by default): the error's name. */
export async function heartbeat(
  t: Target,
  group: string,
  member: { memberId: string; generationId: number },
  options: { version?: number; instanceId?: string | null } = {},
): Promise<unknown> {
  const response = answered(
    await t.request(HeartbeatSchema, options.version ?? 3, {
      GroupId: group,
      GenerationId: member.generationId,
      MemberId: member.memberId,
      GroupInstanceId: options.instanceId ?? null,
    }),
    `heartbeat ${group}`,
  );
  return errorName(response.ErrorCode as number);
}

/** LeaveGroup for one member at v0–2, or a batch from v3. */
export async function leaveGroup(
  t: Target,
  version: number,
  group: string,
  members: readonly { memberId: string; instanceId?: string | null }[],
): Promise<Struct> {
  return answered(
    await t.request(LeaveGroupSchema, version, {
      GroupId: group,
      MemberId: members[0]?.memberId ?? '',
      Members: members.map((m) => ({
        MemberId: m.memberId,
        GroupInstanceId: m.instanceId ?? null,
        Reason: null,
      })),
    }),
    `leave ${group}`,
  );
}

/** DescribeGroups (v5) of one group, with member ids by shape and bytes left as hex. */
export async function describeGroup(t: Target, group: string, version = 5): Promise<Struct> {
  const response = answered(
    await t.request(DescribeGroupsSchema, version, { Groups: [group], IncludeAuthorizedOperations: false }),
    `describe ${group}`,
  );
  const described = (response.Groups as Struct[])[0];
  return {
    ...described,
    Members: (described.Members as Struct[]).map((m) => ({ ...m, MemberId: memberIdShape(m.MemberId) })),
  };
}

/** ListGroups at `version`, keeping only the groups named (other scenarios' groups are listed too). */
export async function listedGroups(
  t: Target,
  version: number,
  groups: readonly string[],
  filters: { states?: string[]; types?: string[] } = {},
): Promise<unknown> {
  const response = answered(
    await t.request(ListGroupsSchema, version, {
      StatesFilter: filters.states ?? [],
      TypesFilter: filters.types ?? [],
    }),
    'list groups',
  );
  return {
    ErrorCode: response.ErrorCode,
    Groups: (response.Groups as Struct[])
      .filter((g) => groups.includes(g.GroupId as string))
      .sort((a, b) => String(a.GroupId).localeCompare(String(b.GroupId))),
  };
}

/** One partition's commit. */
export interface CommitSpec {
  readonly topic: string;
  readonly partition?: number;
  readonly offset: number;
  /** @default null */
  readonly metadata?: string | null;
}

/**
 * OffsetCommit at `version` (v7 by default) as member `member` (a standalone consumer: generation -1,
 * no member id); resolves to per-partition errors as `topic:partition` → name, sorted.
 */
export async function commitOffsets(
  t: Target,
  group: string,
  commits: readonly CommitSpec[],
  member: { memberId: string; generationId: number; instanceId?: string | null } = {
    memberId: '',
    generationId: -1,
  },
  version = 7,
): Promise<unknown> {
  const byTopic = new Map<string, Struct[]>();
  for (const c of commits) {
    const partitions = byTopic.get(c.topic) ?? [];
    partitions.push({
      PartitionIndex: c.partition ?? 0,
      CommittedOffset: BigInt(c.offset),
      CommittedLeaderEpoch: -1,
      CommitTimestamp: -1n,
      CommittedMetadata: c.metadata ?? null,
    });
    byTopic.set(c.topic, partitions);
  }
  const response = await t.request(OffsetCommitSchema, version, {
    GroupId: group,
    GenerationIdOrMemberEpoch: member.generationId,
    MemberId: member.memberId,
    GroupInstanceId: member.instanceId ?? null,
    RetentionTimeMs: -1n,
    Topics: [...byTopic].map(([Name, Partitions]) => ({ Name, Partitions })),
  });
  if (response === CLOSED) return CLOSED;
  return perPartition(response.Topics as Struct[], (p) => errorName(p.ErrorCode as number));
}

/** `topic:partition` → what `pick` takes from each partition answer, sorted by key. */
export function perPartition(
  topics: readonly Struct[],
  pick: (p: Struct) => unknown,
): Record<string, unknown> {
  const entries = topics.flatMap((t) =>
    (t.Partitions as Struct[]).map((p): [string, unknown] => [
      `${String(t.Name)}:${String(p.PartitionIndex)}`,
      pick(p),
    ]),
  );
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * OffsetFetch at `version` (v7 by default; v8+ batches groups) of `topics` (null: every partition with
 * a commit); resolves to the group's error and `topic:partition` → {offset, metadata, error}.
 */
export async function fetchOffsets(
  t: Target,
  group: string,
  topics: Readonly<Record<string, readonly number[]>> | null,
  version = 7,
): Promise<unknown> {
  const requested =
    topics === null
      ? null
      : Object.entries(topics).map(([Name, PartitionIndexes]) => ({ Name, PartitionIndexes }));
  const response = await t.request(OffsetFetchSchema, version, {
    GroupId: group,
    Topics: requested,
    Groups: [{ GroupId: group, MemberId: null, MemberEpoch: -1, Topics: requested }],
    RequireStable: false,
  });
  if (response === CLOSED) return CLOSED;
  const answer = version >= 8 ? (response.Groups as Struct[])[0] : response;
  return {
    ErrorCode: answer.ErrorCode,
    offsets: perPartition(answer.Topics as Struct[], (p) => ({
      offset: p.CommittedOffset,
      metadata: p.Metadata,
      ErrorCode: p.ErrorCode,
    })),
  };
}

/**
 * Member ids named for observation: each id in `names` by its name ('A', 'B'…), others by shape, so
 * "the leader is A" compares between brokers where the ids' text cannot.
 */
export function naming(names: Readonly<Record<string, string>>): (memberId: unknown) => unknown {
  return (memberId) =>
    typeof memberId === 'string' && memberId in names ? names[memberId] : memberIdShape(memberId);
}

/** A JoinGroup answer as observed, with member ids named by `name`. */
export function joinObservation(
  response: Struct,
  name: (memberId: unknown) => unknown = memberIdShape,
): unknown {
  return {
    ErrorCode: response.ErrorCode,
    GenerationId: response.GenerationId,
    ProtocolType: response.ProtocolType,
    ProtocolName: response.ProtocolName,
    Leader: name(response.Leader),
    SkipAssignment: response.SkipAssignment,
    MemberId: name(response.MemberId),
    // Kafka lists members in its hash map's order: sorted here.
    Members: (response.Members as Struct[])
      .map((m) => ({ MemberId: name(m.MemberId), GroupInstanceId: m.GroupInstanceId, Metadata: m.Metadata }))
      .sort((a, b) => JSON.stringify(a.MemberId).localeCompare(JSON.stringify(b.MemberId))),
  };
}

const coordinatorsReady = new Set<string>();

/**
 * Waits until the target answers FindCoordinator for groups: Apache Kafka creates its offsets topic on
 * the first request and answers COORDINATOR_NOT_AVAILABLE until it leads it. Group scenarios call it
 * first, so none of them observes that start-up.
 */
export async function coordinatorReady(t: Target): Promise<void> {
  if (coordinatorsReady.has(t.bootstrap)) return;
  await until(async () => {
    const response = answered(
      await t.request(FindCoordinatorSchema, 3, { Key: 'warm-up', KeyType: 0 }),
      'find coordinator',
    );
    if (response.ErrorCode !== 0) return false;
    // The coordinator also has to have loaded the offsets partition (until then: COORDINATOR_LOAD_IN_PROGRESS).
    const commit = answered(
      await t.request(OffsetFetchSchema, 7, { GroupId: 'warm-up', Topics: null, RequireStable: false }),
      'fetch offsets',
    );
    return commit.ErrorCode === 0;
  }, `a group coordinator on ${t.name}`);
  coordinatorsReady.add(t.bootstrap);
}
