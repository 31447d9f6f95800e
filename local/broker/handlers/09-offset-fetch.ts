// OffsetFetch: v0–9. Behaviour: committed offsets of the requested partitions (-1 when none, also for
// unknown groups and topics); a null topic list (v2+) means every partition with a commit. One group
// per request before v8, a batch after. v0 read offsets from ZooKeeper: a KRaft Kafka answers it
// UNSUPPORTED_VERSION for every partition, and so does this broker. On the IAM listener a group
// without DescribeGroup answers 30 as a coordinator error would; a topic asked for without DescribeTopic
// gets 29 on its partitions, and one with commits is left out of an all-topics answer.
import { entryDenial, omitted, requestDenial } from '../auth/authorize-request';
import { ErrorCode } from '../../kafka/errors';
import { OffsetFetchSchema } from '../../kafka/messages/09-offset-fetch';
import type { RequestOf, ResponseInput } from '../../kafka/schema';
import { coordinatesGroup, type ApiHandler, type RequestContext } from './api';

type TopicRequest = NonNullable<RequestOf<typeof OffsetFetchSchema>['Topics']>[number];
/** A topic's answer; v8+ nests the same layout in each group. */
type TopicResponse = ResponseInput<typeof OffsetFetchSchema>['Topics'][number];

/** One group's committed offsets; `batched` (v8+) checks its topics' permissions within that group. */
function fetchGroup(
  context: RequestContext,
  groupId: string,
  topics: readonly TopicRequest[] | null,
  batched: boolean,
): TopicResponse[] {
  const { groups } = context;
  const group = batched ? groupId : undefined;
  const wanted =
    topics ??
    Object.values(
      groups
        .committedPartitions(groupId)
        .reduce<Record<string, TopicRequest>>((acc, { topic, partition }) => {
          (acc[topic] ??= { Name: topic, PartitionIndexes: [] }).PartitionIndexes.push(partition);
          return acc;
        }, {}),
    ).filter((t) => !omitted(context, 'topic', t.Name, group));
  return wanted.map((t) => ({
    Name: t.Name,
    Partitions: t.PartitionIndexes.map((p) => {
      const denied = entryDenial(context, 'topic', t.Name, group);
      if (denied !== ErrorCode.NONE) return failedPartition(p, denied);
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

/** A partition answered with no offset and `code`. */
const failedPartition = (p: number, code: number): TopicResponse['Partitions'][number] => ({
  PartitionIndex: p,
  CommittedOffset: -1n,
  CommittedLeaderEpoch: -1,
  Metadata: '',
  ErrorCode: code,
});

/** Every partition asked for, with no offset and `code`: how versions without a group error say one. */
function everyPartitionFailed(topics: readonly TopicRequest[] | null, code: number): TopicResponse[] {
  return (topics ?? []).map((t) => ({
    Name: t.Name,
    Partitions: t.PartitionIndexes.map((p) => failedPartition(p, code)),
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
        Groups: request.Groups.map((g) => {
          const denied = entryDenial(context, 'group', g.GroupId);
          if (denied !== ErrorCode.NONE) return { GroupId: g.GroupId, Topics: [], ErrorCode: denied };
          return coordinatesGroup(context, g.GroupId)
            ? {
                GroupId: g.GroupId,
                Topics: fetchGroup(context, g.GroupId, g.Topics, true),
                ErrorCode: ErrorCode.NONE,
              }
            : { GroupId: g.GroupId, Topics: [], ErrorCode: ErrorCode.NOT_COORDINATOR };
        }),
        // v0–7's single group, not sent from v8.
        Topics: [],
        ErrorCode: ErrorCode.NONE,
      };
    }
    const topics = request.Topics;
    const deniedGroup = requestDenial(context);
    if (deniedGroup !== ErrorCode.NONE) {
      return context.header.apiVersion <= 1
        ? oneGroup(everyPartitionFailed(topics, deniedGroup), deniedGroup)
        : oneGroup([], deniedGroup);
    }
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
    return oneGroup(fetchGroup(context, groupId, topics, false), ErrorCode.NONE);
  },
};
