/**
 * Conformance: Metadata when the broker does not create topics on request (Kafka's
 * auto.create.topics.enable=false, the embedded broker's autoCreateTopics: false, `kw broker
 * --no-auto-create`): what a raw request and a kafkajs producer see for a topic that does not exist.
 */
import { MetadataSchema } from '../../local/kafka/messages/03-metadata';
import type { Struct } from '../../local/kafka/message-codec';
import { CLOSED, conformance, type Target } from './harness';

const scenario = conformance('metadata without auto-creation', {
  apache: { 'auto.create.topics.enable': false },
  embedded: { autoCreateTopics: false },
});

/** Metadata at `version` for one topic name: its error and partition count. */
async function metadataFor(
  t: Target,
  name: string,
  version: number,
  allowAutoCreate: boolean,
): Promise<unknown> {
  const response = await t.request(MetadataSchema, version, {
    Topics: [{ Name: name, TopicId: Buffer.alloc(16) }],
    AllowAutoTopicCreation: allowAutoCreate,
    IncludeTopicAuthorizedOperations: false,
  });
  if (response === CLOSED) return CLOSED;
  const [topic] = response.Topics as Struct[];
  return { ErrorCode: topic.ErrorCode, Name: topic.Name, partitions: (topic.Partitions as Struct[]).length };
}

for (const version of [1, 4, 9, 12]) {
  scenario(
    `Metadata v${version} asking to create an unknown topic: unknown, then still unknown`,
    async (t) => ({
      first: await metadataFor(t, `never-created-v${version}`, version, true),
      again: await metadataFor(t, `never-created-v${version}`, version, true),
    }),
  );
}

scenario('Metadata v9 for an invalid topic name, asking to create it', (t) =>
  metadataFor(t, 'not a topic name', 9, true),
);

scenario('kafkajs producer sending to a topic that does not exist', async (t) => {
  const producer = t.kafkajs({ retry: { retries: 1, initialRetryTime: 50 } }).producer();
  await producer.connect();
  try {
    await producer.send({ topic: 'kafkajs-nowhere', messages: [{ value: 'lost' }] });
    return 'sent';
  } catch (error) {
    // kafkajs words its errors from the Kafka error code, so the message is comparable.
    const e = error as Error;
    return { name: e.name, message: e.message };
  } finally {
    await producer.disconnect();
  }
});
