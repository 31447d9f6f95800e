/**
 * The one typed configuration every stack is built from.
 *
 * Values come from CDK context (`cdk.json` or `-c key=value`); `-c` values arrive as strings, so each
 * field is parsed and validated here, and every problem is reported at once with the bad value and the
 * allowed ones.
 */

/** Where Kafka runs. */
export const CLUSTER_KINDS = ['serverless', 'provisioned', 'self-managed'] as const;
export type ClusterKind = (typeof CLUSTER_KINDS)[number];

/** How Lambda polls Kafka: on-demand (default) or provisioned pollers, which unlock retries and DLQs. */
export const ESM_MODES = ['on-demand', 'provisioned'] as const;
export type EsmMode = (typeof ESM_MODES)[number];

/** Retry and failure handling, only available with provisioned pollers. */
export interface ProvisionedModeConfig {
  /** Retries after the first attempt before records go to the on-failure destination. */
  readonly retryAttempts: number;
  /** Split a failing batch in two and retry each half. */
  readonly bisectBatchOnError: boolean;
  /** Records older than this go to the on-failure destination; -1 keeps them until they expire. */
  readonly maxRecordAgeSeconds: number;
  /** Pollers kept warm. */
  readonly minimumPollers: number;
  /** Pollers the mapping may scale up to. */
  readonly maximumPollers: number;
}

export interface WorkshopConfig {
  /** Short name that keeps several deployments apart in one account (stack names, cluster name). */
  readonly stage: string;
  /** Who to ask before deleting this deployment; tagged on every stack. */
  readonly owner: string;
  /** Hours after synth at which teardown tooling may delete the stacks. */
  readonly ttlHours: number;
  /** ISO-8601 instant derived from ttlHours, tagged `expires-at`. */
  readonly expiresAt: string;
  /** Each stack deletes itself once `expiresAt` has passed (a scheduled function per stack). */
  readonly selfDestruct: boolean;
  readonly cluster: ClusterKind;
  /** Broker addresses, only for `cluster=self-managed`. */
  readonly bootstrapServers: readonly string[];
  /** Kafka version of a provisioned cluster (`.kraft` suffix selects KRaft metadata mode). */
  readonly kafkaVersion: string;
  /** Partitions of each pipeline topic. */
  readonly topicPartitions: number;
  readonly esmMode: EsmMode;
  /** Records per invocation, 1–10,000. */
  readonly batchSize: number;
  /** Seconds a mapping may wait to fill a batch, 0–300. */
  readonly batchWindowSeconds: number;
  /** Present only when `esmMode=provisioned`. */
  readonly provisioned?: ProvisionedModeConfig;
}

/** Reads one context value; `undefined` when unset. */
export type ContextReader = (key: string) => unknown;

/** A configuration error: the message names each bad value and what is allowed. */
export class ConfigError extends Error {
  public override readonly name = 'ConfigError';
  constructor(public readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** Keys that only apply to provisioned pollers (`esmMode=provisioned`). */
const PROVISIONED_ONLY_KEYS = [
  'retryAttempts',
  'bisectBatchOnError',
  'maxRecordAgeSeconds',
  'minimumPollers',
  'maximumPollers',
] as const;

/** Context keys this app understands; any other `-c` key would be silently ignored by CDK. */
export const CONFIG_KEYS = [
  'stage',
  'owner',
  'ttlHours',
  'selfDestruct',
  'cluster',
  'bootstrapServers',
  'kafkaVersion',
  'topicPartitions',
  'esmMode',
  'batchSize',
  'batchWindowSeconds',
  ...PROVISIONED_ONLY_KEYS,
] as const;

const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$/;

/**
 * Builds the validated configuration; throws {@link ConfigError} listing every problem.
 * @param contextKeys every key in the context, when known, so a misspelt `-c` key is reported
 *   instead of silently ignored (CDK's own keys contain ':' or start with '@').
 */
export function readConfig(
  context: ContextReader,
  now: Date = new Date(),
  contextKeys: readonly string[] = [],
): WorkshopConfig {
  const problems: string[] = [];
  for (const key of contextKeys) {
    if (!key.includes(':') && !key.startsWith('@') && !(CONFIG_KEYS as readonly string[]).includes(key)) {
      problems.push(`unknown context key "${key}": expected one of ${CONFIG_KEYS.join(', ')}`);
    }
  }
  const read = new ContextFields(context, problems);

  const stage = read.string(
    'stage',
    'dev',
    /^[a-z][a-z0-9-]{0,15}$/,
    'lower-case letters, digits and -, 1-16 chars',
  );
  const owner = read.string('owner', 'workshop', /^[\w.@+=:/-]{1,128}$/, 'a tag-safe name of 1-128 chars');
  const ttlHours = read.integer('ttlHours', 8, 1, 24 * 30);
  const selfDestruct = read.boolean('selfDestruct', false);
  const cluster = read.choice('cluster', CLUSTER_KINDS, 'serverless');
  const esmMode = read.choice('esmMode', ESM_MODES, 'on-demand');
  const kafkaVersion = read.string(
    'kafkaVersion',
    '3.9.x.kraft',
    /^\d+\.\d+\.[\dx]+(\.kraft)?$/,
    'an MSK version such as 3.9.x.kraft',
  );
  const [major, minor] = kafkaVersion.split('.').map(Number);
  if (cluster === 'provisioned' && (major < 3 || (major === 3 && minor < 6))) {
    problems.push(
      `kafkaVersion "${kafkaVersion}" is too old: AWS::MSK::Topic needs Kafka 3.6 or newer on MSK`,
    );
  }
  const topicPartitions = read.integer('topicPartitions', 3, 1, 1000);
  const batchSize = read.integer('batchSize', 100, 1, 10_000);
  const batchWindowSeconds = read.integer('batchWindowSeconds', 1, 0, 300);

  const servers = read.raw('bootstrapServers');
  let bootstrapServers: string[] = [];
  if (cluster === 'self-managed') {
    if (servers === undefined) {
      problems.push(
        'cluster=self-managed requires bootstrapServers (e.g. -c bootstrapServers=127.0.0.1:9092)',
      );
    } else {
      bootstrapServers = String(servers)
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      const bad = bootstrapServers.filter((s) => !HOST_PORT.test(s));
      if (bootstrapServers.length === 0 || bad.length > 0) {
        problems.push(
          `invalid bootstrapServers "${String(servers)}": expected a comma-separated list of host:port`,
        );
      }
    }
  } else if (servers !== undefined) {
    problems.push(`bootstrapServers is only used with cluster=self-managed (cluster is "${cluster}")`);
  }

  let provisioned: ProvisionedModeConfig | undefined;
  if (esmMode === 'provisioned') {
    const retryAttempts = read.integer('retryAttempts', 2, -1, 10_000);
    const maxRecordAgeSeconds = read.integer('maxRecordAgeSeconds', -1, -1, 604_800);
    if (maxRecordAgeSeconds !== -1 && maxRecordAgeSeconds < 60) {
      problems.push(`invalid maxRecordAgeSeconds "${maxRecordAgeSeconds}": expected -1 or 60-604800`);
    }
    const minimumPollers = read.integer('minimumPollers', 1, 1, 200);
    const maximumPollers = read.integer('maximumPollers', 2, 1, 2000);
    if (minimumPollers > maximumPollers) {
      problems.push(`minimumPollers (${minimumPollers}) must not exceed maximumPollers (${maximumPollers})`);
    }
    provisioned = {
      retryAttempts,
      bisectBatchOnError: read.boolean('bisectBatchOnError', true),
      maxRecordAgeSeconds,
      minimumPollers,
      maximumPollers,
    };
  } else {
    for (const key of PROVISIONED_ONLY_KEYS) {
      if (read.raw(key) !== undefined) {
        problems.push(
          `${key} needs esmMode=provisioned: on-demand mappings retry a failing batch until it succeeds ` +
            `and have no retry, bisect or poller settings (add -c esmMode=provisioned or remove ${key})`,
        );
      }
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    stage,
    owner,
    ttlHours,
    expiresAt: new Date(now.getTime() + ttlHours * 3_600_000).toISOString(),
    selfDestruct,
    cluster,
    bootstrapServers,
    kafkaVersion,
    topicPartitions,
    esmMode,
    batchSize,
    batchWindowSeconds,
    provisioned,
  };
}

/** Parses context values of each kind, recording problems instead of throwing at the first. */
class ContextFields {
  constructor(
    private readonly context: ContextReader,
    private readonly problems: string[],
  ) {}

  raw(key: string): unknown {
    const value = this.context(key);
    return value === undefined || value === null || value === '' ? undefined : value;
  }

  string(key: string, fallback: string, pattern: RegExp, expected: string): string {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    const text = String(value);
    if (!pattern.test(text)) this.problems.push(`invalid ${key} "${text}": expected ${expected}`);
    return text;
  }

  choice<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    if (!allowed.includes(value as T)) {
      this.problems.push(`invalid ${key} "${String(value)}": expected one of ${allowed.join(', ')}`);
      return fallback;
    }
    return value as T;
  }

  integer(key: string, fallback: number, min: number, max: number): number {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    const n = typeof value === 'number' ? value : /^-?\d+$/.test(String(value)) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`invalid ${key} "${String(value)}": expected an integer from ${min} to ${max}`);
      return fallback;
    }
    return n;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    this.problems.push(`invalid ${key} "${String(value)}": expected true or false`);
    return fallback;
  }
}
