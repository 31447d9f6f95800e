// OffsetFetch: v0–9. Behaviour: committed offsets of the requested partitions (-1 when none, also for
// unknown groups and topics); a null topic list (v2+) means every partition with a commit. One group
// per request before v8, a batch after. v0 read offsets from ZooKeeper: a KRaft Kafka answers it
// UNSUPPORTED_VERSION for every partition, and so does this broker.
import { ErrorCode } from '../../kafka/errors';
import { OffsetFetchSchema } from '../../kafka/messages/09-offset-fetch';
import type { RequestOf, ResponseInput } from '../../kafka/schema';
import type { GroupCoordinator } from '../groups/group-coordinator';
import { coordinatesGroup, type ApiHandler } from './api';

type TopicRequest = NonNullable<RequestOf<typeof OffsetFetchSchema>['Topics']>[number];
/** A topic's answer; v8+ nests the same layout in each group. */
type TopicResponse = ResponseInput<typeof OffsetFetchSchema>['Topics'][number];

function fetchGroup(
  groups: GroupCoordinator,
  groupId: string,
  topics: readonly TopicRequest[] | null,
): TopicResponse[] {
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
function everyPartitionFailed(topics: readonly TopicRequest[] | null, code: number): TopicResponse[] {
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

/** A v0–7 answer: one group's topics and error (the v8+ list of groups is not sent). */
function oneGroup(topics: TopicResponse[], errorCode: number): ResponseInput<typeof OffsetFetchSchema> {
  return { ThrottleTimeMs: 0, Topics: topics, ErrorCode: errorCode, Groups: [] };
}

export const offsetFetch: ApiHandler<typeof OffsetFetchSchema> = {
  key: 9,
  name: 'OffsetFetch',
  schema: OffsetFetchSchema,
  minVersion: 0,
  maxVersion: 9,
  handle(request, context): ResponseInput<typeof OffsetFetchSchema> {
    if (context.header.apiVersion >= 8) {
      return {
        ThrottleTimeMs: 0,
        Groups: request.Groups.map((g) =>
          coordinatesGroup(context, g.GroupId)
            ? {
                GroupId: g.GroupId,
                Topics: fetchGroup(context.groups, g.GroupId, g.Topics),
                ErrorCode: ErrorCode.NONE,
              }
            : { GroupId: g.GroupId, Topics: [], ErrorCode: ErrorCode.NOT_COORDINATOR },
        ),
        // v0–7's single group, not sent from v8.
        Topics: [],
        ErrorCode: ErrorCode.NONE,
      };
    }
    const topics = request.Topics;
    if (context.header.apiVersion === 0) {
      return oneGroup(everyPartitionFailed(topics, ErrorCode.UNSUPPORTED_VERSION), ErrorCode.NONE);
    }
    const groupId = request.GroupId;
    if (!coordinatesGroup(context, groupId)) {
      // v1 reports the error on each partition asked for; v2 added the top-level error code for it.
      return context.header.apiVersion === 1
        ? oneGroup(everyPartitionFailed(topics, ErrorCode.NOT_COORDINATOR), ErrorCode.NOT_COORDINATOR)
        : oneGroup([], ErrorCode.NOT_COORDINATOR);
    }
    return oneGroup(fetchGroup(context.groups, groupId, topics), ErrorCode.NONE);
  },
};
