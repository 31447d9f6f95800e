/**
 * Topic admin: a CloudFormation custom resource that manages one Kafka topic where the cluster has no
 * native topic resource (MSK Serverless, self-managed Kafka).
 *
 * Create makes the topic (adopting one that already exists if it has enough partitions), Update grows
 * its partition count (Kafka cannot shrink it) or, for a new name, creates the new topic and lets
 * CloudFormation delete the old one, and Delete removes it. The physical id is the topic name.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { Admin } from 'kafkajs';
import type { ResourceOutcome } from './cfn-response';

/** The custom resource's properties, as the CDK app writes them. */
export interface TopicProperties {
  readonly TopicName: string;
  readonly Partitions: number;
  /** -1 lets the cluster choose (MSK Serverless requires its own default). */
  readonly ReplicationFactor: number;
  readonly Configs: Record<string, string>;
}

/** Raised for a request that can never succeed as written. */
export class TopicRequestError extends Error {
  public override readonly name = 'TopicRequestError';
}

export type TopicAdminClient = Pick<
  Admin,
  'createTopics' | 'createPartitions' | 'deleteTopics' | 'fetchTopicMetadata' | 'listTopics'
>;

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/** Reads and checks properties; CloudFormation passes every value as a string. */
export function parseTopicProperties(raw: Record<string, unknown>): TopicProperties {
  const name = String(raw.TopicName ?? '');
  if (!TOPIC_NAME.test(name) || name === '.' || name === '..') {
    throw new TopicRequestError(`invalid TopicName "${name}": use 1-249 letters, digits, '.', '_' or '-'`);
  }
  const partitions = Number(raw.Partitions);
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new TopicRequestError(
      `invalid Partitions "${String(raw.Partitions)}" for topic ${name}: expected an integer ≥ 1`,
    );
  }
  const replication = raw.ReplicationFactor === undefined ? -1 : Number(raw.ReplicationFactor);
  if (!Number.isInteger(replication) || (replication < 1 && replication !== -1)) {
    throw new TopicRequestError(
      `invalid ReplicationFactor "${String(raw.ReplicationFactor)}" for topic ${name}`,
    );
  }
  const configs: Record<string, string> = {};
  for (const [key, value] of Object.entries((raw.Configs as Record<string, unknown> | undefined) ?? {})) {
    configs[key] = String(value);
  }
  return { TopicName: name, Partitions: partitions, ReplicationFactor: replication, Configs: configs };
}

async function partitionCount(admin: TopicAdminClient, topic: string): Promise<number | undefined> {
  if (!(await admin.listTopics()).includes(topic)) return undefined;
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return topics[0]?.partitions.length;
}

/** Creates the topic, or grows an existing one to the requested partition count. */
async function ensureTopic(admin: TopicAdminClient, props: TopicProperties): Promise<string> {
  const current = await partitionCount(admin, props.TopicName);
  if (current === undefined) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: props.TopicName,
          numPartitions: props.Partitions,
          replicationFactor: props.ReplicationFactor,
          configEntries: Object.entries(props.Configs).map(([name, value]) => ({ name, value })),
        },
      ],
    });
    return `created topic ${props.TopicName} with ${props.Partitions} partitions`;
  }
  if (current < props.Partitions) {
    await admin.createPartitions({ topicPartitions: [{ topic: props.TopicName, count: props.Partitions }] });
    return `grew topic ${props.TopicName} from ${current} to ${props.Partitions} partitions`;
  }
  if (current > props.Partitions) {
    throw new TopicRequestError(
      `topic ${props.TopicName} has ${current} partitions and Kafka cannot reduce them to ${props.Partitions}; ` +
        'rename the topic to replace it',
    );
  }
  return `topic ${props.TopicName} already has ${current} partitions`;
}

/** Handles one CloudFormation request against the cluster; never throws, always returns an outcome. */
export async function handleTopicRequest(
  event: CloudFormationCustomResourceEvent,
  admin: () => Promise<TopicAdminClient>,
  log: (message: string) => void = () => undefined,
): Promise<ResourceOutcome> {
  // A Create that failed reported this id; there is nothing to delete or update behind it.
  const failedCreateId = `failed-create-${event.LogicalResourceId}`;
  try {
    if (event.RequestType === 'Delete') {
      if (event.PhysicalResourceId === failedCreateId)
        return { status: 'SUCCESS', physicalResourceId: failedCreateId };
      const client = await admin();
      if ((await partitionCount(client, event.PhysicalResourceId)) !== undefined) {
        await client.deleteTopics({ topics: [event.PhysicalResourceId] });
        log(`deleted topic ${event.PhysicalResourceId}`);
      }
      return { status: 'SUCCESS', physicalResourceId: event.PhysicalResourceId };
    }

    const props = parseTopicProperties(event.ResourceProperties);
    const client = await admin();
    log(await ensureTopic(client, props));
    return {
      status: 'SUCCESS',
      physicalResourceId: props.TopicName,
      data: { TopicName: props.TopicName, Partitions: props.Partitions },
    };
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    log(`request failed: ${reason}`);
    const physicalResourceId = event.RequestType === 'Create' ? failedCreateId : event.PhysicalResourceId;
    return { status: 'FAILED', physicalResourceId, reason };
  }
}
