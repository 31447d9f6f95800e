/**
 * Conformance: replication factors on a three-broker cluster on each side: what Metadata reports of
 * replicated topics (the failure drills are in drills.test.ts).
 */
import type { Struct } from '../../local/kafka/message-codec';
import { CreateTopicsSchema } from '../../local/kafka/messages/19-create-topics';
import { answered, conformance, type Target } from './harness';
import { createTopic, createTopicsBody, describeTopic } from './topic-requests';

const scenario = conformance('replication', { brokers: 3 });

/** Per partition: how many replicas and in-sync replicas Metadata lists, and whether it leads. */
async function copies(t: Target, topic: string): Promise<unknown> {
  const described = await describeTopic(t, topic);
  return (described.Partitions as Struct[])
    .map((p) => ({
      partition: p.PartitionIndex,
      replicas: (p.ReplicaNodes as number[]).length,
      isr: (p.IsrNodes as number[]).length,
      leaderIsAReplica: (p.ReplicaNodes as number[]).includes(p.LeaderId as number),
      offline: (p.OfflineReplicas as number[]).length,
    }))
    .sort((a, b) => Number(a.partition) - Number(b.partition));
}

scenario('replication factor 3: every partition has three replicas, all in sync', async (t) => {
  await createTopic(t, 'replicated', { partitions: 3, replicationFactor: 3 });
  return copies(t, 'replicated');
});

scenario('replication factor 1 on three brokers: one replica, the leader', async (t) => {
  await createTopic(t, 'single-copy', { partitions: 3, replicationFactor: 1 });
  return copies(t, 'single-copy');
});

scenario('replication factor 4 on three brokers: INVALID_REPLICATION_FACTOR', async (t) => {
  const response = answered(
    await t.request(CreateTopicsSchema, 5, createTopicsBody({ 'too-many-copies': { replicationFactor: 4 } })),
    'create',
  );
  return (response.Topics as Struct[]).map((r) => ({ Name: r.Name, ErrorCode: r.ErrorCode }));
});

scenario('partition leaders spread over the three brokers', async (t) => {
  await createTopic(t, 'spread', { partitions: 6, replicationFactor: 1 });
  const described = await describeTopic(t, 'spread');
  const leaders = new Set((described.Partitions as Struct[]).map((p) => p.LeaderId));
  return { brokersLeading: leaders.size };
});
