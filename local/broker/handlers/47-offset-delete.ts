// OffsetDelete: v0. Behaviour: removes committed offsets; partitions of unknown topics get
// UNKNOWN_TOPIC_OR_PARTITION. A group with members keeps the offsets of topics it subscribes to
// (GROUP_SUBSCRIBED_TO_TOPIC); a non-consumer group with members, an unknown group or an empty group
// id fail the whole request (its top-level error, no topics), as in Kafka. On the IAM listener so does
// a group without DeleteGroup (30); a topic without ReadData gets 29 on its partitions.
import { entryDenial, requestDenial } from '../auth/authorize-request';
import { ErrorCode } from '../../kafka/errors';
import { OffsetDeleteSchema } from '../../kafka/messages/47-offset-delete';
import type { ResponseInput } from '../../kafka/schema';
import { coordinatesGroup, type ApiHandler } from './api';

type PartitionResponse = ResponseInput<typeof OffsetDeleteSchema>['Topics'][number]['Partitions'][number];

export const offsetDelete: ApiHandler<typeof OffsetDeleteSchema> = {
  key: 47,
  name: 'OffsetDelete',
  schema: OffsetDeleteSchema,
  minVersion: 0,
  maxVersion: 0,
  handle(request, context): ResponseInput<typeof OffsetDeleteSchema> {
    const groupId = request.GroupId;
    const deniedGroup = requestDenial(context);
    if (deniedGroup !== ErrorCode.NONE) return { ErrorCode: deniedGroup, ThrottleTimeMs: 0, Topics: [] };
    if (!coordinatesGroup(context, groupId))
      return { ErrorCode: ErrorCode.NOT_COORDINATOR, ThrottleTimeMs: 0, Topics: [] };
    const answers: { topic: string; partition: number; errorCode: number }[] = [];
    const known: { topic: string; partition: number }[] = [];
    for (const t of request.Topics) {
      for (const p of t.Partitions) {
        const partition = { topic: t.Name, partition: p.PartitionIndex };
        const denied = entryDenial(context, 'topic', t.Name);
        if (denied !== ErrorCode.NONE) answers.push({ ...partition, errorCode: denied });
        else if (context.cluster.partition(t.Name, p.PartitionIndex)) known.push(partition);
        else answers.push({ ...partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
      }
    }
    const result = context.groups.deleteOffsets(groupId, known);
    if (result.errorCode !== ErrorCode.NONE)
      return { ErrorCode: result.errorCode, ThrottleTimeMs: 0, Topics: [] };
    const byTopic = new Map<string, PartitionResponse[]>();
    for (const a of [...answers, ...result.partitions]) {
      const partitions = byTopic.get(a.topic) ?? [];
      partitions.push({ PartitionIndex: a.partition, ErrorCode: a.errorCode });
      byTopic.set(a.topic, partitions);
    }
    return {
      ErrorCode: ErrorCode.NONE,
      ThrottleTimeMs: 0,
      Topics: [...byTopic].map(([Name, Partitions]) => ({ Name, Partitions })),
    };
  },
};
