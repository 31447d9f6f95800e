/**
 * Conformance: the admin APIs (CreateTopics, DescribeConfigs, CreatePartitions, DeleteTopics,
 * DeleteRecords) and Metadata's topic answers, as raw requests at several versions (an admin client
 * would turn each error code into an exception and retry some), plus kafkajs where what its admin
 * client makes of an answer is the point.
 */
import { CreatePartitionsSchema } from '../../local/kafka/messages/37-create-partitions';
import { CreateTopicsSchema } from '../../local/kafka/messages/19-create-topics';
import { DeleteTopicsSchema } from '../../local/kafka/messages/20-delete-topics';
import { DescribeConfigsSchema } from '../../local/kafka/messages/32-describe-configs';
import { MetadataSchema } from '../../local/kafka/messages/03-metadata';
import { ErrorCode } from '../../local/kafka/errors';
import type { Struct } from '../../local/kafka/message-codec';
import { until } from '../support/until';
import { recordBatch } from './batch-builder';
import { CLOSED, conformance, only, type Target } from './harness';
import {
  createTopic,
  createTopicsBody,
  deleteRecords,
  listOffsets,
  produceOk,
  type NewTopic,
} from './topic-requests';

const scenario = conformance('admin');

const TOPIC_RESOURCE = 2;
const BROKER_RESOURCE = 4;
const LATEST = -1n;
const EARLIEST = -2n;

/** CreateTopics at `version` with `topics`; each topic's answer, its free-text message left out. */
async function create(
  t: Target,
  version: number,
  topics: Readonly<Record<string, NewTopic>>,
  options: { validateOnly?: boolean; keep?: readonly string[] } = {},
): Promise<unknown> {
  const response = await t.request(CreateTopicsSchema, version, createTopicsBody(topics, options));
  if (response === CLOSED) return CLOSED;
  return only(byName(response.Topics as Struct[]), options.keep ?? ['Name', 'ErrorCode']);
}

/**
 * Results sorted by name: Kafka answers multi-topic requests in the order of its own hash maps, and
 * clients match results by name.
 */
function byName(results: readonly Struct[]): Struct[] {
  return [...results].sort((a, b) => String(a.Name).localeCompare(String(b.Name)));
}

/** Metadata at `version` for `names` (null: all topics): each topic's error, name and partition count. */
async function topicMetadata(
  t: Target,
  names: readonly string[] | null,
  options: { version?: number; allowAutoCreate?: boolean } = {},
): Promise<unknown> {
  const response = await t.request(MetadataSchema, options.version ?? 9, {
    Topics: names === null ? null : names.map((Name) => ({ Name, TopicId: Buffer.alloc(16) })),
    AllowAutoTopicCreation: options.allowAutoCreate ?? false,
    IncludeTopicAuthorizedOperations: false,
  });
  if (response === CLOSED) return CLOSED;
  return (response.Topics as Struct[]).map((topic) => ({
    ErrorCode: topic.ErrorCode,
    Name: topic.Name,
    partitions: (topic.Partitions as Struct[]).length,
  }));
}

/** Partition count of a topic, or the error Metadata answers for it. */
async function partitionCount(t: Target, name: string): Promise<unknown> {
  const [topic] = (await topicMetadata(t, [name])) as { ErrorCode: number; partitions: number }[];
  return topic.ErrorCode === 0 ? topic.partitions : topic;
}

/** The partition count once the topic exists (Kafka's metadata catches up with its controller). */
function settledPartitionCount(t: Target, name: string): Promise<unknown> {
  return settle(
    () => partitionCount(t, name),
    (answer) => typeof answer === 'number',
  );
}

// --- CreateTopics: names ---------------------------------------------------------------------------

for (const [why, name] of [
  ['longer than 249 characters', 'n'.repeat(250)],
  ['with a character outside [a-zA-Z0-9._-]', 'bad name!'],
  ['with a slash', 'orders/eu'],
  ["'.'", '.'],
  ["'..'", '..'],
  ['empty', ''],
] as const) {
  scenario(`CreateTopics v5: a name ${why} is refused`, (t) => create(t, 5, { [name]: {} }));
}

scenario('CreateTopics v5: a name of exactly 249 characters is accepted', (t) =>
  create(t, 5, { ['m'.repeat(249)]: {} }),
);

scenario(
  "CreateTopics: a name that differs from an existing topic's only in '.' versus '_' collides",
  async (t) => {
    await createTopic(t, 'collide.metrics');
    return create(t, 5, { collide_metrics: {} });
  },
);

// --- CreateTopics: partitions and replication factors --------------------------------------------------

for (const partitions of [0, -2]) {
  scenario(`CreateTopics v5: ${partitions} partitions are refused`, (t) =>
    create(t, 5, { [`partitions${partitions}`]: { partitions } }),
  );
}

scenario('CreateTopics v5: -1 partitions and replication factor -1 take the broker defaults', (t) =>
  create(
    t,
    5,
    { 'defaults-topic': { partitions: -1, replicationFactor: -1 } },
    {
      keep: ['Name', 'ErrorCode', 'NumPartitions', 'ReplicationFactor'],
    },
  ),
);

for (const replicationFactor of [2, 0, -2]) {
  scenario(`CreateTopics v5: replication factor ${replicationFactor} on one broker is refused`, (t) =>
    create(t, 5, { [`rf${replicationFactor}`]: { replicationFactor } }),
  );
}

scenario('CreateTopics v5: both zero partitions and replication factor zero: which error wins', (t) =>
  create(t, 5, { 'zero-zero': { partitions: 0, replicationFactor: 0 } }),
);

scenario('CreateTopics v5: which error wins when a topic is wrong in several ways', async (t) => {
  await createTopic(t, 'order-existing');
  return create(t, 5, {
    'order-existing': { replicationFactor: 2, partitions: 0, configs: { 'no.such.config': '1' } },
    'order config': { partitions: 0, configs: { 'no.such.config': '1' } },
    'order-config': { partitions: 0, replicationFactor: 2, configs: { 'no.such.config': '1' } },
    'order-partitions-rf': { partitions: 0, replicationFactor: 2 },
    'order-rf-partitions': { partitions: 3, replicationFactor: 5 },
  });
});

// --- CreateTopics: configs ---------------------------------------------------------------------------

scenario('CreateTopics v5: an unknown config is refused with INVALID_CONFIG', (t) =>
  create(t, 5, { 'unknown-config': { configs: { 'retention.weeks': '2' } } }),
);

scenario('CreateTopics v5: a config value of the wrong type is refused', (t) =>
  create(t, 5, { 'bad-config': { configs: { 'retention.ms': 'a week' } } }),
);

scenario('CreateTopics v5: a config value outside its allowed values is refused', (t) =>
  create(t, 5, { 'bad-policy': { configs: { 'cleanup.policy': 'forever' } } }),
);

scenario('CreateTopics v5: a null config value', (t) =>
  create(t, 5, { 'null-config': { configs: { 'retention.ms': null } } }),
);

scenario(
  'CreateTopics v5: the answer lists the given and the default configs with their sources',
  async (t) => {
    const response = await t.request(
      CreateTopicsSchema,
      5,
      createTopicsBody({ 'configs-listed': { partitions: 2, configs: { 'retention.ms': '3600000' } } }),
    );
    if (response === CLOSED) return CLOSED;
    const [topic] = response.Topics as Struct[];
    return {
      ...(only(topic, ['ErrorCode', 'NumPartitions', 'ReplicationFactor']) as object),
      configs: (topic.Configs as Struct[])
        .filter((c) => ['retention.ms', 'max.message.bytes', 'cleanup.policy'].includes(c.Name as string))
        .sort((a, b) => String(a.Name).localeCompare(String(b.Name))),
    };
  },
);

scenario(
  'CreateTopics v5: a topic config Kafka knows beyond the common ones (compression.type)',
  (t) => create(t, 5, { 'compressed-topic': { configs: { 'compression.type': 'gzip' } } }),
  {
    differs: {
      skipped: 'Broker configs',
      apache: [{ Name: 'compressed-topic', ErrorCode: 'NONE' }],
      embedded: [{ Name: 'compressed-topic', ErrorCode: 'INVALID_CONFIG' }],
    },
  },
);

// --- CreateTopics: validateOnly, existing topics, several topics ----------------------------------------

for (const version of [1, 5]) {
  scenario(`CreateTopics v${version} validateOnly: answers as if created, creates nothing`, async (t) => ({
    answer: await create(
      t,
      version,
      { [`validate-only-v${version}`]: { partitions: 3 } },
      { validateOnly: true, keep: ['Name', 'ErrorCode', 'NumPartitions', 'ReplicationFactor'] },
    ),
    afterwards: await partitionCount(t, `validate-only-v${version}`),
  }));
}

scenario('CreateTopics v7 validateOnly: the answer’s topic id, configs and counts', async (t) => {
  const response = await t.request(
    CreateTopicsSchema,
    7,
    createTopicsBody(
      { 'validate-v7': { partitions: 2, configs: { 'retention.ms': '1000' } } },
      { validateOnly: true },
    ),
  );
  if (response === CLOSED) return CLOSED;
  const [topic] = response.Topics as Struct[];
  return {
    ErrorCode: topic.ErrorCode,
    zeroTopicId: (topic.TopicId as Buffer).equals(Buffer.alloc(16)),
    NumPartitions: topic.NumPartitions,
    ReplicationFactor: topic.ReplicationFactor,
    retention: (topic.Configs as Struct[] | null)?.find((c) => c.Name === 'retention.ms'),
  };
});

scenario('CreateTopics validateOnly with a bad partition count still reports the error', (t) =>
  create(t, 5, { 'validate-bad': { partitions: 0 } }, { validateOnly: true }),
);

for (const version of [0, 4, 7]) {
  scenario(`CreateTopics v${version}: an existing topic gets TOPIC_ALREADY_EXISTS`, async (t) => {
    await createTopic(t, `existing-v${version}`);
    return create(t, version, { [`existing-v${version}`]: { partitions: 2 } });
  });
}

scenario('CreateTopics v5: several topics in one request, each with its own outcome', async (t) => {
  await createTopic(t, 'mixed-existing');
  return create(
    t,
    5,
    {
      'mixed-new': { partitions: 2 },
      'mixed-existing': {},
      'mixed bad name': {},
      'mixed-no-partitions': { partitions: 0 },
      'mixed-rf': { replicationFactor: 3 },
      'mixed-config': { configs: { 'no.such.config': '1' } },
    },
    { keep: ['Name', 'ErrorCode', 'NumPartitions', 'ReplicationFactor'] },
  );
});

scenario('CreateTopics v5: the same name twice in one request, beside another topic', async (t) => {
  const topics = (createTopicsBody({ twice: {}, 'beside-twice': {} }).Topics as Struct[]).concat(
    createTopicsBody({ twice: { partitions: 2 } }).Topics as Struct[],
  );
  const response = await t.request(CreateTopicsSchema, 5, { ...createTopicsBody({}), Topics: topics });
  if (response === CLOSED) return CLOSED;
  return {
    answer: only(byName(response.Topics as Struct[]), ['Name', 'ErrorCode']),
    twice: await partitionCount(t, 'twice'),
    beside: await settledPartitionCount(t, 'beside-twice'),
  };
});

scenario('CreateTopics v7: a created topic has a topic id that Metadata v12 reports too', async (t) => {
  const response = await t.request(CreateTopicsSchema, 7, createTopicsBody({ 'with-id': {} }));
  if (response === CLOSED) return CLOSED;
  const [created] = response.Topics as Struct[];
  // Kafka's controller answers before its broker's metadata has the topic: until then the id is unknown.
  const described = await until(async () => {
    const metadata = await t.request(MetadataSchema, 12, {
      Topics: [{ Name: null, TopicId: created.TopicId }],
      AllowAutoTopicCreation: false,
      IncludeTopicAuthorizedOperations: false,
    });
    if (metadata === CLOSED) return CLOSED;
    const [topic] = metadata.Topics as Struct[];
    return topic.ErrorCode !== ErrorCode.UNKNOWN_TOPIC_ID && topic;
  }, `the new topic's id in ${t.name}'s metadata`);
  if (described === CLOSED) return CLOSED;
  return {
    nonZeroId: !(created.TopicId as Buffer).equals(Buffer.alloc(16)),
    describedByIdAs: described.Name,
    error: described.ErrorCode,
  };
});

scenario(
  'kafkajs admin.createTopics: a bad partition count surfaces as an error with Kafka’s type',
  async (t) => {
    const admin = t.kafkajs({ retry: { retries: 0 } }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'kafkajs-bad', numPartitions: 0 }] });
      return 'created';
    } catch (error) {
      const e = error as { name: string; errors?: { type: string }[] };
      return { name: e.name, types: e.errors?.map((x) => x.type) };
    } finally {
      await admin.disconnect();
    }
  },
);

// --- DescribeConfigs -----------------------------------------------------------------------------------

/** DescribeConfigs for one resource at `version`: its error and the named configs' fields. */
async function describeConfigs(
  t: Target,
  version: number,
  resource: { type: number; name: string; keys: readonly string[] | null },
  options: { synonyms?: boolean; documentation?: boolean; fields?: readonly string[] } = {},
): Promise<unknown> {
  const response = await t.request(DescribeConfigsSchema, version, {
    Resources: [
      { ResourceType: resource.type, ResourceName: resource.name, ConfigurationKeys: resource.keys },
    ],
    IncludeSynonyms: options.synonyms ?? false,
    IncludeDocumentation: options.documentation ?? false,
  });
  if (response === CLOSED) return CLOSED;
  const [result] = response.Results as Struct[];
  const configs = [...(result.Configs as Struct[])].sort((a, b) =>
    String(a.Name).localeCompare(String(b.Name)),
  );
  return {
    ErrorCode: result.ErrorCode,
    ResourceType: result.ResourceType,
    ResourceName: result.ResourceName,
    configs: only(
      configs,
      options.fields ?? ['Name', 'Value', 'ReadOnly', 'IsDefault', 'ConfigSource', 'IsSensitive'],
    ),
  };
}

/** The topic configs the embedded broker supports (SKIPPED.md, Broker configs). */
const SUPPORTED_CONFIGS = [
  'cleanup.policy',
  'max.message.bytes',
  'message.timestamp.type',
  'min.insync.replicas',
  'retention.bytes',
  'retention.ms',
  'segment.bytes',
];

const DESCRIBED_KEYS = ['retention.ms', 'max.message.bytes', 'cleanup.policy', 'message.timestamp.type'];

for (const version of [0, 1, 2, 4]) {
  scenario(`DescribeConfigs v${version}: a topic's set and default configs with their sources`, async (t) => {
    const name = `described-v${version}`;
    await createTopic(t, name, { configs: { 'retention.ms': '86400000', 'cleanup.policy': 'compact' } });
    return describeConfigs(t, version, { type: TOPIC_RESOURCE, name, keys: DESCRIBED_KEYS });
  });
}

scenario('DescribeConfigs v1 with synonyms: a set config and a default one', async (t) => {
  await createTopic(t, 'synonyms', { configs: { 'retention.ms': '86400000' } });
  return describeConfigs(
    t,
    1,
    { type: TOPIC_RESOURCE, name: 'synonyms', keys: ['retention.ms', 'max.message.bytes', 'segment.bytes'] },
    { synonyms: true, fields: ['Name', 'Value', 'ConfigSource', 'Synonyms', 'Source'] },
  );
});

scenario(
  'DescribeConfigs v1 with synonyms: every config the embedded broker supports, at its default',
  async (t) => {
    await createTopic(t, 'synonyms-defaults');
    return describeConfigs(
      t,
      1,
      { type: TOPIC_RESOURCE, name: 'synonyms-defaults', keys: SUPPORTED_CONFIGS },
      { synonyms: true, fields: ['Name', 'Value', 'ConfigSource', 'Synonyms', 'Source'] },
    );
  },
);

scenario(
  'DescribeConfigs v4 with synonyms: every config the embedded broker supports, set on the topic',
  async (t) => {
    await createTopic(t, 'synonyms-set', {
      configs: {
        'retention.ms': '7200000',
        'retention.bytes': '1048576',
        'message.timestamp.type': 'LogAppendTime',
        'max.message.bytes': '65536',
        'cleanup.policy': 'compact,delete',
        'segment.bytes': '16777216',
        'min.insync.replicas': '1',
      },
    });
    return describeConfigs(
      t,
      4,
      { type: TOPIC_RESOURCE, name: 'synonyms-set', keys: SUPPORTED_CONFIGS },
      {
        synonyms: true,
        fields: [
          'Name',
          'Value',
          'ReadOnly',
          'ConfigSource',
          'IsSensitive',
          'Synonyms',
          'Source',
          'ConfigType',
        ],
      },
    );
  },
);

scenario('DescribeConfigs v3: each config’s type, and documentation when asked', async (t) => {
  await createTopic(t, 'documented');
  const answer = (await describeConfigs(
    t,
    3,
    { type: TOPIC_RESOURCE, name: 'documented', keys: DESCRIBED_KEYS },
    { documentation: true, fields: ['Name', 'ConfigType', 'Documentation'] },
  )) as { configs: { Name: string; ConfigType: number; Documentation: string | null }[] };
  return answer.configs.map((c) => ({
    ...c,
    Documentation: typeof c.Documentation === 'string' && c.Documentation.length > 0,
  }));
});

scenario(
  'DescribeConfigs v4: every config of a topic when no keys are named (names only)',
  async (t) => {
    await createTopic(t, 'all-configs');
    const answer = (await describeConfigs(
      t,
      4,
      { type: TOPIC_RESOURCE, name: 'all-configs', keys: null },
      { fields: ['Name'] },
    )) as {
      configs: { Name: string }[];
    };
    return answer.configs.map((c) => c.Name);
  },
  {
    differs: {
      skipped: 'Broker configs',
      apache: [
        'cleanup.policy',
        'compression.gzip.level',
        'compression.lz4.level',
        'compression.type',
        'compression.zstd.level',
        'delete.retention.ms',
        'file.delete.delay.ms',
        'flush.messages',
        'flush.ms',
        'follower.replication.throttled.replicas',
        'index.interval.bytes',
        'leader.replication.throttled.replicas',
        'local.retention.bytes',
        'local.retention.ms',
        'max.compaction.lag.ms',
        'max.message.bytes',
        'message.downconversion.enable',
        'message.format.version',
        'message.timestamp.after.max.ms',
        'message.timestamp.before.max.ms',
        'message.timestamp.difference.max.ms',
        'message.timestamp.type',
        'min.cleanable.dirty.ratio',
        'min.compaction.lag.ms',
        'min.insync.replicas',
        'preallocate',
        'remote.log.copy.disable',
        'remote.log.delete.on.disable',
        'remote.storage.enable',
        'retention.bytes',
        'retention.ms',
        'segment.bytes',
        'segment.index.bytes',
        'segment.jitter.ms',
        'segment.ms',
        'unclean.leader.election.enable',
      ],
      embedded: SUPPORTED_CONFIGS,
    },
  },
);

scenario('DescribeConfigs: a config key the topic does not have is left out', async (t) => {
  await createTopic(t, 'odd-key');
  return describeConfigs(t, 2, {
    type: TOPIC_RESOURCE,
    name: 'odd-key',
    keys: ['retention.ms', 'no.such.key'],
  });
});

scenario('DescribeConfigs: an unknown topic', (t) =>
  describeConfigs(t, 2, { type: TOPIC_RESOURCE, name: 'never-created', keys: null }),
);

scenario(
  'DescribeConfigs: the broker resource of the broker asked (how many configs)',
  async (t) => {
    const answer = (await describeConfigs(t, 2, {
      type: BROKER_RESOURCE,
      name: String(t.nodeIds[0]),
      keys: null,
    })) as {
      ErrorCode: number;
      configs: unknown[];
    };
    return { ErrorCode: answer.ErrorCode, someConfigs: answer.configs.length > 0 };
  },
  {
    differs: {
      skipped: 'Broker configs',
      apache: { ErrorCode: 'NONE', someConfigs: true },
      embedded: { ErrorCode: 'NONE', someConfigs: false },
    },
  },
);

for (const [why, name] of [
  ['naming another broker id', '99'],
  ['whose name is not a number', 'broker-one'],
  ['with an empty name (the cluster-wide dynamic defaults)', ''],
] as const) {
  scenario(`DescribeConfigs: a broker resource ${why}`, (t) =>
    describeConfigs(t, 2, { type: BROKER_RESOURCE, name, keys: null }),
  );
}

scenario('DescribeConfigs: an invalid topic name', (t) =>
  describeConfigs(t, 2, { type: TOPIC_RESOURCE, name: 'no spaces allowed', keys: null }),
);

scenario('DescribeConfigs: a resource type that does not exist', (t) =>
  describeConfigs(t, 2, { type: 99, name: 'x', keys: null }),
);

// --- CreatePartitions -----------------------------------------------------------------------------------

async function createPartitions(
  t: Target,
  version: number,
  topics: Readonly<Record<string, number>>,
  validateOnly = false,
): Promise<unknown> {
  const response = await t.request(CreatePartitionsSchema, version, {
    Topics: Object.entries(topics).map(([Name, Count]) => ({ Name, Count, Assignments: null })),
    TimeoutMs: 30_000,
    ValidateOnly: validateOnly,
  });
  if (response === CLOSED) return CLOSED;
  return only(byName(response.Results as Struct[]), ['Name', 'ErrorCode']);
}

for (const version of [0, 3]) {
  scenario(`CreatePartitions v${version}: grow a topic from 1 to 3 partitions`, async (t) => {
    await createTopic(t, `grow-v${version}`);
    return {
      answer: await createPartitions(t, version, { [`grow-v${version}`]: 3 }),
      afterwards: await settle(
        () => partitionCount(t, `grow-v${version}`),
        (count) => count === 3,
      ),
    };
  });
}

scenario('CreatePartitions: shrinking, keeping the same count, and an unknown topic', async (t) => {
  await createTopic(t, 'shrink', { partitions: 3 });
  await createTopic(t, 'same', { partitions: 2 });
  return {
    answer: await createPartitions(t, 2, { shrink: 2, same: 2, 'no-such-topic': 4 }),
    afterwards: [await partitionCount(t, 'shrink'), await partitionCount(t, 'same')],
  };
});

scenario('CreatePartitions validateOnly: answers NONE and leaves the count', async (t) => {
  await createTopic(t, 'grow-validate');
  return {
    answer: await createPartitions(t, 1, { 'grow-validate': 5 }, true),
    afterwards: await partitionCount(t, 'grow-validate'),
  };
});

scenario('CreatePartitions: zero and negative counts', async (t) => {
  await createTopic(t, 'grow-zero');
  await createTopic(t, 'grow-negative');
  return createPartitions(t, 3, { 'grow-zero': 0, 'grow-negative': -1 });
});

scenario('CreatePartitions: the same topic twice in one request', async (t) => {
  await createTopic(t, 'grow-twice');
  const response = await t.request(CreatePartitionsSchema, 3, {
    Topics: [
      { Name: 'grow-twice', Count: 2, Assignments: null },
      { Name: 'grow-twice', Count: 3, Assignments: null },
    ],
    TimeoutMs: 30_000,
    ValidateOnly: false,
  });
  if (response === CLOSED) return CLOSED;
  return {
    answer: only(response.Results, ['Name', 'ErrorCode']),
    afterwards: await partitionCount(t, 'grow-twice'),
  };
});

// --- DeleteTopics ---------------------------------------------------------------------------------------

async function deleteTopics(t: Target, version: number, names: readonly string[]): Promise<unknown> {
  const response = await t.request(DeleteTopicsSchema, version, {
    TopicNames: names,
    Topics: names.map((Name) => ({ Name, TopicId: Buffer.alloc(16) })),
    TimeoutMs: 30_000,
  });
  if (response === CLOSED) return CLOSED;
  return only(byName(response.Responses as Struct[]), ['Name', 'ErrorCode']);
}

for (const version of [0, 4, 6]) {
  scenario(`DeleteTopics v${version}: an existing topic and an unknown one`, async (t) => {
    await createTopic(t, `doomed-v${version}`);
    return {
      answer: await deleteTopics(t, version, [`doomed-v${version}`, `never-v${version}`]),
      afterwards: await settle(
        () => topicMetadata(t, [`doomed-v${version}`]),
        (answer) => !errorsOf(answer).includes(0),
      ),
    };
  });
}

scenario('DeleteTopics v4: the same name twice in one request', async (t) => {
  await createTopic(t, 'doomed-twice');
  return {
    answer: await deleteTopics(t, 4, ['doomed-twice', 'doomed-twice']),
    afterwards: await partitionCount(t, 'doomed-twice'),
  };
});

scenario('DeleteTopics v6: a topic named and given an id at once', async (t) => {
  const created = await t.request(CreateTopicsSchema, 7, createTopicsBody({ 'doomed-both': {} }));
  if (created === CLOSED) return CLOSED;
  const response = await t.request(DeleteTopicsSchema, 6, {
    Topics: [{ Name: 'doomed-both', TopicId: (created.Topics as Struct[])[0].TopicId }],
    TimeoutMs: 30_000,
  });
  return response === CLOSED ? CLOSED : only(response.Responses, ['Name', 'ErrorCode']);
});

scenario('DeleteTopics v6: by an unknown topic id', async (t) => {
  const response = await t.request(DeleteTopicsSchema, 6, {
    Topics: [{ Name: null, TopicId: Buffer.alloc(16, 7) }],
    TimeoutMs: 30_000,
  });
  return response === CLOSED ? CLOSED : only(response.Responses, ['Name', 'ErrorCode']);
});

scenario('DeleteTopics v6: by the id CreateTopics v7 returned', async (t) => {
  const created = await t.request(CreateTopicsSchema, 7, createTopicsBody({ 'doomed-by-id': {} }));
  if (created === CLOSED) return CLOSED;
  const response = await t.request(DeleteTopicsSchema, 6, {
    Topics: [{ Name: null, TopicId: (created.Topics as Struct[])[0].TopicId }],
    TimeoutMs: 30_000,
  });
  return response === CLOSED ? CLOSED : only(response.Responses, ['Name', 'ErrorCode']);
});

scenario('DeleteTopics then CreateTopics with the same name: a new, empty topic', async (t) => {
  await createTopic(t, 'reborn', { partitions: 2 });
  await produceOk(t, 'reborn', 0, recordBatch({ records: [{ value: 'old' }, { value: 'older' }] }));
  const deleted = await deleteTopics(t, 4, ['reborn']);
  const recreated = await create(t, 5, { reborn: { partitions: 1 } });
  return {
    deleted,
    recreated,
    partitions: await settledPartitionCount(t, 'reborn'),
    latest: await listOffsets(t, 'reborn', 0, LATEST).then((p) => (p === CLOSED ? CLOSED : p.Offset)),
  };
});

// --- DeleteRecords --------------------------------------------------------------------------------------

/** A topic holding `count` records in partition 0. */
async function filledTopic(t: Target, name: string, count: number, topic: NewTopic = {}): Promise<void> {
  await createTopic(t, name, topic);
  await produceOk(
    t,
    name,
    0,
    recordBatch({ records: Array.from({ length: count }, (_, i) => ({ value: `r${i}` })) }),
  );
}

async function earliestLatest(t: Target, name: string): Promise<unknown> {
  const earliest = await listOffsets(t, name, 0, EARLIEST);
  const latest = await listOffsets(t, name, 0, LATEST);
  return earliest === CLOSED || latest === CLOSED ? CLOSED : [earliest.Offset, latest.Offset];
}

for (const version of [0, 2]) {
  scenario(`DeleteRecords v${version}: before offset 3 of 5 moves the low watermark`, async (t) => {
    await filledTopic(t, `trimmed-v${version}`, 5);
    return {
      answer: only(await deleteRecords(t, `trimmed-v${version}`, 0, 3n, version), [
        'ErrorCode',
        'LowWatermark',
      ]),
      offsets: await earliestLatest(t, `trimmed-v${version}`),
    };
  });
}

scenario('DeleteRecords: beyond the high watermark is OFFSET_OUT_OF_RANGE', async (t) => {
  await filledTopic(t, 'trim-beyond', 3);
  return {
    answer: only(await deleteRecords(t, 'trim-beyond', 0, 4n), ['ErrorCode', 'LowWatermark']),
    offsets: await earliestLatest(t, 'trim-beyond'),
  };
});

scenario(
  'DeleteRecords: exactly the high watermark, then -1 (the high watermark) after more records',
  async (t) => {
    await filledTopic(t, 'trim-all', 3);
    const atEnd = only(await deleteRecords(t, 'trim-all', 0, 3n), ['ErrorCode', 'LowWatermark']);
    await produceOk(t, 'trim-all', 0, recordBatch({ records: [{ value: 'a' }, { value: 'b' }] }));
    return {
      atEnd,
      minusOne: only(await deleteRecords(t, 'trim-all', 0, -1n), ['ErrorCode', 'LowWatermark']),
      offsets: await earliestLatest(t, 'trim-all'),
    };
  },
);

scenario('DeleteRecords: below the current low watermark changes nothing', async (t) => {
  await filledTopic(t, 'trim-twice', 5);
  await deleteRecords(t, 'trim-twice', 0, 4n);
  return {
    answer: only(await deleteRecords(t, 'trim-twice', 0, 2n), ['ErrorCode', 'LowWatermark']),
    offsets: await earliestLatest(t, 'trim-twice'),
  };
});

scenario('DeleteRecords: -2 and other negative offsets', async (t) => {
  await filledTopic(t, 'trim-negative', 2);
  return [
    only(await deleteRecords(t, 'trim-negative', 0, -2n), ['ErrorCode', 'LowWatermark']),
    only(await deleteRecords(t, 'trim-negative', 0, -7n), ['ErrorCode', 'LowWatermark']),
  ];
});

scenario('DeleteRecords: an unknown partition and an unknown topic', async (t) => {
  await filledTopic(t, 'trim-partitions', 1);
  return [
    only(await deleteRecords(t, 'trim-partitions', 3, 0n), ['ErrorCode', 'LowWatermark']),
    only(await deleteRecords(t, 'trim-no-topic', 0, 0n), ['ErrorCode', 'LowWatermark']),
  ];
});

scenario('DeleteRecords: a topic with cleanup.policy=compact refuses', async (t) => {
  await createTopic(t, 'trim-compacted', { configs: { 'cleanup.policy': 'compact' } });
  await produceOk(
    t,
    'trim-compacted',
    0,
    recordBatch({
      records: [
        { key: 'k', value: 'v' },
        { key: 'k', value: 'w' },
      ],
    }),
  );
  return {
    answer: only(await deleteRecords(t, 'trim-compacted', 0, 1n), ['ErrorCode', 'LowWatermark']),
    offsets: await earliestLatest(t, 'trim-compacted'),
  };
});

// --- Metadata ---------------------------------------------------------------------------------------------

scenario('Metadata v9: an unknown topic without auto-creation', async (t) => ({
  answer: await topicMetadata(t, ['absent-no-create'], { allowAutoCreate: false }),
  again: await topicMetadata(t, ['absent-no-create'], { allowAutoCreate: false }),
}));

scenario(
  'Metadata v9: an unknown topic with auto-creation allowed (first answer, then the topic)',
  async (t) => ({
    first: await topicMetadata(t, ['auto-v9'], { allowAutoCreate: true }),
    later: await settle(
      () => topicMetadata(t, ['auto-v9']),
      (answer) => errorsOf(answer).every((e) => e === 0),
    ),
  }),
);

scenario('Metadata v1: an unknown topic is auto-created (implied before v4)', async (t) => ({
  first: await topicMetadata(t, ['auto-v1'], { version: 1 }),
  later: await settle(
    () => topicMetadata(t, ['auto-v1'], { version: 1 }),
    (answer) => errorsOf(answer).every((e) => e === 0),
  ),
}));

scenario(
  "Metadata v9: auto-creating a name that collides with an existing topic's ('.' versus '_')",
  async (t) => {
    await createTopic(t, 'auto.collides');
    const read = () => topicMetadata(t, ['auto_collides'], { allowAutoCreate: true });
    return { first: await read(), again: await read() };
  },
);

scenario('Metadata v9: an invalid topic name with auto-creation allowed', (t) =>
  topicMetadata(t, ['no spaces allowed'], { allowAutoCreate: true }),
);

scenario('Metadata v9: an invalid topic name without auto-creation', (t) =>
  topicMetadata(t, ['no spaces allowed'], { allowAutoCreate: false }),
);

scenario(
  'Metadata: an empty topic list (v1, v9) lists none, a null list and v0’s empty list list all',
  async (t) => {
    await createTopic(t, 'listed-topic');
    const includesTopic = async (names: string[] | null, version: number) => {
      const topics = (await topicMetadata(t, names, { version })) as { Name: string }[];
      return { count: topics.length > 0, listed: topics.some((x) => x.Name === 'listed-topic') };
    };
    return {
      v0Empty: await includesTopic([], 0),
      v1Empty: await includesTopic([], 1),
      v1Null: await includesTopic(null, 1),
      v9Empty: await includesTopic([], 9),
      v9Null: await includesTopic(null, 9),
    };
  },
);

/** Metadata v9 of one topic, its partitions in index order (a broker may list them in any order). */
async function describedTopic(t: Target, name: string): Promise<Struct | typeof CLOSED> {
  const response = await t.request(MetadataSchema, 9, {
    Topics: [{ Name: name, TopicId: Buffer.alloc(16) }],
    AllowAutoTopicCreation: false,
    IncludeTopicAuthorizedOperations: false,
  });
  if (response === CLOSED) return CLOSED;
  const [topic] = response.Topics as Struct[];
  const partitions = [...(topic.Partitions as Struct[])].sort(
    (a, b) => (a.PartitionIndex as number) - (b.PartitionIndex as number),
  );
  return { ...topic, Partitions: partitions };
}

scenario('Metadata v9: a known topic’s partitions, leaders, replicas and ISR', async (t) => {
  await createTopic(t, 'described-partitions', { partitions: 2 });
  const topic = await describedTopic(t, 'described-partitions');
  if (topic === CLOSED) return CLOSED;
  return only(topic, [
    'ErrorCode',
    'Name',
    'IsInternal',
    'Partitions',
    'PartitionIndex',
    'LeaderId',
    'ReplicaNodes',
    'IsrNodes',
    'OfflineReplicas',
    'TopicAuthorizedOperations',
  ]);
});

/**
 * Reads until `settled` holds of the answer (for at most 5 s) and returns the last answer: Kafka's
 * controller applies topic changes to its brokers' metadata asynchronously, so a client that acts
 * on a topic right after creating or deleting it waits the same way.
 */
async function settle<T>(read: () => Promise<T>, settled: (answer: T) => boolean): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const answer = await read();
    if (settled(answer) || attempt === 50) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Metadata errors of every topic in an answer of topicMetadata(). */
const errorsOf = (answer: unknown) => (answer as { ErrorCode: number }[]).map((x) => x.ErrorCode);

scenario('Metadata v9: the leader epoch of each partition of a new topic', async (t) => {
  await createTopic(t, 'epoch-partitions', { partitions: 2 });
  const topic = await describedTopic(t, 'epoch-partitions');
  if (topic === CLOSED) return CLOSED;
  return (topic.Partitions as Struct[]).map((p) => p.LeaderEpoch);
});
