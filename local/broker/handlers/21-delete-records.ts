// DeleteRecords: v0–2. Behaviour: moves the log start offset up to Offset (-1 = the high watermark);
// records before it can no longer be fetched. An offset past the high watermark is OFFSET_OUT_OF_RANGE.
// Topics whose cleanup.policy lacks 'delete' (compacted only) refuse with POLICY_VIOLATION, as in Kafka.
import { entryDenial } from '../auth/authorize-request';
import { ErrorCode } from '../../kafka/errors';
import { DeleteRecordsSchema } from '../../kafka/messages/21-delete-records';
import type { ResponseInput } from '../../kafka/schema';
import type { ApiHandler } from './api';

type DeleteRecordsResponse = ResponseInput<typeof DeleteRecordsSchema>;
type TopicResult = DeleteRecordsResponse['Topics'][number];

export const deleteRecords: ApiHandler<typeof DeleteRecordsSchema> = {
  key: 21,
  name: 'DeleteRecords',
  schema: DeleteRecordsSchema,
  minVersion: 0,
  maxVersion: 2,
  handle(request, context): DeleteRecordsResponse {
    const { cluster, broker } = context;
    return {
      ThrottleTimeMs: 0,
      Topics: request.Topics.map((t): TopicResult => ({
        Name: t.Name,
        Partitions: t.Partitions.map((p) => {
          const answer = (code: number, low = -1n): TopicResult['Partitions'][number] => ({
            PartitionIndex: p.PartitionIndex,
            LowWatermark: low,
            ErrorCode: code,
          });
          const denied = entryDenial(context, 'topic', t.Name);
          if (denied !== ErrorCode.NONE) return answer(denied);
          const partition = cluster.partition(t.Name, p.PartitionIndex);
          if (!partition) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          if (partition.leader !== broker.nodeId) return answer(ErrorCode.NOT_LEADER_OR_FOLLOWER);
          const policy = cluster.topics.get(t.Name)!.configs['cleanup.policy'].split(',');
          if (!policy.includes('delete')) return answer(ErrorCode.POLICY_VIOLATION);
          const hwm = partition.log.highWatermark;
          const target = p.Offset === -1n ? hwm : Number(p.Offset);
          if (target < 0 || target > hwm) return answer(ErrorCode.OFFSET_OUT_OF_RANGE);
          cluster.deleteRecords(t.Name, p.PartitionIndex, target);
          return answer(ErrorCode.NONE, BigInt(partition.log.logStartOffset));
        }),
      })),
    };
  },
};
