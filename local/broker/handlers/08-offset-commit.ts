// OffsetCommit: v0–9. Behaviour: members commit within their generation; generation -1 with no member
// id commits from outside the group protocol (simple consumers, admin tools). Offsets are kept until the
// group is deleted (retention times are accepted and ignored).
import { ErrorCode } from '../protocol/errors';
import { OffsetCommitSchema } from '../protocol/messages/08-offset-commit';
import type { ApiHandler } from './api';

interface CommitPartition {
  PartitionIndex: number;
  CommittedOffset: bigint;
  CommittedLeaderEpoch: number;
  CommittedMetadata: string | null;
}

export const offsetCommit: ApiHandler = {
  key: 8,
  name: 'OffsetCommit',
  schema: OffsetCommitSchema,
  minVersion: 0,
  maxVersion: 9,
  handle(request, context) {
    const groupId = request.GroupId as string;
    const generation = context.header.apiVersion >= 1 ? (request.GenerationIdOrMemberEpoch as number) : -1;
    const memberId = context.header.apiVersion >= 1 ? (request.MemberId as string) : '';
    const check = context.groups.commitCheck(groupId, generation, memberId);
    const topics = request.Topics as { Name: string; Partitions: CommitPartition[] }[];
    return {
      ThrottleTimeMs: 0,
      Topics: topics.map((t) => ({
        Name: t.Name,
        Partitions: t.Partitions.map((p) => {
          let code: number = check;
          if (code === ErrorCode.NONE && !context.cluster.partition(t.Name, p.PartitionIndex))
            code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          if (code === ErrorCode.NONE) {
            context.groups.commitOffset(groupId, t.Name, p.PartitionIndex, {
              offset: p.CommittedOffset,
              leaderEpoch: p.CommittedLeaderEpoch,
              metadata: p.CommittedMetadata,
            });
          }
          return { PartitionIndex: p.PartitionIndex, ErrorCode: code };
        }),
      })),
    };
  },
};
