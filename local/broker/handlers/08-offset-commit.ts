// OffsetCommit: v0–9. Behaviour, as Kafka's: partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION
// before the group is looked at; the rest are checked against the group (see commitCheck: members
// commit within their generation, generation -1 without a member id commits from outside the group
// protocol while the group is Empty). Metadata longer than offset.metadata.max.bytes (4096) is refused
// per partition with OFFSET_METADATA_TOO_LARGE. A broker that does not coordinate the group answers
// NOT_COORDINATOR for the partitions that exist. Offsets are kept until the group is deleted
// (retention times are accepted and ignored). v0 stored offsets in ZooKeeper: a KRaft Kafka answers it
// UNSUPPORTED_VERSION for every partition (once one exists), and so does this broker. On the IAM
// listener a group without AlterGroup fails every partition (30) and a topic without ReadData its
// own (29), before anything else is looked at.
import { entryDenial } from '../auth/authorize-request';
import { ErrorCode } from '../../kafka/errors';
import { OffsetCommitSchema } from '../../kafka/messages/08-offset-commit';
import type { RequestOf, ResponseInput } from '../../kafka/schema';
import { coordinatesGroup, type ApiHandler } from './api';

type CommitPartition = RequestOf<typeof OffsetCommitSchema>['Topics'][number]['Partitions'][number];
type PartitionResponse = ResponseInput<typeof OffsetCommitSchema>['Topics'][number]['Partitions'][number];

/** offset.metadata.max.bytes, Kafka's default; counted in UTF-16 code units, as Java's String.length(). */
const OFFSET_METADATA_MAX = 4096;

export const offsetCommit: ApiHandler<typeof OffsetCommitSchema> = {
  key: 8,
  name: 'OffsetCommit',
  schema: OffsetCommitSchema,
  minVersion: 0,
  maxVersion: 9,
  handle(request, context): ResponseInput<typeof OffsetCommitSchema> {
    const version = context.header.apiVersion;
    const groupId = request.GroupId;
    const deniedTopics = request.Topics.filter(
      (t) => entryDenial(context, 'topic', t.Name) !== ErrorCode.NONE,
    );
    const topics = request.Topics.filter((t) => !deniedTopics.includes(t));
    const exists = (topic: string, p: CommitPartition) => context.cluster.partition(topic, p.PartitionIndex);
    const anyExists = topics.some((t) => t.Partitions.some((p) => exists(t.Name, p)));
    // The group is only looked at (and a standalone consumer's group created) when a partition exists.
    const check = !anyExists
      ? ErrorCode.NONE
      : version === 0
        ? ErrorCode.UNSUPPORTED_VERSION
        : !coordinatesGroup(context, groupId)
          ? ErrorCode.NOT_COORDINATOR
          : context.groups.commitCheck(
              groupId,
              request.GenerationIdOrMemberEpoch,
              request.MemberId,
              request.GroupInstanceId,
            );
    const fits = (p: CommitPartition) =>
      p.CommittedMetadata === null || p.CommittedMetadata.length <= OFFSET_METADATA_MAX;
    // Kafka answers partitions of unknown topics first, as it sorts them out before asking the
    // coordinator, and then adds the coordinator's answers: a topic is listed where it first appeared.
    const answers = new Map<string, PartitionResponse[]>();
    const answer = (topic: string, PartitionIndex: number, code: number) => {
      const partitions = answers.get(topic) ?? [];
      partitions.push({ PartitionIndex, ErrorCode: code });
      answers.set(topic, partitions);
    };
    for (const t of deniedTopics) {
      const code = entryDenial(context, 'topic', t.Name);
      for (const p of t.Partitions) answer(t.Name, p.PartitionIndex, code);
    }
    if (check !== ErrorCode.UNSUPPORTED_VERSION) {
      for (const t of topics)
        for (const p of t.Partitions)
          if (!exists(t.Name, p)) answer(t.Name, p.PartitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
    for (const t of topics) {
      for (const p of t.Partitions) {
        if (check !== ErrorCode.UNSUPPORTED_VERSION && !exists(t.Name, p)) continue;
        const code = check === ErrorCode.NONE && !fits(p) ? ErrorCode.OFFSET_METADATA_TOO_LARGE : check;
        if (code === ErrorCode.NONE) {
          context.groups.commitOffset(groupId, t.Name, p.PartitionIndex, {
            offset: p.CommittedOffset,
            leaderEpoch: p.CommittedLeaderEpoch,
            metadata: p.CommittedMetadata,
          });
        }
        answer(t.Name, p.PartitionIndex, code);
      }
    }
    return {
      ThrottleTimeMs: 0,
      Topics: [...answers].map(([Name, Partitions]) => ({ Name, Partitions })),
    };
  },
};
