/**
 * Topic-level configs the broker understands, with Kafka's defaults and validation, and what
 * DescribeConfigs tells about each (type, the broker-level config its default comes from, a short
 * description). Unknown names are refused (INVALID_CONFIG) rather than silently ignored.
 */

/** DescribeConfigs' ConfigType codes (Kafka's ConfigDef types). */
export const CONFIG_TYPE = { STRING: 2, INT: 3, LONG: 5, LIST: 7 } as const;

export interface ConfigSpec {
  readonly default: string;
  /** Returns a problem with the value, or undefined when it is valid. */
  readonly validate: (value: string) => string | undefined;
  readonly type: (typeof CONFIG_TYPE)[keyof typeof CONFIG_TYPE];
  /**
   * The broker config that holds this config's default, listed as its synonym. None for retention.ms:
   * Kafka's default comes from log.retention.hours, which it does not list as a synonym.
   */
  readonly brokerDefault?: string;
  /** DescribeConfigs' documentation (IncludeDocumentation). */
  readonly documentation: string;
}

const long = (min: number) => (v: string) =>
  /^-?\d+$/.test(v) && Number(v) >= min ? undefined : `expected an integer ≥ ${min}`;
const oneOf =
  (...allowed: string[]) =>
  (v: string) =>
    allowed.includes(v) ? undefined : `expected one of ${allowed.join(', ')}`;

export const TOPIC_CONFIGS: Record<string, ConfigSpec> = {
  'retention.ms': {
    default: '604800000',
    validate: long(-1),
    type: CONFIG_TYPE.LONG,
    documentation: 'How long records are kept before they may be deleted, in milliseconds; -1 keeps them.',
  },
  'retention.bytes': {
    default: '-1',
    validate: long(-1),
    type: CONFIG_TYPE.LONG,
    brokerDefault: 'log.retention.bytes',
    documentation: 'How large a partition may grow before its oldest records are deleted; -1 means no limit.',
  },
  'message.timestamp.type': {
    default: 'CreateTime',
    validate: oneOf('CreateTime', 'LogAppendTime'),
    type: CONFIG_TYPE.STRING,
    brokerDefault: 'log.message.timestamp.type',
    documentation:
      "Whether records keep the producer's timestamp (CreateTime) or get the broker's clock (LogAppendTime).",
  },
  'max.message.bytes': {
    default: '1048588',
    validate: long(0),
    type: CONFIG_TYPE.INT,
    brokerDefault: 'message.max.bytes',
    documentation: 'The largest record batch the topic accepts, in bytes.',
  },
  // Accepted so topics declared for real Kafka work here; compaction itself is not performed (SKIPPED.md).
  'cleanup.policy': {
    default: 'delete',
    validate: oneOf('delete', 'compact', 'compact,delete', 'delete,compact'),
    type: CONFIG_TYPE.LIST,
    brokerDefault: 'log.cleanup.policy',
    documentation:
      'What happens to old records: deleted by retention (delete), compacted by key (compact), or both.',
  },
  'segment.bytes': {
    default: '1073741824',
    validate: long(14),
    type: CONFIG_TYPE.INT,
    brokerDefault: 'log.segment.bytes',
    documentation: 'The size of one log segment file; retention deletes whole segments.',
  },
  'min.insync.replicas': {
    default: '1',
    validate: long(1),
    type: CONFIG_TYPE.INT,
    brokerDefault: 'min.insync.replicas',
    documentation: 'How many replicas must have a record before a produce with acks=all is acknowledged.',
  },
};

export type TopicConfigs = Record<string, string>;

/**
 * Validates the given configs and fills in defaults; returns problems by name, and which names were
 * given a value (a topic's overrides, which DescribeConfigs reports as set on the topic even when the
 * value equals the default).
 */
export function resolveTopicConfigs(given: Record<string, string | null>): {
  configs: TopicConfigs;
  overrides: string[];
  problems: string[];
} {
  const configs: TopicConfigs = {};
  const overrides: string[] = [];
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(TOPIC_CONFIGS)) configs[name] = spec.default;
  for (const [name, value] of Object.entries(given)) {
    const spec = Object.hasOwn(TOPIC_CONFIGS, name) ? TOPIC_CONFIGS[name] : undefined;
    if (!spec) {
      problems.push(`unknown topic config ${name} (supported: ${Object.keys(TOPIC_CONFIGS).join(', ')})`);
      continue;
    }
    if (value === null) continue;
    const problem = spec.validate(value);
    if (problem) problems.push(`invalid ${name}=${value}: ${problem}`);
    else {
      configs[name] = value;
      overrides.push(name);
    }
  }
  return { configs, overrides, problems };
}

/** The configs of a topic that differ from their defaults (how a journal written without overrides reads). */
export function differingFromDefaults(configs: Readonly<TopicConfigs>): string[] {
  return Object.keys(configs).filter((name) => configs[name] !== TOPIC_CONFIGS[name]?.default);
}
