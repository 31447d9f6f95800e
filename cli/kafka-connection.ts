/**
 * How `kw topics|produce|consume|groups` reach Kafka: `--bootstrap HOST:PORT[,...]` (default $KW_BOOTSTRAP,
 * else 127.0.0.1:9092) for the embedded broker or any plaintext cluster, or `--cluster-arn ARN` for
 * Amazon MSK (brokers from GetBootstrapBrokers, IAM auth with the signer, credentials from the AWS
 * SDK's usual chain). The same settings code the Lambda functions use builds the client.
 */
import {
  CompressionCodecs,
  CompressionTypes,
  Kafka,
  KafkaJSNotImplemented,
  logLevel,
  type Admin,
} from 'kafkajs';
import { connect } from 'node:net';
import SnappyCodec from 'kafkajs-snappy';
import { compressFrame, decompressFrame } from 'lz4-napi';
import {
  kafkajsConfig,
  resolveBootstrapServers,
  type KafkaConnectionSettings,
} from '../functions/commons/kafka-client';
import { BootstrapError, parseBootstrapServers } from '../local/runtime/kafka/bootstrap';
import { DEFAULT_BOOTSTRAP } from './arguments';
import type { CommandIO } from './command';

/** parseArgs options every Kafka command takes. */
export const CONNECTION_OPTIONS = {
  bootstrap: { type: 'string' },
  'cluster-arn': { type: 'string' },
  region: { type: 'string' },
} as const;

export const CONNECTION_HELP = `Connection:
  --bootstrap H:P[,H:P...]  brokers to start from
                      [default: $KW_BOOTSTRAP, else ${DEFAULT_BOOTSTRAP}]
  --cluster-arn ARN   an Amazon MSK cluster instead: brokers from GetBootstrapBrokers, IAM auth
                      with your AWS credentials (needs kafka-cluster:* permissions on it)
  --region R          the cluster's region  [default: from the ARN]`;

export interface ConnectionFlags {
  readonly bootstrap?: string;
  readonly 'cluster-arn'?: string;
  readonly region?: string;
}

// kafkajs' typings leave out the message its error constructors take (they pass on their arguments).
const NotImplemented = KafkaJSNotImplemented as unknown as new (message: string) => KafkaJSNotImplemented;

/**
 * A zstd batch, which kw cannot read or write. Still a KafkaJSNotImplemented (whose constructor names
 * it so), as kafkajs' own zstd stand-in throws: a consumer stops at it rather than retrying.
 */
export class ZstdUnsupportedError extends NotImplemented {}

// snappy (pure JS) and lz4 (prebuilt native) for producing and reading compressed batches; kafkajs
// itself ships gzip only. zstd has no codec here: use kcat -z zstd.
CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;
CompressionCodecs[CompressionTypes.LZ4] = () => ({
  compress: async (encoder: { buffer: Buffer }) => compressFrame(encoder.buffer),
  decompress: async (buffer: Buffer) => decompressFrame(buffer),
});
CompressionCodecs[CompressionTypes.ZSTD] = () => {
  throw new ZstdUnsupportedError('ZSTD compression not implemented');
};

/** Where the command will connect, for messages. */
function describeTarget(flags: ConnectionFlags): string {
  return flags['cluster-arn'] ?? flags.bootstrap ?? process.env.KW_BOOTSTRAP ?? DEFAULT_BOOTSTRAP;
}

/**
 * The bootstrap list when the flags name a plaintext cluster (not MSK), for the requests kw sends
 * with its own Kafka client; undefined for MSK or a list that cannot be read.
 */
export function plaintextBootstrap(flags: ConnectionFlags): string[] | undefined {
  if (flags['cluster-arn']) return undefined;
  try {
    return parseBootstrapServers(describeTarget(flags));
  } catch {
    return undefined;
  }
}

/** The kafkajs client for the flags; undefined (with the reason printed) when MSK cannot be resolved. */
async function kafkaFor(command: string, flags: ConnectionFlags, io: CommandIO): Promise<Kafka | undefined> {
  const arn = flags['cluster-arn'];
  if (arn && flags.bootstrap) {
    io.err(`kw ${command}: pass --bootstrap or --cluster-arn, not both`);
    return undefined;
  }
  const region = flags.region ?? (arn ? arn.split(':')[3] : undefined) ?? 'us-east-1';
  let settings: KafkaConnectionSettings;
  try {
    settings = arn
      ? { clientId: `kw-${command}`, auth: 'iam', region, clusterArn: arn }
      : {
          clientId: `kw-${command}`,
          auth: 'none',
          region,
          bootstrapServers: parseBootstrapServers(describeTarget(flags)),
        };
  } catch (error) {
    if (!(error instanceof BootstrapError)) throw error;
    io.err(`kw ${command}: --bootstrap: ${error.message}`);
    return undefined;
  }
  let brokers: string[];
  try {
    brokers = await resolveBootstrapServers(settings);
  } catch (error) {
    io.err(`kw ${command}: cannot get the brokers of ${arn}: ${(error as Error).message}`);
    return undefined;
  }
  if (settings.auth === 'none' && brokers.length > 2) brokers = await reachableFirst(brokers);
  return new Kafka({
    ...kafkajsConfig(settings, brokers),
    logLevel: logLevel.NOTHING,
    retry: { retries: 1, initialRetryTime: 100 },
    connectionTimeout: 3000,
  });
}

/**
 * The addresses that accept a connection, first, in their order: kafkajs tries only the first two
 * bootstrap addresses, so a list whose first brokers are stopped (a failure drill) would not be
 * reached through the others.
 */
async function reachableFirst(brokers: readonly string[]): Promise<string[]> {
  const reachable = await Promise.all(
    brokers.map(
      (address) =>
        new Promise<boolean>((resolve) => {
          const at = address.lastIndexOf(':');
          const socket = connect(Number(address.slice(at + 1)), address.slice(0, at));
          const done = (ok: boolean) => {
            socket.destroy();
            resolve(ok);
          };
          socket.setTimeout(1000, () => done(false));
          socket.once('connect', () => done(true));
          socket.once('error', () => done(false));
        }),
    ),
  );
  return [...brokers.filter((_, i) => reachable[i]), ...brokers.filter((_, i) => !reachable[i])];
}

/** The message for a broker that does not answer: where it tried, and how to start one. */
export function unreachable(command: string, flags: ConnectionFlags): string {
  return `kw ${command}: cannot reach a Kafka broker at ${describeTarget(flags)}. Start one with 'kw broker' (or 'npm start'), or pass --bootstrap HOST:PORT.`;
}

/** Why a topic of `count` partitions has no partition `partition`, for `kw <command>`; undefined if it has. */
export function noSuchPartition(
  command: string,
  topic: string,
  count: number,
  partition: number,
): string | undefined {
  if (partition < count) return undefined;
  return `kw ${command}: topic '${topic}' has ${count} partition(s) (0-${count - 1}), not ${partition}`;
}

/** Why `offset` lies outside a partition's offsets `low`-`high`; undefined when inside. */
export function offsetOutsideRange(
  partition: number,
  offset: string,
  range: { readonly low: string; readonly high: string },
): string | undefined {
  if (Number(offset) >= Number(range.low) && Number(offset) <= Number(range.high)) return undefined;
  return `offset ${offset} is outside partition ${partition}'s range ${range.low}-${range.high}`;
}

/** Runs `work` with a connected admin client; prints why and resolves undefined if none. */
export async function withAdmin<T>(
  command: string,
  flags: ConnectionFlags,
  io: CommandIO,
  work: (admin: Admin, kafka: Kafka) => Promise<T>,
): Promise<T | undefined> {
  const kafka = await kafkaFor(command, flags, io);
  if (!kafka) return undefined;
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch {
    io.err(unreachable(command, flags));
    return undefined;
  }
  try {
    return await work(admin, kafka);
  } finally {
    await admin.disconnect();
  }
}
