/**
 * Conformance: which broker answers for a consumer group, in a two-broker cluster on each side. Each
 * group has one coordinating broker; the other answers the group's requests with NOT_COORDINATOR (in
 * the shape each API and version gives it) and leaves the group out of its ListGroups, so a client
 * must look the coordinator up. Which broker coordinates depends on the group id's hash and on
 * placement, so scenarios observe "the coordinator" and "the other broker", never node ids.
 */
import { ErrorCode } from '../../local/kafka/errors';
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
import { DeleteGroupsSchema } from '../../local/kafka/messages/42-delete-groups';
import { OffsetDeleteSchema } from '../../local/kafka/messages/47-offset-delete';
import type { ApiSchema } from '../../local/kafka/schema';
import { until } from '../support/until';
import { joinBody, memberIdShape } from './group-requests';
import { answered, conformance, type Target } from './harness';
import { createTopic } from './topic-requests';

const scenario = conformance('groups (two brokers)', { brokers: 2 });

/** The group's coordinator (1-based broker index in the target's list) and the other broker's index. */
interface Routing {
  readonly coordinator: number;
  readonly other: number;
}

/**
 * Finds `group`'s coordinator by asking broker 1, and waits until the coordinator serves the group
 * (Kafka's coordinator loads its offsets partition a moment after it is elected).
 */
async function routing(t: Target, group: string): Promise<Routing> {
  return until(async () => {
    const found = answered(
      await t.request(FindCoordinatorSchema, 3, { Key: group, KeyType: 0 }),
      `find the coordinator of ${group}`,
    );
    if (found.ErrorCode !== 0) return false;
    const coordinator = t.nodeIds.indexOf(found.NodeId as number) + 1;
    if (coordinator < 1) throw new Error(`coordinator ${String(found.NodeId)} is not one of the brokers`);
    const ready = answered(
      await t.request(
        OffsetFetchSchema,
        7,
        { GroupId: group, Topics: null, RequireStable: false },
        coordinator,
      ),
      `fetch offsets of ${group}`,
    );
    return ready.ErrorCode === 0 && { coordinator, other: coordinator === 1 ? 2 : 1 };
  }, `the coordinator of ${group} on ${t.name}`);
}

/** One request to broker `node`, decoded, failing the scenario if the broker hung up. */
async function ask(
  t: Target,
  node: number,
  schema: ApiSchema,
  version: number,
  body: Struct,
): Promise<Struct> {
  return answered(await t.request(schema, version, body, node), `${schema.request.name} v${version}`);
}

scenario('FindCoordinator asked of either broker names the same coordinator', async (t) => {
  const group = 'route-find';
  const { coordinator } = await routing(t, group);
  // Each of Kafka's brokers learns who leads the offsets partitions on its own time: until it does, it
  // answers COORDINATOR_NOT_AVAILABLE.
  return Promise.all(
    [1, 2].map(async (node) => {
      const c = await until(async () => {
        const found = await ask(t, node, FindCoordinatorSchema, 4, { KeyType: 0, CoordinatorKeys: [group] });
        const [answer] = found.Coordinators as Struct[];
        return answer.ErrorCode !== ErrorCode.COORDINATOR_NOT_AVAILABLE && answer;
      }, `broker ${node} of ${t.name} to know the coordinator of ${group}`);
      return {
        ErrorCode: c.ErrorCode,
        isCoordinator: t.nodeIds.indexOf(c.NodeId as number) + 1 === coordinator,
      };
    }),
  );
});

for (const version of [3, 5, 9]) {
  scenario(`JoinGroup v${version} at the other broker: NOT_COORDINATOR`, async (t) => {
    const group = `route-join-v${version}`;
    const { other } = await routing(t, group);
    const response = await ask(t, other, JoinGroupSchema, version, joinBody({ group, memberId: 'someone' }));
    return { ...response, MemberId: memberIdShape(response.MemberId) };
  });
}

scenario(
  'a member joined at the coordinator: SyncGroup, Heartbeat and LeaveGroup at the other broker',
  async (t) => {
    const group = 'route-member';
    const { coordinator, other } = await routing(t, group);
    let joined = await ask(t, coordinator, JoinGroupSchema, 5, joinBody({ group }));
    joined = await ask(
      t,
      coordinator,
      JoinGroupSchema,
      5,
      joinBody({ group, memberId: joined.MemberId as string }),
    );
    const member = {
      GroupId: group,
      GenerationId: joined.GenerationId,
      MemberId: joined.MemberId,
      GroupInstanceId: null,
    };
    const sync = await ask(t, other, SyncGroupSchema, 5, {
      ...member,
      ProtocolType: 'consumer',
      ProtocolName: 'range',
      Assignments: [],
    });
    const beat = await ask(t, other, HeartbeatSchema, 4, member);
    const leave = await ask(t, other, LeaveGroupSchema, 5, {
      GroupId: group,
      Members: [{ MemberId: joined.MemberId, GroupInstanceId: null, Reason: null }],
    });
    const beatAtCoordinator = await ask(t, coordinator, HeartbeatSchema, 4, member);
    return { sync, beat, leave, beatAtCoordinator };
  },
);

scenario(
  'OffsetCommit v8 at the other broker: NOT_COORDINATOR per partition, unknown topics first',
  async (t) => {
    const group = 'route-commit';
    await createTopic(t, 'route-commit-topic');
    const { coordinator, other } = await routing(t, group);
    const commit = (node: number) =>
      ask(t, node, OffsetCommitSchema, 8, {
        GroupId: group,
        GenerationIdOrMemberEpoch: -1,
        MemberId: '',
        GroupInstanceId: null,
        RetentionTimeMs: -1n,
        Topics: ['route-commit-topic', 'route-no-such-topic'].map((Name) => ({
          Name,
          Partitions: [
            { PartitionIndex: 0, CommittedOffset: 1n, CommittedLeaderEpoch: -1, CommittedMetadata: 'm' },
          ],
        })),
      });
    return { other: await commit(other), coordinator: await commit(coordinator) };
  },
);

for (const version of [1, 3, 7, 8]) {
  scenario(
    `OffsetFetch v${version} at the other broker: NOT_COORDINATOR in that version's place`,
    async (t) => {
      const group = `route-fetch-v${version}`;
      const { other } = await routing(t, group);
      const topics = [{ Name: 'route-some-topic', PartitionIndexes: [0, 1] }];
      return ask(t, other, OffsetFetchSchema, version, {
        GroupId: group,
        Topics: topics,
        Groups: [{ GroupId: group, MemberId: null, MemberEpoch: -1, Topics: topics }],
        RequireStable: false,
      });
    },
  );
}

scenario('DescribeGroups, DeleteGroups and OffsetDelete at the other broker: NOT_COORDINATOR', async (t) => {
  const group = 'route-admin';
  const { other } = await routing(t, group);
  const described = await ask(t, other, DescribeGroupsSchema, 5, {
    Groups: [group],
    IncludeAuthorizedOperations: false,
  });
  const deleted = await ask(t, other, DeleteGroupsSchema, 2, { GroupsNames: [group] });
  const offsetsDeleted = await ask(t, other, OffsetDeleteSchema, 0, {
    GroupId: group,
    Topics: [{ Name: 'route-some-topic', Partitions: [{ PartitionIndex: 0 }] }],
  });
  return { described, deleted, offsetsDeleted };
});

scenario('ListGroups: a group is listed by its coordinator only', async (t) => {
  const group = 'route-listed';
  await createTopic(t, 'route-listed-topic');
  const { coordinator, other } = await routing(t, group);
  const committed = await ask(t, coordinator, OffsetCommitSchema, 8, {
    GroupId: group,
    GenerationIdOrMemberEpoch: -1,
    MemberId: '',
    GroupInstanceId: null,
    RetentionTimeMs: -1n,
    Topics: [
      {
        Name: 'route-listed-topic',
        Partitions: [
          { PartitionIndex: 0, CommittedOffset: 0n, CommittedLeaderEpoch: -1, CommittedMetadata: null },
        ],
      },
    ],
  });
  const listedBy = async (node: number) => {
    const listed = await ask(t, node, ListGroupsSchema, 4, { StatesFilter: [], TypesFilter: [] });
    return (listed.Groups as Struct[]).filter((g) => g.GroupId === group);
  };
  return { committed, coordinator: await listedBy(coordinator), other: await listedBy(other) };
});

scenario(
  'kafkajs: a two-member group on a two-broker cluster reads every record once and commits',
  async (t) => {
    const topic = 'route-kafkajs';
    const group = 'route-kafkajs-group';
    await createTopic(t, topic, { partitions: 4 });
    const kafka = t.kafkajs();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 20 }, (_, i) => ({ partition: i % 4, value: `record ${i}` })),
    });
    await producer.disconnect();
    const seen: string[] = [];
    const consumers = [0, 1].map(() =>
      kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 500 }),
    );
    try {
      for (const consumer of consumers) {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ partition, message }) => {
            seen.push(`${partition}:${message.offset}`);
          },
        });
      }
      await until(() => seen.length >= 20, 'all 20 records');
    } finally {
      await Promise.all(consumers.map((c) => c.disconnect()));
    }
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      return {
        records: [...new Set(seen)].sort(),
        readTwice: seen.length - new Set(seen).size,
        committed: offsets.partitions.map((p) => `${p.partition}:${p.offset}`).sort(),
      };
    } finally {
      await admin.disconnect();
    }
  },
  { timeoutMs: 60_000 },
);
