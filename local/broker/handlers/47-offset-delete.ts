// OffsetDelete: v0. Behaviour: removes committed offsets of partitions of a group that has no members;
// a group with members gets GROUP_SUBSCRIBED_TO_TOPIC (it may be reading those partitions).
import { ErrorCode } from '../protocol/errors';
import { OffsetDeleteSchema } from '../protocol/messages/47-offset-delete';
import type { ApiHandler } from './api';

export const offsetDelete: ApiHandler = {
  key: 47,
  name: 'OffsetDelete',
  schema: OffsetDeleteSchema,
  minVersion: 0,
  maxVersion: 0,
  handle(request, context) {
    const groupId = request.GroupId as string;
    const topics = request.Topics as { Name: string; Partitions: { PartitionIndex: number }[] }[];
    return {
      ErrorCode: ErrorCode.NONE,
      ThrottleTimeMs: 0,
      Topics: topics.map((t) => ({
        Name: t.Name,
        Partitions: context.groups
          .deleteOffsets(
            groupId,
            t.Name,
            t.Partitions.map((p) => p.PartitionIndex),
          )
          .map((r) => ({ PartitionIndex: r.partition, ErrorCode: r.errorCode })),
      })),
    };
  },
};
