/**
 * Conformance: committed offsets and group administration in raw frames: OffsetCommit and OffsetFetch
 * (metadata, standalone consumers, wrong generations, unknown groups and topics, versions),
 * DescribeGroups in every state, ListGroups with filters, DeleteGroups and OffsetDelete; and one
 * kafkajs group, where what a client does with the answers is the point.
 */
import type { Struct } from '../../local/kafka/message-codec';
import { OffsetCommitSchema } from '../../local/kafka/messages/08-offset-commit';
import { OffsetFetchSchema } from '../../local/kafka/messages/09-offset-fetch';
import { DeleteGroupsSchema } from '../../local/kafka/messages/42-delete-groups';
import { OffsetDeleteSchema } from '../../local/kafka/messages/47-offset-delete';
import { until } from '../support/until';
import {
  assignment,
  commitOffsets,
  coordinatorReady,
  describeGroup,
  fetchOffsets,
  heartbeat,
  joinGroup,
  joinOnce,
  leaveGroup,
  listedGroups,
  perPartition,
  stableGroupOfOne,
  subscription,
  syncGroup,
} from './group-requests';
import { answered, CLOSED, conformance, type ScenarioOptions, type Target } from './harness';
import { createTopic } from './topic-requests';
import { errorName } from '../../local/kafka/errors';

const scenario = conformance('group offsets');

/** Topics the scenarios commit offsets for, created once per target. */
const TOPICS = { 'offsets-a': 2, 'offsets-b': 1 } as const;
const ready = new Set<string>();

/** A scenario that starts once the target coordinates groups and has the scenarios' topics. */
function offsetScenario(
  title: string,
  run: (t: Target) => Promise<unknown>,
  options?: ScenarioOptions,
): void {
  scenario(
    title,
    async (t) => {
      await coordinatorReady(t);
      if (!ready.has(t.bootstrap)) {
        for (const [topic, partitions] of Object.entries(TOPICS)) await createTopic(t, topic, { partitions });
        ready.add(t.bootstrap);
      }
      return run(t);
    },
    options,
  );
}

offsetScenario('commit metadata null, empty and text: fetched back as "", "" and the text', async (t) => {
  const group = 'offsets-metadata';
  const committed = await commitOffsets(t, group, [
    { topic: 'offsets-a', partition: 0, offset: 5, metadata: null },
    { topic: 'offsets-a', partition: 1, offset: 6, metadata: '' },
    { topic: 'offsets-b', partition: 0, offset: 7, metadata: 'checkpoint 7' },
  ]);
  return {
    committed,
    v1: await fetchOffsets(t, group, { 'offsets-a': [0, 1], 'offsets-b': [0] }, 1),
    v7: await fetchOffsets(t, group, { 'offsets-a': [0, 1], 'offsets-b': [0] }, 7),
    v8: await fetchOffsets(t, group, { 'offsets-a': [0, 1], 'offsets-b': [0] }, 8),
  };
});

offsetScenario(
  'metadata longer than offset.metadata.max.bytes: OFFSET_METADATA_TOO_LARGE for that partition',
  async (t) => {
    const group = 'offsets-metadata-large';
    const committed = await commitOffsets(t, group, [
      { topic: 'offsets-a', partition: 0, offset: 1, metadata: 'm'.repeat(4096) },
      { topic: 'offsets-a', partition: 1, offset: 2, metadata: 'm'.repeat(4097) },
      // 2048 characters of three UTF-8 bytes each: Kafka counts characters.
      { topic: 'offsets-b', partition: 0, offset: 3, metadata: '€'.repeat(2048) },
    ]);
    const fetched = (await fetchOffsets(t, group, { 'offsets-a': [0, 1], 'offsets-b': [0] })) as Struct;
    return {
      committed,
      fetched: Object.fromEntries(
        Object.entries(fetched.offsets as Record<string, Struct>).map(([k, v]) => [
          k,
          { ...v, metadata: `${String(v.metadata).length} characters` },
        ]),
      ),
    };
  },
);

offsetScenario('every partition’s metadata too large: none is stored', async (t) => {
  const group = 'offsets-metadata-all-large';
  const committed = await commitOffsets(t, group, [
    { topic: 'offsets-a', partition: 0, offset: 1, metadata: 'm'.repeat(5000) },
    { topic: 'offsets-a', partition: 1, offset: 2, metadata: 'm'.repeat(5000) },
  ]);
  return { committed, fetched: await fetchOffsets(t, group, { 'offsets-a': [0, 1] }) };
});

offsetScenario(
  'a standalone consumer (generation -1) commits to a new group: Empty, no protocol type',
  async (t) => {
    const group = 'offsets-standalone';
    const committed = await commitOffsets(t, group, [{ topic: 'offsets-a', offset: 10 }]);
    return {
      committed,
      fetched: await fetchOffsets(t, group, { 'offsets-a': [0] }),
      described: await describeGroup(t, group),
      listed: await listedGroups(t, 4, [group]),
    };
  },
);

offsetScenario('a standalone commit to a group with members: UNKNOWN_MEMBER_ID', async (t) => {
  const group = 'offsets-standalone-members';
  await stableGroupOfOne(t, { group, topics: ['offsets-a'] });
  return commitOffsets(t, group, [{ topic: 'offsets-a', offset: 10 }]);
});

offsetScenario(
  'member commits: wrong generation ILLEGAL_GENERATION, unknown member UNKNOWN_MEMBER_ID',
  async (t) => {
    const group = 'offsets-member-commit';
    const member = await stableGroupOfOne(t, { group, topics: ['offsets-a'] });
    const commit = (m: { memberId: string; generationId: number }) =>
      commitOffsets(t, group, [{ topic: 'offsets-a', offset: 3 }], m);
    return {
      current: await commit(member),
      olderGeneration: await commit({ ...member, generationId: member.generationId - 1 }),
      newerGeneration: await commit({ ...member, generationId: member.generationId + 1 }),
      unknownMember: await commit({ memberId: 'nobody', generationId: member.generationId }),
      fetched: await fetchOffsets(t, group, { 'offsets-a': [0] }),
    };
  },
);

offsetScenario(
  'a commit with a generation to a group that does not exist: ILLEGAL_GENERATION, no group',
  async (t) => {
    const group = 'offsets-no-group';
    const committed = await commitOffsets(t, group, [{ topic: 'offsets-a', offset: 3 }], {
      memberId: 'someone',
      generationId: 4,
    });
    return { committed, described: (await describeGroup(t, group)).GroupState };
  },
);

offsetScenario('generation -1 with a member id commits to an Empty group', async (t) => {
  const group = 'offsets-minus-one-member-id';
  const member = await stableGroupOfOne(t, { group, topics: ['offsets-a'] });
  await leaveGroup(t, 3, group, [{ memberId: member.memberId }]);
  return commitOffsets(t, group, [{ topic: 'offsets-a', offset: 3 }], {
    memberId: 'someone',
    generationId: -1,
  });
});

offsetScenario(
  'member commits between join and sync: REBALANCE_IN_PROGRESS; during a join phase: NONE',
  async (t) => {
    const group = 'offsets-rebalance-commit';
    const member = await joinGroup(t, 5, { group, topics: ['offsets-a'] });
    const betweenJoinAndSync = await commitOffsets(t, group, [{ topic: 'offsets-a', offset: 1 }], member);
    await syncGroup(t, group, member, [
      { MemberId: member.memberId, Assignment: assignment({ 'offsets-a': [0] }) },
    ]);
    const joining = joinGroup(t, 5, { group, topics: ['offsets-a'] });
    await until(async () => (await heartbeat(t, group, member)) === 'REBALANCE_IN_PROGRESS', 'a rebalance');
    const duringJoinPhase = await commitOffsets(t, group, [{ topic: 'offsets-a', offset: 2 }], member);
    await joinGroup(t, 5, { group, memberId: member.memberId, topics: ['offsets-a'] });
    await joining;
    return {
      betweenJoinAndSync,
      duringJoinPhase,
      fetched: await fetchOffsets(t, group, { 'offsets-a': [0] }),
    };
  },
);

offsetScenario(
  'commits to unknown topics and partitions: UNKNOWN_TOPIC_OR_PARTITION, and no group',
  async (t) => {
    const group = 'offsets-unknown-topic';
    const committed = await commitOffsets(t, group, [
      { topic: 'offsets-no-such-topic', offset: 1 },
      { topic: 'offsets-b', partition: 7, offset: 1 },
    ]);
    return { committed, described: (await describeGroup(t, group)).GroupState };
  },
);

offsetScenario('a commit mixing known and unknown partitions stores the known ones', async (t) => {
  const group = 'offsets-unknown-mixed';
  const committed = await commitOffsets(t, group, [
    { topic: 'offsets-no-such-topic', offset: 1 },
    { topic: 'offsets-b', partition: 0, offset: 4 },
  ]);
  return { committed, fetched: await fetchOffsets(t, group, null) };
});

for (const version of [2, 7, 8]) {
  offsetScenario(
    `OffsetFetch v${version} of every topic (null topics): the committed partitions`,
    async (t) => {
      const group = `offsets-fetch-all-v${version}`;
      await commitOffsets(t, group, [
        { topic: 'offsets-a', partition: 1, offset: 8, metadata: 'x' },
        { topic: 'offsets-b', partition: 0, offset: 9 },
      ]);
      return fetchOffsets(t, group, null, version);
    },
  );
}

for (const version of [1, 7, 8]) {
  offsetScenario(
    `OffsetFetch v${version} of a group that does not exist: -1 for each partition`,
    async (t) => ({
      named: await fetchOffsets(
        t,
        'offsets-nobody',
        { 'offsets-a': [0], 'offsets-no-such-topic': [3] },
        version,
      ),
      all: version >= 2 ? await fetchOffsets(t, 'offsets-nobody', null, version) : 'no null topics before v2',
    }),
  );
}

offsetScenario('OffsetFetch of partitions never committed, and of unknown topics: -1', async (t) => {
  const group = 'offsets-fetch-uncommitted';
  await commitOffsets(t, group, [{ topic: 'offsets-a', partition: 0, offset: 1 }]);
  return fetchOffsets(t, group, { 'offsets-a': [0, 1], 'offsets-no-such-topic': [0] });
});

offsetScenario('OffsetCommit v0 and OffsetFetch v0 (ZooKeeper-era versions) under KRaft', async (t) => {
  const group = 'offsets-v0';
  const committed = await t.request(OffsetCommitSchema, 0, {
    GroupId: group,
    Topics: [
      {
        Name: 'offsets-a',
        Partitions: [{ PartitionIndex: 0, CommittedOffset: 5n, CommittedMetadata: 'v0' }],
      },
    ],
  });
  const fetched = await t.request(OffsetFetchSchema, 0, {
    GroupId: group,
    Topics: [{ Name: 'offsets-a', PartitionIndexes: [0] }],
  });
  return {
    committed:
      committed === CLOSED
        ? CLOSED
        : perPartition(committed.Topics as Struct[], (p) => errorName(p.ErrorCode as number)),
    fetched:
      fetched === CLOSED
        ? CLOSED
        : perPartition(fetched.Topics as Struct[], (p) => ({
            offset: p.CommittedOffset,
            metadata: p.Metadata,
            ErrorCode: errorName(p.ErrorCode as number),
          })),
    afterV1: await fetchOffsets(t, group, { 'offsets-a': [0] }, 1),
  };
});

for (const version of [1, 2]) {
  offsetScenario(
    `OffsetCommit v${version} (with its commit timestamp or retention time) is fetched back`,
    async (t) => {
      const group = `offsets-commit-v${version}`;
      const committed = await t.request(OffsetCommitSchema, version, {
        GroupId: group,
        GenerationIdOrMemberEpoch: -1,
        MemberId: '',
        RetentionTimeMs: 60_000n,
        Topics: [
          {
            Name: 'offsets-a',
            Partitions: [
              {
                PartitionIndex: 0,
                CommittedOffset: 12n,
                CommitTimestamp: 1_700_000_000_000n,
                CommittedMetadata: 'm',
              },
            ],
          },
        ],
      });
      return {
        committed: perPartition(answered(committed, 'commit').Topics as Struct[], (p) =>
          errorName(p.ErrorCode as number),
        ),
        fetched: await fetchOffsets(t, group, { 'offsets-a': [0] }, version),
      };
    },
  );
}

offsetScenario('the empty group id is a group for offset commits and fetches', async (t) => {
  const committed = await commitOffsets(t, '', [{ topic: 'offsets-b', offset: 21 }]);
  return { committed, fetched: await fetchOffsets(t, '', { 'offsets-b': [0] }) };
});

offsetScenario(
  'DescribeGroups of a Stable group: protocol, members with subscription and assignment',
  async (t) => {
    const group = 'offsets-describe-stable';
    const member = await joinGroup(t, 5, { group, topics: ['offsets-a'] });
    await syncGroup(t, group, member, [
      { MemberId: member.memberId, Assignment: assignment({ 'offsets-a': [0, 1] }) },
    ]);
    return { v0: await describeGroup(t, group, 0), v5: await describeGroup(t, group, 5) };
  },
);

offsetScenario(
  'DescribeGroups between join and sync: CompletingRebalance, no protocol or member data yet',
  async (t) => {
    const group = 'offsets-describe-completing';
    await joinGroup(t, 5, { group, topics: ['offsets-a'] });
    return describeGroup(t, group);
  },
);

offsetScenario('DescribeGroups during a join phase: PreparingRebalance', async (t) => {
  const group = 'offsets-describe-preparing';
  const member = await stableGroupOfOne(t, { group, topics: ['offsets-a'] });
  const joining = joinGroup(t, 5, { group, topics: ['offsets-a'] });
  await until(async () => (await heartbeat(t, group, member)) === 'REBALANCE_IN_PROGRESS', 'a rebalance');
  const described = await describeGroup(t, group);
  await joinGroup(t, 5, { group, memberId: member.memberId, topics: ['offsets-a'] });
  await joining;
  return described;
});

offsetScenario(
  'DescribeGroups of a group that does not exist: Dead, and of one whose members left: Empty',
  async (t) => {
    const group = 'offsets-describe-left';
    const member = await stableGroupOfOne(t, { group, topics: ['offsets-a'] });
    await leaveGroup(t, 3, group, [{ memberId: member.memberId }]);
    return {
      unknown: await describeGroup(t, 'offsets-describe-nobody'),
      left: await describeGroup(t, group),
    };
  },
);

offsetScenario(
  'ListGroups: every version, with state filters (v4+, any case) and type filters (v5)',
  async (t) => {
    const stable = 'offsets-list-stable';
    const empty = 'offsets-list-empty';
    await stableGroupOfOne(t, { group: stable, topics: ['offsets-a'] });
    await commitOffsets(t, empty, [{ topic: 'offsets-a', offset: 1 }]);
    const groups = [stable, empty];
    return {
      v0: await listedGroups(t, 0, groups),
      v3: await listedGroups(t, 3, groups),
      v4Stable: await listedGroups(t, 4, groups, { states: ['Stable'] }),
      v4EmptyLowerCase: await listedGroups(t, 4, groups, { states: ['empty'] }),
      v4Dead: await listedGroups(t, 4, groups, { states: ['Dead'] }),
      v5Classic: await listedGroups(t, 5, groups, { types: ['classic'] }),
      v5Consumer: await listedGroups(t, 5, groups, { types: ['consumer'] }),
    };
  },
);

offsetScenario('a group that only handed out a member id is listed and can be deleted', async (t) => {
  const group = 'offsets-pending-only';
  await joinOnce(t, 5, { group });
  return {
    listed: await listedGroups(t, 4, [group]),
    described: await describeGroup(t, group),
    deleted: await deleteGroups(t, [group]),
  };
});

/** DeleteGroups (v2): each group's error, sorted by group. */
async function deleteGroups(t: Target, groups: string[]): Promise<unknown> {
  const response = answered(await t.request(DeleteGroupsSchema, 2, { GroupsNames: groups }), 'delete groups');
  return (response.Results as Struct[]).sort((a, b) => String(a.GroupId).localeCompare(String(b.GroupId)));
}

offsetScenario(
  'DeleteGroups: NON_EMPTY_GROUP with members, GROUP_ID_NOT_FOUND unknown, NONE for Empty',
  async (t) => {
    const withMembers = 'offsets-delete-members';
    const empty = 'offsets-delete-empty';
    await stableGroupOfOne(t, { group: withMembers, topics: ['offsets-a'] });
    await commitOffsets(t, empty, [{ topic: 'offsets-a', offset: 4 }]);
    return {
      deleted: await deleteGroups(t, [withMembers, empty, 'offsets-delete-nobody', empty]),
      emptyAfter: await fetchOffsets(t, empty, null),
      describedAfter: (await describeGroup(t, empty)).GroupState,
      again: await deleteGroups(t, [empty]),
    };
  },
);

/** OffsetDelete (v0) of partitions by topic: the top-level error and per-partition errors. */
async function offsetDelete(
  t: Target,
  group: string,
  topics: Readonly<Record<string, number[]>>,
): Promise<unknown> {
  const response = answered(
    await t.request(OffsetDeleteSchema, 0, {
      GroupId: group,
      Topics: Object.entries(topics).map(([Name, partitions]) => ({
        Name,
        Partitions: partitions.map((PartitionIndex) => ({ PartitionIndex })),
      })),
    }),
    'offset delete',
  );
  return {
    ErrorCode: response.ErrorCode,
    partitions: perPartition(response.Topics as Struct[], (p) => errorName(p.ErrorCode as number)),
  };
}

offsetScenario(
  'OffsetDelete in a consumer group with members: GROUP_SUBSCRIBED_TO_TOPIC for its topics only',
  async (t) => {
    const group = 'offsets-delete-subscribed';
    await commitOffsets(t, group, [
      { topic: 'offsets-a', offset: 1 },
      { topic: 'offsets-b', offset: 2 },
    ]);
    await stableGroupOfOne(t, { group, topics: ['offsets-a'] });
    return {
      deleted: await offsetDelete(t, group, {
        'offsets-a': [0],
        'offsets-b': [0],
        'offsets-no-such-topic': [0],
      }),
      fetched: await fetchOffsets(t, group, null),
    };
  },
);

offsetScenario(
  'OffsetDelete in an Empty group deletes; in a group that does not exist: GROUP_ID_NOT_FOUND',
  async (t) => {
    const group = 'offsets-delete-offsets-empty';
    await commitOffsets(t, group, [
      { topic: 'offsets-a', partition: 0, offset: 1 },
      { topic: 'offsets-a', partition: 1, offset: 1 },
    ]);
    return {
      deleted: await offsetDelete(t, group, { 'offsets-a': [0] }),
      fetched: await fetchOffsets(t, group, null),
      unknownGroup: await offsetDelete(t, 'offsets-delete-nobody', { 'offsets-a': [0] }),
      emptyGroupId: await offsetDelete(t, '', { 'offsets-a': [0] }),
    };
  },
);

offsetScenario('OffsetDelete in a non-consumer group with members: NON_EMPTY_GROUP', async (t) => {
  const group = 'offsets-delete-connect';
  await stableGroupOfOne(t, {
    group,
    protocolType: 'connect',
    protocols: [{ Name: 'sessioned', Metadata: subscription(['offsets-a']) }],
  });
  return offsetDelete(t, group, { 'offsets-a': [0] });
});

offsetScenario(
  'kafkajs: two consumers share a two-partition topic, and describeGroups shows them',
  async (t) => {
    const group = 'offsets-kafkajs';
    const kafka = t.kafkajs();
    const consumers = [kafka.consumer({ groupId: group }), kafka.consumer({ groupId: group })];
    const assigned: number[][] = [[], []];
    try {
      for (const [i, consumer] of consumers.entries()) {
        consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
          assigned[i] = [...(payload.memberAssignment['offsets-a'] ?? [])].sort();
        });
        await consumer.connect();
        await consumer.subscribe({ topic: 'offsets-a', fromBeginning: true });
        await consumer.run({ eachMessage: async () => undefined });
      }
      await until(() => assigned.every((a) => a.length === 1), 'one partition for each consumer', {
        timeoutMs: 60_000,
      });
      const admin = kafka.admin();
      await admin.connect();
      try {
        const [described] = (await admin.describeGroups([group])).groups;
        return {
          assigned: [...assigned].sort().flat(),
          state: described.state,
          protocolType: described.protocolType,
          protocol: described.protocol,
          members: described.members.length,
        };
      } finally {
        await admin.disconnect();
      }
    } finally {
      await Promise.all(consumers.map((c) => c.disconnect()));
    }
  },
  { timeoutMs: 90_000 },
);
