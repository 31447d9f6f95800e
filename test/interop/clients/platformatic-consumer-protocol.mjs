// A @platformatic/kafka consumer that asks for the KIP-848 consumer group protocol
// (groupProtocol: 'consumer'), an ESM-only client and so a child process of
// test/interop/unsupported-features.test.ts. Prints one JSON line: how consume() ended, and how long
// it took.
// Usage: node platformatic-consumer-protocol.mjs BOOTSTRAP TOPIC
import { Consumer, stringDeserializers } from '@platformatic/kafka';

const [bootstrap, topic] = process.argv.slice(2);
const consumer = new Consumer({
  groupId: 'platformatic-consumer-protocol',
  clientId: 'platformatic-consumer-protocol',
  bootstrapBrokers: bootstrap.split(','),
  deserializers: stringDeserializers,
  groupProtocol: 'consumer',
  // Long enough that waiting out a timeout shows up as a hang in the test, not as a result.
  timeout: 60_000,
});
const started = Date.now();
try {
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
  console.log(JSON.stringify({ event: 'joined', elapsedMs: Date.now() - started }));
  await stream.close();
} catch (error) {
  // The client wraps the broker's answer: the first inner error carries its code and message.
  const inner = error.errors?.[0] ?? error;
  console.log(
    JSON.stringify({
      event: 'failed',
      call: 'consume',
      error: error.message,
      apiCode: inner.apiCode ?? null,
      message: inner.message,
      elapsedMs: Date.now() - started,
    }),
  );
}
await consumer.close(true);
