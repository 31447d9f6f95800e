// Produces records with @platformatic/kafka (an ESM-only client, hence a child process), then consumes
// them from the beginning through a consumer group, and prints what it read as JSON lines on stdout.
// Usage: node platformatic-roundtrip.mjs BOOTSTRAP TOPIC COUNT
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';

const [bootstrap, topic, countText] = process.argv.slice(2);
const count = Number(countText);
const bootstrapBrokers = bootstrap.split(',');

const admin = new Admin({ clientId: 'interop-admin', bootstrapBrokers });
await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 });
await admin.close();

const producer = new Producer({
  clientId: 'interop-producer',
  bootstrapBrokers,
  serializers: stringSerializers,
});
const sent = await producer.send({
  messages: Array.from({ length: count }, (_, i) => ({
    topic,
    key: `key-${i % 4}`,
    value: `value-${i}`,
    headers: { 'record-index': String(i) },
  })),
});
console.log(
  JSON.stringify({ sent: sent.offsets ?? sent }, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
);
await producer.close();

const consumer = new Consumer({
  groupId: `interop-${topic}`,
  clientId: 'interop-consumer',
  bootstrapBrokers,
  deserializers: stringDeserializers,
  maxWaitTime: 200,
});
const stream = await consumer.consume({
  topics: [topic],
  mode: 'earliest',
  autocommit: false,
  sessionTimeout: 10000,
  heartbeatInterval: 500,
});
let received = 0;
for await (const message of stream) {
  const headers = Object.fromEntries([...message.headers.entries()].map(([k, v]) => [String(k), String(v)]));
  console.log(
    JSON.stringify({
      key: message.key,
      value: message.value,
      headers,
      partition: message.partition,
      offset: String(message.offset),
    }),
  );
  if (++received === count) break;
}
await stream.close();
await consumer.close();
