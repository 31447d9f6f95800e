/**
 * Current Python clients from PyPI (confluent-kafka, on a current librdkafka, and kafka-python 3.x,
 * pinned in test/peers/python/requirements.txt and installed into .test-deps/python by
 * scripts/install-test-deps.sh) against `kw broker --brokers 3`: admin, an idempotent producer with
 * keys and headers, a group consumer that commits. Every record's key, value, headers, partition and
 * offset is checked, and what the client reports against the broker (kafkajs, raw fetches). Debian's
 * older kafka-python keeps its own test (kafka-python.test.ts).
 */
import { cliBrokerForTests } from '../support/kw-process';
import { endOffsets } from './clients/broker-view';
import { eventsNamed, PYTHON_CLIENTS, runPythonProbe } from './clients/peers';
import {
  expectCommittedToTheEnd,
  expectTopicAndClusterMatchBroker,
  idempotentBatches,
  inPartitionOrder,
  perPartition,
  placedOrders,
  probeCommands,
  producedThenConsumed,
  recordFields,
} from './clients/probe-records';

jest.setTimeout(120_000);

const broker = cliBrokerForTests(['--brokers', '3']);

const CLIENTS = [
  { name: 'confluent-kafka', script: 'confluent_probe.py', topicExists: 'TOPIC_ALREADY_EXISTS' },
  { name: 'kafka-python', script: 'kafka_python_probe.py', topicExists: 'TopicAlreadyExistsError' },
] as const;

describe.each(CLIENTS)('$name', ({ name, script, topicExists }) => {
  const topic = `${name}-orders`;
  const group = `${name}-readers`;
  const count = 15;
  const probe = probeCommands(name, (args) => runPythonProbe(script, args), broker);

  test('is the pinned version; its admin creates a topic, is refused a second one by that name, and describes it and the cluster', async () => {
    const run = await probe('admin', topic, '3');
    const [client] = eventsNamed(run, 'client');
    expect(PYTHON_CLIENTS).toContain(`${name}==${String(client.version)}`);
    expect(eventsNamed(run, 'create-again')).toEqual([{ event: 'create-again', topic, error: topicExists }]);
    await expectTopicAndClusterMatchBroker(run, broker.bootstrap, topic, 'nodes');
  });

  describe('an idempotent producer and a group consumer', () => {
    const reported = producedThenConsumed(probe, topic, group, count);

    test('the producer writes each keyed record with its headers where its key hashes, in order', async () => {
      expect(reported.produced.map(recordFields)).toEqual(placedOrders(count, 'python'));
      expect(await endOffsets(broker.bootstrap, topic)).toEqual(perPartition(reported.produced));
    });

    test('the broker holds its batches with a producer id and gap-free sequence numbers', async () => {
      await idempotentBatches(broker.bootstrap, topic, count);
    });

    test('the consumer reads every record once with its key, value, headers, partition and offset', () => {
      expect(inPartitionOrder(reported.consumed).map(recordFields)).toEqual(
        inPartitionOrder(reported.produced).map(recordFields),
      );
    });

    test('its commits are what the client and kafkajs read back: each partition’s end offset', async () => {
      await expectCommittedToTheEnd(broker.bootstrap, group, topic, reported.committed);
    });
  });
});
