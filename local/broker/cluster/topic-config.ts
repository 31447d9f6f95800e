/**
 * Topic-level configs the broker understands, with Kafka's defaults and validation. Unknown names
 * are refused (INVALID_CONFIG) rather than silently ignored.
 */

export interface ConfigSpec {
  readonly default: string;
  /** Returns a problem with the value, or undefined when it is valid. */
  readonly validate: (value: string) => string | undefined;
}

const long = (min: number) => (v: string) =>
  /^-?\d+$/.test(v) && Number(v) >= min ? undefined : `expected an integer ≥ ${min}`;
const oneOf =
  (...allowed: string[]) =>
  (v: string) =>
    allowed.includes(v) ? undefined : `expected one of ${allowed.join(', ')}`;

export const TOPIC_CONFIGS: Record<string, ConfigSpec> = {
  'retention.ms': { default: '604800000', validate: long(-1) },
  'retention.bytes': { default: '-1', validate: long(-1) },
  'message.timestamp.type': { default: 'CreateTime', validate: oneOf('CreateTime', 'LogAppendTime') },
  'max.message.bytes': { default: '1048588', validate: long(0) },
  // Accepted so topics declared for real Kafka work here; compaction itself is not performed (SKIPPED.md).
  'cleanup.policy': {
    default: 'delete',
    validate: oneOf('delete', 'compact', 'compact,delete', 'delete,compact'),
  },
  'segment.bytes': { default: '1073741824', validate: long(14) },
  'min.insync.replicas': { default: '1', validate: long(1) },
};

export type TopicConfigs = Record<string, string>;

/** Validates the given configs and fills in defaults; returns problems by name. */
export function resolveTopicConfigs(given: Record<string, string | null>): {
  configs: TopicConfigs;
  problems: string[];
} {
  const configs: TopicConfigs = {};
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
    else configs[name] = value;
  }
  return { configs, problems };
}
