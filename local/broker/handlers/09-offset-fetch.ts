// OffsetFetch: v0–9. Behaviour: committed offsets of the requested partitions (-1 when none, also for
// unknown groups and topics); a null topic list (v2+) means every partition with a commit. One group
// per request before v8, a batch after. v0 read offsets from ZooKeeper: a KRaft Kafka answers it
// UNSUPPORTED_VERSION for every partition, and so does this broker.
import { ErrorCode } from '../../kafka/errors';
import type { Struct } from '../../kafka/message-codec';
import { OffsetFetchSchema } from '../../kafka/messages/09-offset-fetch';
import type { GroupCoordinator } from '../groups/group-coordinator';
import { coordinatesGroup, type ApiHandler } from './api';

type TopicRequest = { Name: string; PartitionIndexes: number[] };

function fetchGroup(groups: GroupCoordinator, groupId: string, topics: TopicRequest[] | null): Struct[] {
  const wanted =
    topics ??
    Object.values(
      groups
        .committedPartitions(groupId)
        .reduce<Record<string, TopicRequest>>((acc, { topic, partition }) => {
          (acc[topic] ??= { Name: topic, PartitionIndexes: [] }).PartitionIndexes.push(partition);
          return acc;
        }, {}),
    );
  return wanted.map((t) => ({
    Name: t.Name,
    Partitions: t.PartitionIndexes.map((p) => {
      const c = groups.committedOffset(groupId, t.Name, p);
      return {
        PartitionIndex: p,
        CommittedOffset: c?.offset ?? -1n,
        CommittedLeaderEpoch: c?.leaderEpoch ?? -1,
        Metadata: c?.metadata ?? '',
        ErrorCode: ErrorCode.NONE,
      };
    }),
  }));
}

/** Every partition asked for, with no offset and `code`: how versions without a group error say one. */
function everyPartitionFailed(topics: TopicRequest[] | null, code: number): Struct[] {
  return (topics ?? []).map((t) => ({
    Name: t.Name,
    Partitions: t.PartitionIndexes.map((p) => ({
      PartitionIndex: p,
      CommittedOffset: -1n,
      CommittedLeaderEpoch: -1,
      Metadata: '',
      ErrorCode: code,
    })),
  }));
}

export const offsetFetch: ApiHandler = {
  key: 9,
  name: 'OffsetFetch',
  schema: OffsetFetchSchema,
  minVersion: 0,
  maxVersion: 9,
  handle(request, context) {
    if (context.header.apiVersion >= 8) {
      const groups = request.Groups as { GroupId: string; Topics: TopicRequest[] | null }[];
      return {
        ThrottleTimeMs: 0,
        Groups: groups.map((g) =>
          coordinatesGroup(context, g.GroupId)
            ? {
                GroupId: g.GroupId,
                Topics: fetchGroup(context.groups, g.GroupId, g.Topics),
                ErrorCode: ErrorCode.NONE,
              }
            : { GroupId: g.GroupId, Topics: [], ErrorCode: ErrorCode.NOT_COORDINATOR },
        ),
      };
    }
    const topics = request.Topics as TopicRequest[] | null;
    if (context.header.apiVersion === 0) {
      return {
        ThrottleTimeMs: 0,
        Topics: everyPartitionFailed(topics, ErrorCode.UNSUPPORTED_VERSION),
        ErrorCode: ErrorCode.NONE,
      };
    }
    const groupId = request.GroupId as string;
    if (!coordinatesGroup(context, groupId)) {
      // v1 reports the error on each partition asked for; v2 added the top-level error code for it.
      return context.header.apiVersion === 1
        ? {
            ThrottleTimeMs: 0,
            Topics: everyPartitionFailed(topics, ErrorCode.NOT_COORDINATOR),
            ErrorCode: ErrorCode.NOT_COORDINATOR,
          }
        : { ThrottleTimeMs: 0, Topics: [], ErrorCode: ErrorCode.NOT_COORDINATOR };
    }
    return {
      ThrottleTimeMs: 0,
      Topics: fetchGroup(context.groups, groupId, topics),
      ErrorCode: ErrorCode.NONE,
    };
  },
};
