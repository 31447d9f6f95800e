/**
 * Topic admin: a CloudFormation custom resource that manages one Kafka topic where the cluster has no
 * native topic resource (MSK Serverless, self-managed Kafka).
 *
 * Create makes the topic, or adopts one that already exists (growing it if it has fewer partitions);
 * Update grows its partition count (Kafka cannot shrink it) and applies changed configs, or, for a new
 * name, creates the new topic and lets CloudFormation delete the old one; Delete removes a topic this
 * resource created and leaves an adopted one in place. The physical id is the topic name, with
 * {@link ADOPTED_SUFFIX} for an adopted topic ('@' cannot occur in topic names).
 *
 * On a cluster that sets replication itself (MSK Serverless refuses a replication factor or
 * min.insync.replicas in CreateTopics), the resource states them with `ReplicationSetByService` and
 * neither is sent: the topic is created with the cluster's default (-1) and the other configs.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { ConfigResourceTypes, type Admin } from 'kafkajs';
import type { ResourceOutcome } from './cfn-response';

/** The custom resource's properties, as the CDK app writes them. */
export interface TopicProperties {
  readonly TopicName: string;
  readonly Partitions: number;
  /** -1 lets the cluster choose. */
  readonly ReplicationFactor: number;
  readonly Configs: Record<string, string>;
  /** The cluster fixes the replication factor and min.insync.replicas: they are stated, not sent. */
  readonly ReplicationSetByService: boolean;
}

/** Configs a cluster that sets replication itself refuses to be told. */
const SERVICE_SET_CONFIGS: ReadonlySet<string> = new Set(['min.insync.replicas']);

/** Raised for a request that can never succeed as written. */
export class TopicRequestError extends Error {
  public override readonly name = 'TopicRequestError';
}

export type TopicAdminClient = Pick<
  Admin,
  'createTopics' | 'createPartitions' | 'deleteTopics' | 'fetchTopicMetadata' | 'listTopics' | 'alterConfigs'
>;

/** Marks the physical id of a topic that existed before the resource and must outlive it. */
export const ADOPTED_SUFFIX = '@adopted';

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
  const setByService = raw.ReplicationSetByService === true || raw.ReplicationSetByService === 'true';
  return {
    TopicName: name,
    Partitions: partitions,
    ReplicationFactor: replication,
    Configs: configs,
    ReplicationSetByService: setByService,
  };
}

/** What CreateTopics and AlterConfigs send: the properties minus what the cluster sets itself. */
function requested(props: TopicProperties): { replicationFactor: number; configs: Record<string, string> } {
  if (!props.ReplicationSetByService)
    return { replicationFactor: props.ReplicationFactor, configs: props.Configs };
  return {
    replicationFactor: -1,
    configs: Object.fromEntries(
      Object.entries(props.Configs).filter(([key]) => !SERVICE_SET_CONFIGS.has(key)),
    ),
  };
}

async function partitionCount(admin: TopicAdminClient, topic: string): Promise<number | undefined> {
  if (!(await admin.listTopics()).includes(topic)) return undefined;
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return topics[0]?.partitions.length;
}

/** Creates the topic, or grows an existing one to the requested partition count. */
async function ensureTopic(
  admin: TopicAdminClient,
  props: TopicProperties,
  log: (message: string) => void,
): Promise<'created' | 'existed'> {
  const current = await partitionCount(admin, props.TopicName);
  if (current === undefined) {
    const { replicationFactor, configs } = requested(props);
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: props.TopicName,
          numPartitions: props.Partitions,
          replicationFactor,
          configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })),
        },
      ],
    });
    log(`created topic ${props.TopicName} with ${props.Partitions} partitions`);
    return 'created';
  }
  if (current < props.Partitions) {
    await admin.createPartitions({ topicPartitions: [{ topic: props.TopicName, count: props.Partitions }] });
    log(`grew topic ${props.TopicName} from ${current} to ${props.Partitions} partitions`);
    return 'existed';
  }
  if (current > props.Partitions) {
    throw new TopicRequestError(
      `topic ${props.TopicName} has ${current} partitions and Kafka cannot reduce them to ${props.Partitions}; ` +
        'rename the topic to replace it',
    );
  }
  log(`topic ${props.TopicName} already has ${current} partitions`);
  return 'existed';
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
      if (event.PhysicalResourceId.endsWith(ADOPTED_SUFFIX)) {
        log(`left adopted topic ${event.PhysicalResourceId.slice(0, -ADOPTED_SUFFIX.length)} in place`);
        return { status: 'SUCCESS', physicalResourceId: event.PhysicalResourceId };
      }
      const client = await admin();
      if ((await partitionCount(client, event.PhysicalResourceId)) !== undefined) {
        await client.deleteTopics({ topics: [event.PhysicalResourceId] });
        log(`deleted topic ${event.PhysicalResourceId}`);
      }
      return { status: 'SUCCESS', physicalResourceId: event.PhysicalResourceId };
    }

    const props = parseTopicProperties(event.ResourceProperties);
    const client = await admin();
    const sameTopic =
      event.RequestType === 'Update' &&
      event.PhysicalResourceId.replace(ADOPTED_SUFFIX, '') === props.TopicName;
    const outcome = await ensureTopic(client, props, log);
    const { configs } = requested(props);
    if (
      sameTopic &&
      JSON.stringify(configs) !==
        JSON.stringify(requested(parseTopicProperties(event.OldResourceProperties)).configs)
    ) {
      // A full (non-incremental) update: the topic's configs become exactly the declared ones.
      await client.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: props.TopicName,
            configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })),
          },
        ],
      });
      log(`set configs of topic ${props.TopicName} to ${JSON.stringify(configs)}`);
    }
    let physicalResourceId = props.TopicName;
    if (sameTopic) physicalResourceId = event.PhysicalResourceId;
    else if (outcome === 'existed') physicalResourceId = `${props.TopicName}${ADOPTED_SUFFIX}`;
    return {
      status: 'SUCCESS',
      physicalResourceId,
      data: { TopicName: props.TopicName, Partitions: props.Partitions },
    };
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    log(`request failed: ${reason}`);
    const physicalResourceId = event.RequestType === 'Create' ? failedCreateId : event.PhysicalResourceId;
    return { status: 'FAILED', physicalResourceId, reason };
  }
}
