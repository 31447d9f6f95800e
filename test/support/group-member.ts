/**
 * A kafkajs consumer-group member in its own process, so a test can kill it without it leaving the
 * group. Prints JSON lines: {"assigned": [partitions]} on each assignment and {"p", "o", "v"} per
 * record. SIGTERM disconnects cleanly (committing offsets and leaving the group).
 * Usage: node -r tsx/cjs group-member.ts BOOTSTRAP TOPIC GROUP
 */
import { Kafka, logLevel } from 'kafkajs';

const [bootstrap, topic, groupId] = process.argv.slice(2);

async function main(): Promise<void> {
  const kafka = new Kafka({
    clientId: `member-${process.pid}`,
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 6000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 300,
    maxWaitTimeInMs: 200,
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const assigned = (payload.memberAssignment[topic] ?? []).slice().sort((a, b) => a - b);
    process.stdout.write(`${JSON.stringify({ assigned })}\n`);
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommitInterval: 100,
    eachMessage: async ({ partition, message }) => {
      process.stdout.write(
        `${JSON.stringify({ p: partition, o: Number(message.offset), v: message.value?.toString() })}\n`,
      );
    },
  });
  process.once('SIGTERM', () => {
    void consumer.disconnect().then(() => process.exit(0));
  });
}

void main();
