/**
 * Conformance: AlterConfigs (replace a topic's configs) and IncrementalAlterConfigs (change them one
 * operation at a time), as kafkajs's admin.alterConfigs and kafka-configs.sh --alter send them. Each
 * scenario observes the answer and then the topic's configs as DescribeConfigs gives them (value and
 * source of the configs the scenario touches).
 */
import { ErrorCode } from '../../local/kafka/errors';
import type { Struct } from '../../local/kafka/message-codec';
import { DescribeConfigsSchema } from '../../local/kafka/messages/32-describe-configs';
import { AlterConfigsSchema } from '../../local/kafka/messages/33-alter-configs';
import { IncrementalAlterConfigsSchema } from '../../local/kafka/messages/44-incremental-alter-configs';
import { until } from '../support/until';
import { answered, conformance, type Target } from './harness';
import { createTopic } from './topic-requests';

const scenario = conformance('alter configs');

const TOPIC = 2;
const BROKER = 4;
const Op = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

/** The configs a scenario looks at: set at creation, then altered. */
const KEYS = ['retention.ms', 'cleanup.policy', 'max.message.bytes'];

/** Value and source of KEYS on `topic`, as DescribeConfigs v1 gives them. */
async function configsOf(t: Target, topic: string): Promise<Record<string, string>> {
  const response = answered(
    await t.request(DescribeConfigsSchema, 1, {
      Resources: [{ ResourceType: TOPIC, ResourceName: topic, ConfigurationKeys: KEYS }],
      IncludeSynonyms: false,
    }),
    `describe ${topic}`,
  );
  const [result] = response.Results as Struct[];
  const sources: Record<number, string> = { 1: 'topic', 5: 'default' };
  return Object.fromEntries(
    (result.Configs as Struct[])
      .map((c): [string, string] => [
        c.Name as string,
        `${String(c.Value)} (${sources[c.ConfigSource as number] ?? String(c.ConfigSource)})`,
      ])
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/**
 * The topic's configs once the broker serving DescribeConfigs has applied an accepted change (Kafka
 * answers from the controller and its broker applies the change a moment later); at once otherwise.
 */
async function configsAfter(
  t: Target,
  topic: string,
  before: Record<string, string>,
  accepted: boolean,
): Promise<Record<string, string>> {
  if (!accepted) return configsOf(t, topic);
  return until(async () => {
    const now = await configsOf(t, topic);
    return JSON.stringify(now) !== JSON.stringify(before) && now;
  }, `${topic}'s altered configs on ${t.name}`);
}

/** A topic with retention.ms and cleanup.policy set on it. */
async function topicWithConfigs(t: Target, topic: string): Promise<Record<string, string>> {
  await createTopic(t, topic, { configs: { 'retention.ms': '3600000', 'cleanup.policy': 'delete' } });
  return configsOf(t, topic);
}

function answers(response: Struct): unknown {
  return (response.Responses as Struct[]).map((r) => ({
    ErrorCode: r.ErrorCode,
    ResourceType: r.ResourceType,
    ResourceName: r.ResourceName,
  }));
}

interface Alteration {
  readonly topic: string;
  readonly version: number;
  readonly configs: readonly { Name: string; Value: string | null }[];
  readonly validateOnly?: boolean;
  /** Whether the scenario expects the topic's configs to change (to know whether to wait for it). */
  readonly changes: boolean;
}

/** AlterConfigs on a fresh topic: the answer, and the configs before and after. */
async function alter(t: Target, a: Alteration): Promise<unknown> {
  const before = await topicWithConfigs(t, a.topic);
  const response = answered(
    await t.request(AlterConfigsSchema, a.version, {
      Resources: [{ ResourceType: TOPIC, ResourceName: a.topic, Configs: a.configs }],
      ValidateOnly: a.validateOnly ?? false,
    }),
    `alter ${a.topic}`,
  );
  const accepted = (response.Responses as Struct[])[0].ErrorCode === ErrorCode.NONE;
  return {
    answer: answers(response),
    before,
    after: await configsAfter(t, a.topic, before, accepted && a.changes),
  };
}

interface Change {
  readonly Name: string;
  readonly ConfigOperation: number;
  readonly Value: string | null;
}

/** IncrementalAlterConfigs on a fresh topic: the answer, and the configs before and after. */
async function change(
  t: Target,
  topic: string,
  version: number,
  configs: readonly Change[],
  options: { validateOnly?: boolean; changes: boolean },
): Promise<unknown> {
  const before = await topicWithConfigs(t, topic);
  const response = answered(
    await t.request(IncrementalAlterConfigsSchema, version, {
      Resources: [{ ResourceType: TOPIC, ResourceName: topic, Configs: configs }],
      ValidateOnly: options.validateOnly ?? false,
    }),
    `change ${topic}`,
  );
  const accepted = (response.Responses as Struct[])[0].ErrorCode === ErrorCode.NONE;
  return {
    answer: answers(response),
    before,
    after: await configsAfter(t, topic, before, accepted && options.changes),
  };
}

// --- AlterConfigs ------------------------------------------------------------------------------------

for (const version of [0, 1, 2]) {
  scenario(
    `AlterConfigs v${version}: the topic gets exactly the configs given, the rest back at default`,
    (t) =>
      alter(t, {
        topic: `alter-replace-v${version}`,
        version,
        configs: [
          { Name: 'retention.ms', Value: '7200000' },
          { Name: 'max.message.bytes', Value: '2000' },
        ],
        changes: true,
      }),
  );
}

scenario('AlterConfigs with validateOnly: answered, nothing changes', (t) =>
  alter(t, {
    topic: 'alter-validate-only',
    version: 1,
    configs: [{ Name: 'retention.ms', Value: '7200000' }],
    validateOnly: true,
    changes: false,
  }),
);

scenario('AlterConfigs with a value of the wrong type: INVALID_CONFIG, nothing changes', (t) =>
  alter(t, {
    topic: 'alter-bad-value',
    version: 1,
    configs: [{ Name: 'retention.ms', Value: 'a week' }],
    changes: false,
  }),
);

scenario('AlterConfigs with an unknown config: INVALID_CONFIG, nothing changes', (t) =>
  alter(t, {
    topic: 'alter-unknown-config',
    version: 1,
    configs: [{ Name: 'no.such.config', Value: '1' }],
    changes: false,
  }),
);

scenario('AlterConfigs of a topic that does not exist', async (t) => {
  const response = answered(
    await t.request(AlterConfigsSchema, 1, {
      Resources: [
        {
          ResourceType: TOPIC,
          ResourceName: 'alter-no-such-topic',
          Configs: [{ Name: 'retention.ms', Value: '1' }],
        },
      ],
      ValidateOnly: false,
    }),
    'alter a missing topic',
  );
  return answers(response);
});

scenario(
  'AlterConfigs of the cluster-wide broker defaults',
  async (t) => {
    const response = answered(
      await t.request(AlterConfigsSchema, 1, {
        Resources: [
          {
            ResourceType: BROKER,
            ResourceName: '',
            Configs: [{ Name: 'log.retention.ms', Value: '604800000' }],
          },
        ],
        ValidateOnly: true,
      }),
      'alter broker defaults',
    );
    return answers(response);
  },
  {
    differs: {
      skipped: 'Broker configs',
      apache: [{ ErrorCode: 'NONE', ResourceType: BROKER, ResourceName: '' }],
      embedded: [{ ErrorCode: 'INVALID_REQUEST', ResourceType: BROKER, ResourceName: '' }],
    },
  },
);

// --- IncrementalAlterConfigs -----------------------------------------------------------------------

for (const version of [0, 1]) {
  scenario(`IncrementalAlterConfigs v${version} SET: one config changes, the others stay set`, (t) =>
    change(
      t,
      `change-set-v${version}`,
      version,
      [{ Name: 'retention.ms', ConfigOperation: Op.SET, Value: '7200000' }],
      {
        changes: true,
      },
    ),
  );
}

scenario('IncrementalAlterConfigs DELETE: the config goes back to its default', (t) =>
  change(t, 'change-delete', 1, [{ Name: 'retention.ms', ConfigOperation: Op.DELETE, Value: null }], {
    changes: true,
  }),
);

scenario('IncrementalAlterConfigs DELETE of a config not set: answered, nothing changes', (t) =>
  change(
    t,
    'change-delete-unset',
    1,
    [{ Name: 'max.message.bytes', ConfigOperation: Op.DELETE, Value: null }],
    {
      changes: false,
    },
  ),
);

scenario('IncrementalAlterConfigs APPEND to a list config (cleanup.policy)', (t) =>
  change(t, 'change-append', 1, [{ Name: 'cleanup.policy', ConfigOperation: Op.APPEND, Value: 'compact' }], {
    changes: true,
  }),
);

scenario('IncrementalAlterConfigs SUBTRACT from a list config', async (t) => {
  const topic = 'change-subtract';
  await createTopic(t, topic, { configs: { 'cleanup.policy': 'delete,compact' } });
  const before = await configsOf(t, topic);
  const response = answered(
    await t.request(IncrementalAlterConfigsSchema, 1, {
      Resources: [
        {
          ResourceType: TOPIC,
          ResourceName: topic,
          Configs: [{ Name: 'cleanup.policy', ConfigOperation: Op.SUBTRACT, Value: 'delete' }],
        },
      ],
      ValidateOnly: false,
    }),
    `change ${topic}`,
  );
  return { answer: answers(response), before, after: await configsAfter(t, topic, before, true) };
});

scenario('IncrementalAlterConfigs APPEND to a config that is not a list: INVALID_CONFIG', (t) =>
  change(t, 'change-append-scalar', 1, [{ Name: 'retention.ms', ConfigOperation: Op.APPEND, Value: '1' }], {
    changes: false,
  }),
);

scenario('IncrementalAlterConfigs SET of an unknown config: INVALID_CONFIG', (t) =>
  change(t, 'change-unknown', 1, [{ Name: 'no.such.config', ConfigOperation: Op.SET, Value: '1' }], {
    changes: false,
  }),
);

scenario('IncrementalAlterConfigs with the same config twice: INVALID_REQUEST, nothing changes', (t) =>
  change(
    t,
    'change-twice',
    1,
    [
      { Name: 'retention.ms', ConfigOperation: Op.SET, Value: '1000' },
      { Name: 'retention.ms', ConfigOperation: Op.SET, Value: '2000' },
    ],
    { changes: false },
  ),
);

scenario('IncrementalAlterConfigs with validateOnly: answered, nothing changes', (t) =>
  change(t, 'change-validate-only', 1, [{ Name: 'retention.ms', ConfigOperation: Op.SET, Value: '5000' }], {
    validateOnly: true,
    changes: false,
  }),
);

scenario('IncrementalAlterConfigs of two topics, one missing: an answer per resource', async (t) => {
  await topicWithConfigs(t, 'change-two-present');
  const response = answered(
    await t.request(IncrementalAlterConfigsSchema, 1, {
      Resources: ['change-two-present', 'change-two-missing'].map((name) => ({
        ResourceType: TOPIC,
        ResourceName: name,
        Configs: [{ Name: 'retention.ms', ConfigOperation: Op.SET, Value: '9000' }],
      })),
      ValidateOnly: true,
    }),
    'change two topics',
  );
  return answers(response);
});
