// OffsetForLeaderEpoch: v0–4. Behaviour, as Apache Kafka's for a consumer (and for any ReplicaId: the
// brokers' followers replicate in process): the partition's leader answers from its leader-epoch cache
// the largest epoch at or below the one asked and the offset where the next epoch began, or, for its
// latest epoch, its log end; -1/-1 for an epoch newer than any it knows. Clients ask it after a leader
// change to find out whether the records they read were cut from the log (KIP-320). CurrentLeaderEpoch
// (v2+) is checked as Fetch checks it; a broker that does not lead answers NOT_LEADER_OR_FOLLOWER.
import { entryDenial } from '../auth/authorize-request';
import { ErrorCode } from '../../kafka/errors';
import { OffsetForLeaderEpochSchema } from '../../kafka/messages/23-offset-for-leader-epoch';
import type { ResponseInput } from '../../kafka/schema';
import { leaderCheck, type ApiHandler } from './api';

type OffsetForLeaderEpochResponse = ResponseInput<typeof OffsetForLeaderEpochSchema>;
type PartitionAnswer = OffsetForLeaderEpochResponse['Topics'][number]['Partitions'][number];

export const offsetForLeaderEpoch: ApiHandler<typeof OffsetForLeaderEpochSchema> = {
  key: 23,
  name: 'OffsetForLeaderEpoch',
  schema: OffsetForLeaderEpochSchema,
  minVersion: 0,
  maxVersion: 4,
  handle(request, context): OffsetForLeaderEpochResponse {
    return {
      ThrottleTimeMs: 0,
      Topics: request.Topics.map((t): OffsetForLeaderEpochResponse['Topics'][number] => ({
        Topic: t.Topic,
        Partitions: t.Partitions.map((p): PartitionAnswer => {
          const failed = (code: number): PartitionAnswer => ({
            ErrorCode: code,
            Partition: p.Partition,
            LeaderEpoch: -1,
            EndOffset: -1n,
          });
          const denied = entryDenial(context, 'topic', t.Topic);
          if (denied !== ErrorCode.NONE) return failed(denied);
          const partition = context.cluster.partition(t.Topic, p.Partition);
          if (!partition) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          const leadership = leaderCheck(context, partition, p.CurrentLeaderEpoch);
          if (leadership !== ErrorCode.NONE) return failed(leadership);
          const { epoch, endOffset } = partition.log.endOffsetForEpoch(p.LeaderEpoch);
          return {
            ErrorCode: ErrorCode.NONE,
            Partition: p.Partition,
            LeaderEpoch: epoch,
            EndOffset: BigInt(endOffset),
          };
        }),
      })),
    };
  },
};
