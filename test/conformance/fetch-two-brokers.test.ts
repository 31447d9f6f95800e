/**
 * Conformance: Fetch sent to a broker that does not lead the partition, in a two-broker cluster on
 * each side: NOT_LEADER_OR_FOLLOWER, and from v16 the leader named in CurrentLeader with its endpoint.
 */
import type { Struct } from '../../local/kafka/message-codec';
import { FetchSchema } from '../../local/kafka/messages/01-fetch';
import { fetchBody, fetchObservation, sizedBatch } from './fetch-requests';
import { conformance, type Target } from './harness';
import { createTopic, describeTopic, produceOk } from './topic-requests';

const scenario = conformance('fetch (two brokers)', { brokers: 2 });

/** Partition 0's leader and leader epoch as Metadata gives them. */
async function leaderOf(t: Target, topic: string): Promise<{ leader: number; epoch: number }> {
  const [partition] = (await describeTopic(t, topic)).Partitions as Struct[];
  return { leader: partition.LeaderId as number, epoch: partition.LeaderEpoch as number };
}

for (const version of [12, 16]) {
  scenario(`v${version} from the broker that does not lead: NOT_LEADER_OR_FOLLOWER`, async (t) => {
    const topic = `fetch-not-leader-v${version}`;
    const topicId = await createTopic(t, topic);
    await produceOk(t, topic, 0, sizedBatch(100));
    const { leader, epoch } = await leaderOf(t, topic);
    const spec = { version, partitions: [{ topic, topicId, offset: 0 }] };
    const connection = await t.connect(t.nodeIds.indexOf(leader) === 0 ? 2 : 1);
    try {
      const response = await connection.request(FetchSchema, version, fetchBody(spec));
      // Which node leads differs between brokers: the leader is observed as "the leader".
      const named = (nodeId: unknown) => (nodeId === leader ? 'the leader' : nodeId);
      const observed = fetchObservation(t, response, spec) as Struct;
      return {
        ...observed,
        Responses: (observed.Responses as Struct[]).map((r) => ({
          ...r,
          Partitions: (r.Partitions as Struct[]).map((p) => {
            const current = p.CurrentLeader as Struct;
            return {
              ...p,
              CurrentLeader: {
                LeaderId: named(current.LeaderId),
                LeaderEpoch:
                  current.LeaderId !== -1 && current.LeaderEpoch === epoch
                    ? 'as in Metadata'
                    : current.LeaderEpoch,
              },
            };
          }),
        })),
        ...(observed.NodeEndpoints
          ? {
              NodeEndpoints: (observed.NodeEndpoints as Struct[]).map((n) => ({
                ...n,
                NodeId: named(n.NodeId),
              })),
            }
          : {}),
      };
    } finally {
      connection.close();
    }
  });
}
