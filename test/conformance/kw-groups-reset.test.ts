/**
 * `kw groups reset-offsets` on Apache Kafka (the reference) and on the embedded broker: the same
 * commands move a stopped group's offsets the same way, read back by kafkajs. On a fresh Apache
 * Kafka the first FindCoordinator answers COORDINATOR_NOT_AVAILABLE while __consumer_offsets is made,
 * and the coordinator it then names may answer NOT_COORDINATOR until it has loaded the partition: kw
 * waits both out. Part of `npm run test:conformance` (it needs Java).
 */
import { Kafka, logLevel } from 'kafkajs';
import { main } from '../../cli/main';
import { startBroker } from '../../local/broker/broker';
import { startApacheKafka } from '../support/apache-kafka';
import { capture } from '../support/command-io';

jest.setTimeout(180_000);

/** Runs the same resets on the cluster at `bootstrap`; returns what kafkajs reads back after each. */
async function resets(bootstrap: string): Promise<unknown[]> {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'replay', numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'replay',
      acks: -1,
      messages: ['a', 'b', 'c'].map((value) => ({ value, partition: 0 })),
    });
    await producer.disconnect();
    const seen: unknown[] = [];
    for (const to of [['--to-latest'], ['--to-offset', '1', '--partition', '0'], ['--to-earliest']]) {
      const io = capture();
      const code = await main(
        ['groups', 'reset-offsets', 'audit', '--topic', 'replay', ...to, '--bootstrap', bootstrap],
        io,
      );
      const [{ partitions }] = await admin.fetchOffsets({ groupId: 'audit', topics: ['replay'] });
      seen.push({
        to: to.join(' '),
        code,
        err: io.stderr,
        offsets: partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset),
      });
    }
    return seen;
  } finally {
    await admin.disconnect();
  }
}

test('GIVEN a stopped group WHEN kw groups reset-offsets moves it THEN Apache Kafka and the embedded broker end the same', async () => {
  const apache = await startApacheKafka();
  let onKafka: unknown[];
  try {
    onKafka = await resets(apache.bootstrapServers);
  } finally {
    await apache.stop();
  }
  const embedded = await startBroker({ port: 0 });
  let onEmbedded: unknown[];
  try {
    onEmbedded = await resets(embedded.bootstrapServers);
  } finally {
    await embedded.close();
  }
  const newGroup = "kw groups: note: there was no group named 'audit'; it now exists with these offsets\n";
  expect(onKafka).toEqual([
    { to: '--to-latest', code: 0, err: newGroup, offsets: ['3', '0'] },
    { to: '--to-offset 1 --partition 0', code: 0, err: '', offsets: ['1', '0'] },
    { to: '--to-earliest', code: 0, err: '', offsets: ['0', '0'] },
  ]);
  expect(onEmbedded).toEqual(onKafka);
});
