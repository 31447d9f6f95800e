/**
 * The resource types the local runtime knows, one translator each: what Ref and Fn::GetAtt give for
 * a resource of that type, and what it becomes locally (a function, a Kafka event source mapping, a
 * Function URL, a topic, a table, or nothing). A type without a translator is not emulated.
 */
import { localCluster } from './local-cluster';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type {
  LocalFunctionSpec,
  LocalMappingSpec,
  LocalOnFailureDestination,
  LocalStartingPosition,
  LocalTableSpec,
  LocalTopicSpec,
  LocalUrlSpec,
} from '../assembly';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './intrinsics';
import type { CfnResource } from './manifest';

/** A resource as its template states it. */
export interface ResourceRef {
  readonly stack: string;
  readonly logicalId: string;
  readonly resource: CfnResource;
}

/** A resource being translated: its properties with intrinsics evaluated, besides the template's. */
export interface TranslatedResource extends ResourceRef {
  /** `stack/logicalId`. */
  readonly id: string;
  readonly props: Record<string, unknown>;
}

/** What a translator may ask of the assembly being read. */
export interface AssemblyLookup {
  /** The assembly's folder, which asset paths are relative to. */
  readonly dir: string;
  /** `stack/logicalId` of the function a Ref, GetAtt, name or ARN points at. */
  functionRef(stack: string, value: unknown): string | undefined;
}

/** What translators found, in template order. */
export interface AssemblyParts {
  readonly functions: LocalFunctionSpec[];
  readonly mappings: LocalMappingSpec[];
  readonly urls: LocalUrlSpec[];
  readonly topics: LocalTopicSpec[];
  readonly tables: LocalTableSpec[];
  /** Problems with emulated resources. */
  readonly warnings: string[];
  /** Resources left out, by type (or a finer label), with how many of each. */
  readonly notEmulated: Map<string, number>;
}

export interface ResourceTranslator {
  /** What Ref gives. @default the physical name CloudFormation would generate */
  ref?(r: ResourceRef): string;
  /** What Fn::GetAtt gives for `name`. @default undefined: not known locally */
  attribute?(r: ResourceRef, name: string): string | undefined;
  /** Adds what runs locally for the resource to `parts`. */
  translate(r: TranslatedResource, lookup: AssemblyLookup, parts: AssemblyParts): void;
}

/** CloudFormation's physical name for a resource without an explicit one (minus the random suffix). */
export function physicalName(r: ResourceRef): string {
  return `${r.stack}-${r.logicalId}`.slice(0, 64);
}

/** The resource's explicit name property when it is a plain string, else its generated name. */
function nameOr(r: ResourceRef, property: string): string {
  const value = r.resource.Properties?.[property];
  return typeof value === 'string' ? value : physicalName(r);
}

/** Counts a resource the runtime leaves out. */
export function countNotEmulated(parts: AssemblyParts, label: string): void {
  parts.notEmulated.set(label, (parts.notEmulated.get(label) ?? 0) + 1);
}

/** The construct path without `/Resource`, or the id when the template has no path metadata. */
function displayName(r: TranslatedResource): string {
  return String(r.resource.Metadata?.['aws:cdk:path'] ?? r.id).replace(/\/Resource$/, '');
}

const functionArn = (r: ResourceRef) =>
  `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${nameOr(r, 'FunctionName')}`;

const lambdaFunction: ResourceTranslator = {
  ref: (r) => nameOr(r, 'FunctionName'),
  attribute: (r, name) => (name === 'Arn' ? functionArn(r) : undefined),
  translate(r, lookup, parts) {
    const { id, props } = r;
    const runtime = String(props.Runtime ?? '');
    if (!runtime.startsWith('nodejs')) {
      parts.warnings.push(
        `${id}: runtime ${runtime || '(container image)'} is not run locally (Node.js runtimes only)`,
      );
      return;
    }
    const assetPath = r.resource.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string') {
      parts.warnings.push(`${id}: no bundled asset in the assembly (inline code is not run locally)`);
      return;
    }
    const codeDir = path.resolve(lookup.dir, assetPath);
    if (!existsSync(codeDir)) {
      parts.warnings.push(`${id}: asset ${assetPath} is missing from ${lookup.dir}`);
      return;
    }
    const variables = ((props.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables ?? {}) as Record<string, unknown>;
    parts.functions.push({
      id,
      displayName: displayName(r),
      name: nameOr(r, 'FunctionName'),
      arn: functionArn(r),
      codeDir,
      handler: String(props.Handler ?? 'index.handler'),
      runtime,
      timeoutSeconds: Number(props.Timeout ?? 3),
      memoryMb: Number(props.MemorySize ?? 128),
      environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
    });
  },
};

/** Parses a mapping's `DestinationConfig.OnFailure.Destination`. */
export function parseOnFailureDestination(destination: string): LocalOnFailureDestination {
  if (destination.startsWith('kafka://'))
    return { kind: 'kafka', topic: destination.slice('kafka://'.length) };
  const service = /^arn:[^:]+:(sqs|sns|s3):/.exec(destination)?.[1];
  if (service === 'sqs' || service === 'sns' || service === 's3') return { kind: service, arn: destination };
  throw new Error(`on-failure destination "${destination}" is not kafka://topic or an SQS, SNS or S3 ARN`);
}

const eventSourceMapping: ResourceTranslator = {
  translate(r, lookup, parts) {
    const { id, props } = r;
    const selfManaged = props.SelfManagedEventSource !== undefined;
    const arn = typeof props.EventSourceArn === 'string' ? props.EventSourceArn : undefined;
    if (!selfManaged && !arn?.startsWith('arn:aws:kafka:')) {
      countNotEmulated(parts, 'AWS::Lambda::EventSourceMapping (not Kafka)');
      return;
    }
    const topics = (props.Topics ?? []) as string[];
    const functionId = lookup.functionRef(r.stack, r.resource.Properties?.FunctionName);
    if (!functionId || topics.length !== 1) {
      parts.warnings.push(`${id}: needs one topic and a function of this assembly; skipped`);
      return;
    }
    const groupConfig = (props.AmazonManagedKafkaEventSourceConfig ??
      props.SelfManagedKafkaEventSourceConfig) as { ConsumerGroupId?: string } | undefined;
    const filters = (
      (props.FilterCriteria as { Filters?: { Pattern?: string }[] } | undefined)?.Filters ?? []
    ).map((f) => String(f.Pattern));
    const destination = (props.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined)
      ?.OnFailure?.Destination;
    const timestamp = props.StartingPositionTimestamp;
    parts.mappings.push({
      id,
      name: displayName(r),
      functionId,
      functionName: '',
      functionArn: '',
      enabled: props.Enabled !== false && props.Enabled !== 'false',
      topic: topics[0],
      consumerGroupId: groupConfig?.ConsumerGroupId ?? r.logicalId,
      batchSize: Number(props.BatchSize ?? 100),
      batchWindowMs: Math.round(Number(props.MaximumBatchingWindowInSeconds ?? 0.5) * 1000),
      startingPosition: String(props.StartingPosition ?? 'LATEST') as LocalStartingPosition,
      startingTimestampMs: timestamp === undefined ? undefined : Number(timestamp) * 1000,
      filters,
      provisioned: props.ProvisionedPollerConfig !== undefined,
      retryAttempts: Number(props.MaximumRetryAttempts ?? -1),
      bisectBatchOnError:
        props.BisectBatchOnFunctionError === true || props.BisectBatchOnFunctionError === 'true',
      maxRecordAgeSeconds: Number(props.MaximumRecordAgeInSeconds ?? -1),
      reportBatchItemFailures: ((props.FunctionResponseTypes ?? []) as string[]).includes(
        'ReportBatchItemFailures',
      ),
      sourceKind: selfManaged ? 'self-managed' : 'msk',
      clusterArn: arn,
      onFailure: destination ? parseOnFailureDestination(destination) : undefined,
    });
  },
};

const functionUrl: ResourceTranslator = {
  translate(r, lookup, parts) {
    parts.urls.push({
      id: r.id,
      functionId: lookup.functionRef(r.stack, r.resource.Properties?.TargetFunctionArn) ?? '',
      authType: String(r.props.AuthType ?? 'NONE'),
    });
  },
};

/** AWS::MSK::Topic `Configs`: base64 of `key=value` lines. */
export function parseTopicConfigs(configs: unknown): Record<string, string> {
  if (typeof configs !== 'string' || configs.length === 0) return {};
  const out: Record<string, string> = {};
  for (const line of Buffer.from(configs, 'base64').toString('utf8').split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return out;
}

const mskTopic: ResourceTranslator = {
  translate({ id, props }, _lookup, parts) {
    parts.topics.push({
      id,
      name: String(props.TopicName),
      partitions: Number(props.PartitionCount ?? 1),
      replicationFactor: Number(props.ReplicationFactor ?? -1),
      configs: parseTopicConfigs(props.Configs),
    });
  },
};

/**
 * The workshop's topics where AWS::MSK::Topic is not used: a custom resource its topic-admin function
 * serves. Its replication factor and min.insync.replicas apply here even when `ReplicationSetByService`
 * says MSK Serverless sets them itself: locally the broker stands for that service.
 */
const customKafkaTopic: ResourceTranslator = {
  translate({ id, props, stack, resource }, _lookup, parts) {
    const token = resource.Properties?.ServiceToken as { 'Fn::GetAtt'?: unknown } | undefined;
    const getAtt = token?.['Fn::GetAtt'];
    parts.topics.push({
      id,
      ...(Array.isArray(getAtt) && typeof getAtt[0] === 'string'
        ? { serviceFunctionId: `${stack}/${getAtt[0]}` }
        : {}),
      name: String(props.TopicName),
      partitions: Number(props.Partitions ?? 1),
      replicationFactor: Number(props.ReplicationFactor ?? -1),
      configs: Object.fromEntries(
        Object.entries((props.Configs ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
      ),
    });
  },
};

const tableArn = (r: ResourceRef) =>
  `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${nameOr(r, 'TableName')}`;

const dynamoDbTable: ResourceTranslator = {
  ref: (r) => nameOr(r, 'TableName'),
  attribute: (r, name) => (name === 'Arn' ? tableArn(r) : undefined),
  translate(r, _lookup, parts) {
    parts.tables.push({ id: r.id, name: nameOr(r, 'TableName'), properties: r.props });
    if (r.props.StreamSpecification) parts.warnings.push(`${r.id}: DynamoDB streams are not emulated`);
  },
};

/** The cluster's local ARN, the same the roles' policies are read against (iam/role-policies.ts). */
function clusterArn(r: ResourceRef): string {
  const name = r.resource.Properties?.ClusterName;
  return localCluster(r.stack, r.logicalId, typeof name === 'string' ? name : r.logicalId).arn;
}

const mskCluster: ResourceTranslator = {
  ref: clusterArn,
  attribute: (r, name) => (name === 'Arn' ? clusterArn(r) : undefined),
  translate: () => undefined, // stands for the embedded broker (or the cluster given with --bootstrap)
};

/** Translators by CloudFormation resource type. */
export const RESOURCE_TYPES: ReadonlyMap<string, ResourceTranslator> = new Map([
  ['AWS::Lambda::Function', lambdaFunction],
  ['AWS::Lambda::EventSourceMapping', eventSourceMapping],
  ['AWS::Lambda::Url', functionUrl],
  ['AWS::MSK::Topic', mskTopic],
  ['Custom::KafkaTopic', customKafkaTopic],
  ['AWS::DynamoDB::Table', dynamoDbTable],
  ['AWS::MSK::Cluster', mskCluster],
  ['AWS::MSK::ServerlessCluster', mskCluster],
]);
