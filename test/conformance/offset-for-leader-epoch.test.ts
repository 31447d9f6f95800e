/**
 * Conformance: OffsetForLeaderEpoch, the request clients send after a leader change to find where the
 * records of an epoch end (KIP-320), on one broker each side: the latest epoch's end is the log end;
 * an epoch newer than any is -1/-1; the asker's CurrentLeaderEpoch is checked; unknown partitions.
 */
import type { Struct } from '../../local/kafka/message-codec';
import { OffsetForLeaderEpochSchema } from '../../local/kafka/messages/23-offset-for-leader-epoch';
import { sizedBatch } from './fetch-requests';
import { answered, conformance, type Target } from './harness';
import { createTopic, produceOk } from './topic-requests';

const scenario = conformance('offset for leader epoch');

/** One partition's answer to OffsetForLeaderEpoch at `version`. */
async function endOf(
  t: Target,
  topic: string,
  leaderEpoch: number,
  options: { version?: number; currentLeaderEpoch?: number; partition?: number } = {},
): Promise<unknown> {
  const version = options.version ?? 4;
  const response = answered(
    await t.request(OffsetForLeaderEpochSchema, version, {
      ReplicaId: -2,
      Topics: [
        {
          Topic: topic,
          Partitions: [
            {
              Partition: options.partition ?? 0,
              CurrentLeaderEpoch: options.currentLeaderEpoch ?? -1,
              LeaderEpoch: leaderEpoch,
            },
          ],
        },
      ],
    }),
    'OffsetForLeaderEpoch',
  );
  return ((response.Topics as Struct[])[0].Partitions as Struct[])[0];
}

for (const version of [0, 2, 3, 4]) {
  scenario(`v${version}: the latest epoch ends at the log end; a newer one is unknown`, async (t) => {
    const topic = `epoch-end-v${version}`;
    await createTopic(t, topic);
    await produceOk(t, topic, 0, sizedBatch(10, 3));
    await produceOk(t, topic, 0, sizedBatch(10, 2));
    return {
      latest: await endOf(t, topic, 0, { version }),
      newer: await endOf(t, topic, 4, { version }),
      none: await endOf(t, topic, -1, { version }),
    };
  });
}

scenario('v4: CurrentLeaderEpoch older, newer and equal; an unknown partition', async (t) => {
  await createTopic(t, 'epoch-checks');
  await produceOk(t, 'epoch-checks', 0, sizedBatch(10));
  return {
    newer: await endOf(t, 'epoch-checks', 0, { currentLeaderEpoch: 3 }),
    equal: await endOf(t, 'epoch-checks', 0, { currentLeaderEpoch: 0 }),
    unknownPartition: await endOf(t, 'epoch-checks', 0, { partition: 5 }),
    unknownTopic: await endOf(t, 'no-such-topic-for-epochs', 0),
  };
});
