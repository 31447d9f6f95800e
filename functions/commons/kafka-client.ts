/**
 * The one place functions get a Kafka connection from.
 *
 * Connection settings come from the environment the CDK app (or the local runtime) sets:
 * - `KAFKA_BOOTSTRAP_SERVERS`: comma-separated host:port list, used as is;
 * - otherwise `KAFKA_CLUSTER_ARN`: brokers looked up once per container with GetBootstrapBrokers;
 * - `KAFKA_AUTH`: `iam` (MSK IAM over TLS, tokens from aws-msk-iam-sasl-signer-js) or `none` (plain TCP,
 *   for the embedded broker and self-managed Kafka);
 * - `KAFKA_TLS`: `false` turns TLS off for `iam`, for the embedded broker's IAM listener (plain TCP,
 *   which `kw up --iam` sets); MSK's IAM listener always needs TLS, so the default is on.
 *
 * The MSK client and the IAM signer are imported where they are first used, not at the top: each
 * brings the AWS SDK's core (HTTP handlers, credential chain, STS), which a function would otherwise
 * evaluate at every cold start even where the settings never use it (bootstrap servers, `none` auth).
 * esbuild keeps them in the bundle; only their evaluation waits for the first call. They are loaded
 * with `require` rather than `await import()`: the functions compile to CommonJS, and jest refuses a
 * dynamic import without --experimental-vm-modules.
 */
import type { KafkaClient } from '@aws-sdk/client-kafka';
import { Kafka, logLevel, type Admin, type KafkaConfig, type Producer } from 'kafkajs';

type MskClientModule = typeof import('@aws-sdk/client-kafka');
type IamSignerModule = typeof import('aws-msk-iam-sasl-signer-js');

export type KafkaAuth = 'iam' | 'none';

/** Where and how to connect, as read from the environment. */
export interface KafkaConnectionSettings {
  readonly clientId: string;
  readonly auth: KafkaAuth;
  /** TLS with IAM auth; off only where KAFKA_TLS=false says the listener is plain TCP. @default true */
  readonly tls?: boolean;
  readonly region: string;
  readonly bootstrapServers?: readonly string[];
  readonly clusterArn?: string;
}

/** Raised when the environment does not say how to reach Kafka. */
export class KafkaSettingsError extends Error {
  public override readonly name = 'KafkaSettingsError';
}

/** Parses the connection settings from environment variables. */
export function kafkaSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaConnectionSettings {
  const auth = (env.KAFKA_AUTH ?? 'none') as KafkaAuth;
  if (auth !== 'iam' && auth !== 'none') {
    throw new KafkaSettingsError(`invalid KAFKA_AUTH "${String(env.KAFKA_AUTH)}": expected iam or none`);
  }
  const servers = (env.KAFKA_BOOTSTRAP_SERVERS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const clusterArn = env.KAFKA_CLUSTER_ARN || undefined;
  if (servers.length === 0 && !clusterArn) {
    throw new KafkaSettingsError(
      'set KAFKA_BOOTSTRAP_SERVERS (host:port,...) or KAFKA_CLUSTER_ARN to reach Kafka',
    );
  }
  const tls = env.KAFKA_TLS ?? 'true';
  if (tls !== 'true' && tls !== 'false') {
    throw new KafkaSettingsError(`invalid KAFKA_TLS "${tls}": expected true or false`);
  }
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  return {
    clientId: env.AWS_LAMBDA_FUNCTION_NAME ?? 'serverless-kafka-workshop',
    auth,
    tls: tls === 'true',
    region,
    bootstrapServers: servers.length > 0 ? servers : undefined,
    clusterArn,
  };
}

/** Resolves broker addresses: the configured list, or MSK's IAM listener string for the cluster. */
export async function resolveBootstrapServers(
  settings: KafkaConnectionSettings,
  msk?: Pick<KafkaClient, 'send'>,
): Promise<string[]> {
  if (settings.bootstrapServers) return [...settings.bootstrapServers];
  // Loaded only when needed: with bootstrap servers the SDK is neither evaluated nor a client created.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { GetBootstrapBrokersCommand, KafkaClient } = require('@aws-sdk/client-kafka') as MskClientModule;
  msk ??= new KafkaClient({ region: settings.region });
  const out = await msk.send(new GetBootstrapBrokersCommand({ ClusterArn: settings.clusterArn }));
  const brokers =
    settings.auth === 'iam'
      ? (out.BootstrapBrokerStringSaslIam ?? out.BootstrapBrokerStringPublicSaslIam)
      : (out.BootstrapBrokerString ?? out.BootstrapBrokerStringTls);
  if (!brokers) {
    throw new KafkaSettingsError(
      `cluster ${settings.clusterArn} returned no ${settings.auth === 'iam' ? 'IAM' : 'plaintext'} bootstrap brokers`,
    );
  }
  return brokers.split(',');
}

/** Builds the kafkajs configuration for the settings and resolved brokers. */
export function kafkajsConfig(settings: KafkaConnectionSettings, brokers: string[]): KafkaConfig {
  const base: KafkaConfig = {
    clientId: settings.clientId,
    brokers,
    logLevel: logLevel.WARN,
    connectionTimeout: 5_000,
    retry: { retries: 5 },
  };
  if (settings.auth === 'none') return base;
  return {
    ...base,
    ...(settings.tls === false ? {} : { ssl: true }),
    sasl: {
      mechanism: 'oauthbearer',
      // MSK IAM auth: a SigV4-presigned token from the function's own role credentials. The signer
      // (and the credential chain it brings) is loaded on the first token, only where auth is iam.
      oauthBearerProvider: async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { generateAuthToken } = require('aws-msk-iam-sasl-signer-js') as IamSignerModule;
        return { value: (await generateAuthToken({ region: settings.region })).token };
      },
    },
  };
}

/**
 * Returns a function that runs `create` once and hands every caller the same promise, so a Lambda
 * container connects once; a failure is forgotten, so the next invocation tries again.
 */
function cachedUntilFailure<T>(create: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= create().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/** The container's Kafka client, configured from the environment. */
export const getKafka = cachedUntilFailure(async () => {
  const settings = kafkaSettingsFromEnv();
  return new Kafka(kafkajsConfig(settings, await resolveBootstrapServers(settings)));
});

/** The container's connected producer. */
export const getProducer = cachedUntilFailure(async (): Promise<Producer> => {
  const producer = (await getKafka()).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
});

/** The container's connected admin client. */
export const getAdmin = cachedUntilFailure(async (): Promise<Admin> => {
  const admin = (await getKafka()).admin();
  await admin.connect();
  return admin;
});
