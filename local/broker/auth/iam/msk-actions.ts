/**
 * MSK's action table as data: for each API the broker serves, the `kafka-cluster:*` checks MSK makes
 * for a decoded request, in the order Kafka's KafkaApis makes them, with the error code a denial
 * answers. Sources (msk-iam.md): §1, MSK's "action = Kafka ACL (operation, resource)" joined with
 * Kafka's per-API ACL checks; §2 for the ARNs; §3 for Metadata's silent omissions.
 *
 * Pure: what the request cannot tell (which topics exist, a topic id's name, the groups a ListGroups
 * would list) comes in `BrokerFacts`. The caller asks an Authorizer about each check and applies
 * `onDeny`; `applyChecks` does that bookkeeping.
 */
import { ErrorCode } from '../../../kafka/errors';
import type { FetchSchema } from '../../../kafka/messages/01-fetch';
import type { ProduceSchema } from '../../../kafka/messages/00-produce';
import type { ListOffsetsSchema } from '../../../kafka/messages/02-list-offsets';
import type { MetadataSchema } from '../../../kafka/messages/03-metadata';
import type { OffsetCommitSchema } from '../../../kafka/messages/08-offset-commit';
import type { OffsetFetchSchema } from '../../../kafka/messages/09-offset-fetch';
import type { FindCoordinatorSchema } from '../../../kafka/messages/10-find-coordinator';
import type { DescribeGroupsSchema } from '../../../kafka/messages/15-describe-groups';
import type { ListGroupsSchema } from '../../../kafka/messages/16-list-groups';
import type { CreateTopicsSchema } from '../../../kafka/messages/19-create-topics';
import type { DeleteTopicsSchema } from '../../../kafka/messages/20-delete-topics';
import type { DeleteRecordsSchema } from '../../../kafka/messages/21-delete-records';
import type { InitProducerIdSchema } from '../../../kafka/messages/22-init-producer-id';
import type { OffsetForLeaderEpochSchema } from '../../../kafka/messages/23-offset-for-leader-epoch';
import type { DescribeConfigsSchema } from '../../../kafka/messages/32-describe-configs';
import type { AlterConfigsSchema } from '../../../kafka/messages/33-alter-configs';
import type { CreatePartitionsSchema } from '../../../kafka/messages/37-create-partitions';
import type { DeleteGroupsSchema } from '../../../kafka/messages/42-delete-groups';
import type { IncrementalAlterConfigsSchema } from '../../../kafka/messages/44-incremental-alter-configs';
import type { OffsetDeleteSchema } from '../../../kafka/messages/47-offset-delete';
import { BatchField } from '../../../kafka/record-batch';
import type { ApiSchema, RequestOf } from '../../../kafka/schema';
import { resourceArn, type ClusterArn, type ResourceScope } from './arns';
import type { Decision, Principal } from './types';

/** The data-plane actions of MSK's `kafka-cluster` service. */
export const KAFKA_CLUSTER_ACTIONS = [
  'Connect',
  'DescribeCluster',
  'AlterCluster',
  'DescribeClusterDynamicConfiguration',
  'AlterClusterDynamicConfiguration',
  'WriteDataIdempotently',
  'CreateTopic',
  'DescribeTopic',
  'AlterTopic',
  'DeleteTopic',
  'DescribeTopicDynamicConfiguration',
  'AlterTopicDynamicConfiguration',
  'ReadData',
  'WriteData',
  'DescribeGroup',
  'AlterGroup',
  'DeleteGroup',
  'DescribeTransactionalId',
  'AlterTransactionalId',
] as const;

export type KafkaClusterAction = `kafka-cluster:${(typeof KAFKA_CLUSTER_ACTIONS)[number]}`;

/**
 * What a denied check does, as Kafka answers it:
 * - `request`: the whole request fails with `errorCode` (every entry of the response carries it);
 *   later checks are not made;
 * - `entry`: the entries named `name` (a topic's partitions, a group, a config resource) fail with
 *   `errorCode`; later checks of the same entry are not made;
 * - `omit`: the entry is left out of the answer without an error (all-topics Metadata, ListGroups);
 * - `else-entries`: nothing fails; an allowed check makes the per-entry checks after it unnecessary
 *   (ListGroups: DescribeCluster lists every group, else each group needs DescribeGroup).
 */
export type OnDeny = 'request' | 'entry' | 'omit' | 'else-entries';

export interface AccessCheck {
  readonly action: KafkaClusterAction;
  /** The ARN the action is asked for. */
  readonly resource: string;
  readonly scope: ResourceScope;
  /** The topic, group or transactional id; the cluster's name; a config resource's ResourceName. */
  readonly name: string;
  /** The code a denial answers: 29 topic, 30 group, 31 cluster, 53 transactional id. */
  readonly errorCode: number;
  readonly onDeny: OnDeny;
  /** For a topic check inside one group of a multi-group request (OffsetFetch v8+): that group. */
  readonly group?: string;
}

/** What the checks depend on beyond the request itself. */
export interface BrokerFacts {
  readonly cluster: ClusterArn;
  readonly apiVersion: number;
  /** Whether the broker creates unknown topics a Metadata request asks for (MSK's default: false). */
  readonly autoCreateTopics: boolean;
  readonly topicNames: () => readonly string[];
  readonly topicNameById: (id: Buffer) => string | undefined;
  /** The groups a ListGroups request would list. */
  readonly groupIds: () => readonly string[];
  /** The topics `group` has committed offsets for (an OffsetFetch for all of them). */
  readonly committedTopics: (group: string) => readonly string[];
}

const CODE: Readonly<Record<ResourceScope, number>> = {
  topic: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  group: ErrorCode.GROUP_AUTHORIZATION_FAILED,
  cluster: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  'transactional-id': ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
};

type Action = (typeof KAFKA_CLUSTER_ACTIONS)[number];

function check(
  facts: BrokerFacts,
  action: Action,
  scope: ResourceScope,
  name: string,
  onDeny: OnDeny,
  group?: string,
): AccessCheck {
  return {
    action: `kafka-cluster:${action}`,
    resource: resourceArn(facts.cluster, scope, name),
    scope,
    name,
    errorCode: CODE[scope],
    onDeny,
    ...(group === undefined ? {} : { group }),
  };
}

const unique = (names: Iterable<string>): string[] => [...new Set(names)];

/** One `entry` check per distinct topic, in the order the request names them. */
const perTopic = (facts: BrokerFacts, action: Action, topics: Iterable<string>, group?: string) =>
  unique(topics).map((t) => check(facts, action, 'topic', t, 'entry', group));

const onCluster = (facts: BrokerFacts, action: Action, onDeny: OnDeny = 'request') =>
  check(facts, action, 'cluster', facts.cluster.clusterName, onDeny);

/** A topic named by id (Fetch v13+, Metadata v10+, DeleteTopics v6): unknown ids get no check (the handler answers UNKNOWN_TOPIC_ID). */
const byIdOrName = (facts: BrokerFacts, name: string | null, id: Buffer): string[] => {
  if (name !== null && name !== '') return [name];
  const resolved = facts.topicNameById(id);
  return resolved === undefined ? [] : [resolved];
};

type Checks<S extends ApiSchema> = (request: RequestOf<S>, facts: BrokerFacts) => AccessCheck[];

/** Whether a batch carries a producer id (idempotent or transactional), as Kafka's hasIdempotentRecords reads it. */
const hasProducerId = (records: Buffer | null) =>
  records !== null &&
  records.length >= BatchField.producerId + 8 &&
  records.readBigInt64BE(BatchField.producerId) >= 0n;

/** 0 Produce: a transactional id needs AlterTransactionalId (53), else idempotent batches WriteDataIdempotently (31); then WriteData per topic (29 on its partitions). */
const produce: Checks<typeof ProduceSchema> = (r, f) => [
  ...(r.TransactionalId !== null
    ? [check(f, 'AlterTransactionalId', 'transactional-id', r.TransactionalId, 'request')]
    : r.TopicData.some((t) => t.PartitionData.some((p) => hasProducerId(p.Records)))
      ? [onCluster(f, 'WriteDataIdempotently')]
      : []),
  ...perTopic(
    f,
    'WriteData',
    r.TopicData.map((t) => t.Name),
  ),
];

/** 1 Fetch: ReadData per topic (29 on its partitions); v13+ names topics by id. */
const fetch: Checks<typeof FetchSchema> = (r, f) =>
  perTopic(
    f,
    'ReadData',
    r.Topics.flatMap((t) => (f.apiVersion >= 13 ? byIdOrName(f, null, t.TopicId) : [t.Topic])),
  );

/** 2 ListOffsets: DescribeTopic per topic. */
const listOffsets: Checks<typeof ListOffsetsSchema> = (r, f) =>
  perTopic(
    f,
    'DescribeTopic',
    r.Topics.map((t) => t.Name),
  );

/**
 * 3 Metadata (§3): an all-topics request (null, or empty at v0) silently omits topics without
 * DescribeTopic; named topics get 29. An unknown topic the broker would auto-create also needs
 * CreateTopic on its topic ARN (Kafka's CREATE on the cluster or the topic, one MSK action).
 */
const metadata: Checks<typeof MetadataSchema> = (r, f) => {
  const requested = r.Topics;
  if (requested === null || (f.apiVersion === 0 && requested.length === 0)) {
    return f.topicNames().map((t) => check(f, 'DescribeTopic', 'topic', t, 'omit'));
  }
  const names = unique(requested.flatMap((t) => byIdOrName(f, t.Name, t.TopicId)));
  const autoCreate = f.autoCreateTopics && (f.apiVersion < 4 || r.AllowAutoTopicCreation);
  const existing = new Set(f.topicNames());
  return names.flatMap((t) => [
    check(f, 'DescribeTopic', 'topic', t, 'entry'),
    ...(autoCreate && !existing.has(t) ? [check(f, 'CreateTopic', 'topic', t, 'entry')] : []),
  ]);
};

/** 8 OffsetCommit: AlterGroup (Kafka's READ on the group; 30 for every partition), then ReadData per topic (29). */
const offsetCommit: Checks<typeof OffsetCommitSchema> = (r, f) => [
  check(f, 'AlterGroup', 'group', r.GroupId, 'request'),
  ...perTopic(
    f,
    'ReadData',
    r.Topics.map((t) => t.Name),
  ),
];

/**
 * 9 OffsetFetch: DescribeGroup, then DescribeTopic per topic (29 on its partitions); asked for all
 * partitions (Topics null), topics without DescribeTopic are left out. v8+ asks for several groups,
 * each failing alone.
 */
const offsetFetch: Checks<typeof OffsetFetchSchema> = (r, f) => {
  const forGroup = (
    group: string,
    topics: readonly { Name: string }[] | null,
    onDeny: OnDeny,
    multi: boolean,
  ) => [
    check(f, 'DescribeGroup', 'group', group, onDeny),
    ...(topics === null
      ? f
          .committedTopics(group)
          .map((t) => check(f, 'DescribeTopic', 'topic', t, 'omit', multi ? group : undefined))
      : perTopic(
          f,
          'DescribeTopic',
          topics.map((t) => t.Name),
          multi ? group : undefined,
        )),
  ];
  if (f.apiVersion < 8) return forGroup(r.GroupId, r.Topics, 'request', false);
  return r.Groups.flatMap((g) => forGroup(g.GroupId, g.Topics, 'entry', true));
};

/** 10 FindCoordinator: DescribeGroup (30) for a group key, DescribeTransactionalId (53) for a transaction key; v4+ per key. */
const findCoordinator: Checks<typeof FindCoordinatorSchema> = (r, f) => {
  const batched = f.apiVersion >= 4;
  const keys = batched ? r.CoordinatorKeys : [r.Key];
  return keys.map((key) =>
    r.KeyType === 1
      ? check(f, 'DescribeTransactionalId', 'transactional-id', key, batched ? 'entry' : 'request')
      : check(f, 'DescribeGroup', 'group', key, batched ? 'entry' : 'request'),
  );
};

/** 11 JoinGroup, 12 Heartbeat, 13 LeaveGroup, 14 SyncGroup, 68 ConsumerGroupHeartbeat: AlterGroup (30). */
const alterGroup = (r: { readonly GroupId: string }, f: BrokerFacts): AccessCheck[] => [
  check(f, 'AlterGroup', 'group', r.GroupId, 'request'),
];

/** 15 DescribeGroups: DescribeGroup per group (30 for that group). */
const describeGroups: Checks<typeof DescribeGroupsSchema> = (r, f) =>
  unique(r.Groups).map((g) => check(f, 'DescribeGroup', 'group', g, 'entry'));

/** 16 ListGroups: DescribeCluster lists every group; without it, each group needs DescribeGroup or is left out (never 31). */
const listGroups: Checks<typeof ListGroupsSchema> = (_r, f) => [
  onCluster(f, 'DescribeCluster', 'else-entries'),
  ...f.groupIds().map((g) => check(f, 'DescribeGroup', 'group', g, 'omit')),
];

/** 19 CreateTopics: CreateTopic on each topic's ARN (29 for that topic). */
const createTopics: Checks<typeof CreateTopicsSchema> = (r, f) =>
  perTopic(
    f,
    'CreateTopic',
    r.Topics.map((t) => t.Name),
  );

/** 20 DeleteTopics: DeleteTopic per topic; v6 names topics by name or id. */
const deleteTopics: Checks<typeof DeleteTopicsSchema> = (r, f) =>
  perTopic(
    f,
    'DeleteTopic',
    f.apiVersion >= 6 ? r.Topics.flatMap((t) => byIdOrName(f, t.Name, t.TopicId)) : r.TopicNames,
  );

/** 21 DeleteRecords: DeleteTopic per topic (Kafka's DELETE on the topic). */
const deleteRecords: Checks<typeof DeleteRecordsSchema> = (r, f) =>
  perTopic(
    f,
    'DeleteTopic',
    r.Topics.map((t) => t.Name),
  );

/** 22 InitProducerId: AlterTransactionalId (53) with a transactional id, else WriteDataIdempotently on the cluster (31). */
const initProducerId: Checks<typeof InitProducerIdSchema> = (r, f) => [
  r.TransactionalId !== null
    ? check(f, 'AlterTransactionalId', 'transactional-id', r.TransactionalId, 'request')
    : onCluster(f, 'WriteDataIdempotently'),
];

/** 23 OffsetForLeaderEpoch: DescribeTopic per topic. */
const offsetForLeaderEpoch: Checks<typeof OffsetForLeaderEpochSchema> = (r, f) =>
  perTopic(
    f,
    'DescribeTopic',
    r.Topics.map((t) => t.Topic),
  );

/** Kafka's ConfigResource.Type codes that have an MSK action: topics, and brokers and their loggers (the cluster). */
const TOPIC_RESOURCE = 2;
const BROKER_RESOURCES = new Set([4, 8]);

/** Per config resource: the topic's or the cluster's dynamic-configuration action; other types get no check (the handler refuses them). */
const perConfigResource = (
  f: BrokerFacts,
  resources: readonly { ResourceType: number; ResourceName: string }[],
  verb: 'Describe' | 'Alter',
): AccessCheck[] =>
  resources.flatMap((res) => {
    if (res.ResourceType === TOPIC_RESOURCE)
      return [check(f, `${verb}TopicDynamicConfiguration`, 'topic', res.ResourceName, 'entry')];
    if (!BROKER_RESOURCES.has(res.ResourceType)) return [];
    return [{ ...onCluster(f, `${verb}ClusterDynamicConfiguration`, 'entry'), name: res.ResourceName }];
  });

/** 32 DescribeConfigs: Describe{Topic,Cluster}DynamicConfiguration per resource (29 / 31). */
const describeConfigs: Checks<typeof DescribeConfigsSchema> = (r, f) =>
  perConfigResource(f, r.Resources, 'Describe');

/** 33 AlterConfigs and 44 IncrementalAlterConfigs: Alter{Topic,Cluster}DynamicConfiguration per resource (29 / 31). */
const alterConfigs: Checks<typeof AlterConfigsSchema> = (r, f) => perConfigResource(f, r.Resources, 'Alter');
const incrementalAlterConfigs: Checks<typeof IncrementalAlterConfigsSchema> = (r, f) =>
  perConfigResource(f, r.Resources, 'Alter');

/** 37 CreatePartitions: AlterTopic per topic. */
const createPartitions: Checks<typeof CreatePartitionsSchema> = (r, f) =>
  perTopic(
    f,
    'AlterTopic',
    r.Topics.map((t) => t.Name),
  );

/** 42 DeleteGroups: DeleteGroup per group (30 for that group). */
const deleteGroups: Checks<typeof DeleteGroupsSchema> = (r, f) =>
  unique(r.GroupsNames).map((g) => check(f, 'DeleteGroup', 'group', g, 'entry'));

/** 47 OffsetDelete: DeleteGroup (30 for the request), then ReadData per topic (29 on its partitions). */
const offsetDelete: Checks<typeof OffsetDeleteSchema> = (r, f) => [
  check(f, 'DeleteGroup', 'group', r.GroupId, 'request'),
  ...perTopic(
    f,
    'ReadData',
    r.Topics.map((t) => t.Name),
  ),
];

/** The checks of every API the broker serves, by key; ApiVersions (18) needs none, SASL (17, 36) is authentication. */
const TABLE: ReadonlyMap<number, Checks<ApiSchema>> = new Map<number, Checks<never>>([
  [0, produce],
  [1, fetch],
  [2, listOffsets],
  [3, metadata],
  [8, offsetCommit],
  [9, offsetFetch],
  [10, findCoordinator],
  [11, alterGroup],
  [12, alterGroup],
  [13, alterGroup],
  [14, alterGroup],
  [15, describeGroups],
  [16, listGroups],
  [17, () => []],
  [18, () => []],
  [19, createTopics],
  [20, deleteTopics],
  [21, deleteRecords],
  [22, initProducerId],
  [23, offsetForLeaderEpoch],
  [32, describeConfigs],
  [33, alterConfigs],
  [36, () => []],
  [37, createPartitions],
  [42, deleteGroups],
  [44, incrementalAlterConfigs],
  [47, offsetDelete],
  [68, alterGroup],
]) as ReadonlyMap<number, Checks<ApiSchema>>;

/** The API keys the table covers. */
export const CHECKED_API_KEYS: readonly number[] = [...TABLE.keys()];

/**
 * The checks MSK makes for a request of API `key`, decoded with that API's schema. Throws for a key
 * the table lacks, so an API added to the broker without its row cannot pass unchecked.
 */
export function accessChecks(key: number, request: unknown, facts: BrokerFacts): AccessCheck[] {
  const checks = TABLE.get(key);
  if (!checks) throw new Error(`no MSK IAM action is known for API key ${key}`);
  return checks(request as RequestOf<ApiSchema>, facts);
}

/** A denied check and the decision that denied it. */
export interface Denial {
  readonly check: AccessCheck;
  readonly decision: Decision;
}

/** What a request's checks came to: what fails (the request, or entries) and what is left out. */
export interface Verdict {
  /** Set when a `request` check was denied: the whole request answers its errorCode. */
  readonly request?: Denial;
  /** Denied `entry` checks: each entry answers its errorCode. */
  readonly entries: readonly Denial[];
  /** Entries left out of the answer silently. */
  readonly omitted: readonly AccessCheck[];
}

/**
 * Asks `decide` about each check in order and applies `onDeny`: stops at a denied `request` check,
 * skips the later checks of an entry already denied (and, in OffsetFetch v8+, of a group denied),
 * and skips the per-entry checks after an allowed `else-entries` check.
 */
export function applyChecks(
  checks: readonly AccessCheck[],
  decide: (check: AccessCheck) => Decision,
): Verdict {
  const entries: Denial[] = [];
  const omitted: AccessCheck[] = [];
  const denied = new Set<string>();
  const key = (c: AccessCheck) => `${c.group ?? ''}\n${c.scope}\n${c.name}`;
  for (const c of checks) {
    if (denied.has(key(c)) || (c.group !== undefined && denied.has(`\ngroup\n${c.group}`))) continue;
    const decision = decide(c);
    if (decision.allowed) {
      if (c.onDeny === 'else-entries') break;
      continue;
    }
    if (c.onDeny === 'request') return { request: { check: c, decision }, entries, omitted };
    if (c.onDeny === 'entry') {
      entries.push({ check: c, decision });
      denied.add(key(c));
    } else if (c.onDeny === 'omit') {
      omitted.push(c);
      denied.add(key(c));
    }
  }
  return { entries, omitted };
}

/** The text a denial reports: the action, the ARN and the principal, as AWS words a missing permission. */
export function missingPermissionMessage(check: AccessCheck, principal: Principal): string {
  return `${check.action} on ${check.resource} is not allowed for ${principal.arn}`;
}
