/**
 * The live summary's topic figures on both kinds of Kafka: the embedded broker (read from its stats
 * at each snapshot) and a cluster kw up did not start (asked with ListOffsets once a second).
 */
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../../local/broker/broker';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime/runtime';
import { until } from '../support/until';
import { writeAssembly } from '../support/cloud-assembly';

/** Topics only: no function, so nothing is polled and the figures are the produced records. */
const assembly = () =>
  writeAssembly({
    Resources: {
      Orders: { Type: 'AWS::MSK::Topic', Properties: { TopicName: 'orders', PartitionCount: 2 } },
      Dlq: { Type: 'AWS::MSK::Topic', Properties: { TopicName: 'orders.dlq', PartitionCount: 1 } },
    },
  });

async function produce(bootstrap: string): Promise<void> {
  const producer = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    await producer.send({
      topic: 'orders',
      messages: [
        { value: 'a', partition: 0 },
        { value: 'b', partition: 1 },
        { value: 'c', partition: 1 },
      ],
    });
    await producer.send({ topic: 'orders.dlq', messages: [{ value: 'poison' }] });
  } finally {
    await producer.disconnect();
  }
}

/** Until the snapshot shows what produce() wrote. */
function untilCounted(runtime: LocalRuntime) {
  return until(
    () => {
      const s = runtime.snapshot();
      return s.deadLetters === 1 && s.topics.find((t) => t.name === 'orders')?.records === 3 && s;
    },
    () => `3 orders and 1 dead letter in ${JSON.stringify(runtime.snapshot())}`,
    { timeoutMs: 10_000 },
  );
}

const ports = { httpPort: 0, dynamodbPort: 0 } as const;

describe('runtime status', () => {
  it('GIVEN the embedded broker WHEN records are produced THEN the snapshot counts them per topic, dead letters apart', async () => {
    const runtime = await startLocalRuntime({ assembly: assembly(), brokerPort: 0, ...ports });
    try {
      await produce(runtime.bootstrapServers);
      const s = await untilCounted(runtime);
      expect(s.topics).toEqual([
        { name: 'orders', records: 3 },
        { name: 'orders.dlq', records: 1 },
      ]);
    } finally {
      await runtime.close();
    }
  });

  it('GIVEN a cluster kw up did not start WHEN records are produced THEN the snapshot counts them too', async () => {
    const cluster = await startBroker({ port: 0 });
    try {
      const runtime = await startLocalRuntime({
        assembly: assembly(),
        bootstrapServers: cluster.bootstrapServers.split(','),
        ...ports,
      });
      try {
        expect(runtime.broker).toBeUndefined();
        await produce(runtime.bootstrapServers);
        const s = await untilCounted(runtime);
        expect(s.topics).toEqual([
          { name: 'orders', records: 3 },
          { name: 'orders.dlq', records: 1 },
        ]);
      } finally {
        await runtime.close();
      }
    } finally {
      await cluster.close();
    }
  });
});
