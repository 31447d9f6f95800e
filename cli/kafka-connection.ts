/**
 * How `kw topics|produce|consume|groups` reach Kafka: `--bootstrap HOST:PORT[,...]` (default $KW_BOOTSTRAP,
 * else 127.0.0.1:9092) for the embedded broker or any plaintext cluster, `--cluster-arn ARN` for
 * Amazon MSK (brokers from GetBootstrapBrokers, IAM auth with the signer, credentials from the AWS
 * SDK's usual chain), or `--as-role NAME` for the running `kw up`'s IAM listener, signed with
 * one of the app's roles (role-connection.ts). The same settings code the Lambda functions use builds
 * the client for the first two.
 *
 * A refusal (an authorization or sign-in failure) ends the command with one line naming the resource,
 * the actions MSK checks and the ARN: kafkajs does not retry these, and its own message names none.
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
import { DEFAULT_BOOTSTRAP, UsageError } from './arguments';
import type { CommandIO } from './command';
import {
  commandOf,
  connectionFlagProblem,
  groupLookupRefusal,
  hidesGroupRefusal,
  mskIamSasl,
  omittedNote,
  readRoleKeys,
  refusalLine,
  refusalType,
  RoleConnectionError,
  roleSasl,
  roleTarget,
  type Access,
} from './role-connection';
import type { OwnClientTarget } from './group-offsets';
import { readRunFile } from './run-file';

export type { Access } from './role-connection';

/** parseArgs options every Kafka command takes. */
export const CONNECTION_OPTIONS = {
  bootstrap: { type: 'string' },
  'cluster-arn': { type: 'string' },
  region: { type: 'string' },
  'as-role': { type: 'string' },
  credentials: { type: 'string' },
} as const;

export const CONNECTION_HELP = `Connection:
  --bootstrap H:P[,H:P...]  brokers to start from
                      [default: $KW_BOOTSTRAP, else ${DEFAULT_BOOTSTRAP}]
  --cluster-arn ARN   an Amazon MSK cluster instead: brokers from GetBootstrapBrokers, IAM auth
                      with your AWS credentials (needs kafka-cluster:* permissions on it)
  --region R          the cluster's region  [default: from the ARN]
  --as-role NAME      act as one of the app's roles on the running 'kw up': MSK IAM auth on
                      its IAM listener, signed with profile NAME of its credentials file (ingest,
                      enrich, ...; an unknown NAME lists them). A request the role's policies do
                      not allow fails as on AWS, naming the actions and the ARN; listings leave
                      out what the role may not describe. Not with --cluster-arn
                      [bootstrap default: the run's IAM listeners, not $KW_BOOTSTRAP]
  --credentials FILE  the credentials file --as-role reads  [default: the running kw up's]
  Example: kw produce orders --as-role enrich < order.json
           (refused: enrich may write orders.enriched and orders.dlq, not orders)`;

export interface ConnectionFlags {
  readonly bootstrap?: string;
  readonly 'cluster-arn'?: string;
  readonly region?: string;
  readonly 'as-role'?: string;
  readonly credentials?: string;
}

/** Throws a UsageError for connection flags that do not go together (--as-role with --cluster-arn). */
export function checkConnectionFlags(flags: ConnectionFlags): void {
  const problem = connectionFlagProblem(flags);
  if (problem) throw new UsageError(problem);
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
  if (flags['as-role'] !== undefined)
    return flags.bootstrap ?? readRunFile()?.iam?.bootstrapServers ?? 'no IAM listener';
  return flags['cluster-arn'] ?? flags.bootstrap ?? process.env.KW_BOOTSTRAP ?? DEFAULT_BOOTSTRAP;
}

/**
 * The bootstrap list when the flags name a plaintext cluster (not MSK), for the requests kw sends
 * with its own Kafka client; undefined for MSK or a list that cannot be read.
 */
export function plaintextBootstrap(flags: ConnectionFlags): string[] | undefined {
  if (flags['cluster-arn'] || flags['as-role'] !== undefined) return undefined;
  try {
    return parseBootstrapServers(describeTarget(flags));
  } catch {
    return undefined;
  }
}

/**
 * Where kw's own Kafka client connects for the flags: a plaintext cluster, or the running kw up's IAM
 * listener signed as the role; undefined for MSK (`--cluster-arn`: TLS, which kw's client lacks) or
 * flags it cannot resolve (kafkajs then reports why).
 */
export function ownClientTarget(flags: ConnectionFlags): OwnClientTarget | undefined {
  if (flags['as-role'] === undefined) {
    const servers = plaintextBootstrap(flags);
    return servers ? { servers } : undefined;
  }
  try {
    const target = roleTarget(flags, readRunFile());
    return { servers: target.bootstrapServers, sasl: roleSasl(readRoleKeys(target), target.region) };
  } catch (error) {
    if (error instanceof RoleConnectionError) return undefined;
    throw error;
  }
}

/** kafkajs settings every kw command uses: quiet, and quick to give up on a broker that is not there. */
const COMMAND_CLIENT = {
  logLevel: logLevel.NOTHING,
  retry: { retries: 1, initialRetryTime: 100 },
  connectionTimeout: 3000,
} as const;

/** The kafkajs client for `--as-role`: the role's keys sign an MSK IAM token; the local IAM listener is plain TCP. */
function roleKafka(command: string, flags: ConnectionFlags, io: CommandIO): Kafka | undefined {
  try {
    const target = roleTarget(flags, readRunFile());
    const keys = readRoleKeys(target);
    return new Kafka({
      clientId: `kw-${command}`,
      brokers: [...target.bootstrapServers],
      sasl: mskIamSasl(keys, target.region),
      ...COMMAND_CLIENT,
    });
  } catch (error) {
    if (!(error instanceof RoleConnectionError)) throw error;
    io.err(`kw ${command}: ${error.message}`);
    return undefined;
  }
}

/** The kafkajs client for the flags; undefined (with the reason printed) when MSK cannot be resolved. */
async function kafkaFor(command: string, flags: ConnectionFlags, io: CommandIO): Promise<Kafka | undefined> {
  const problem = connectionFlagProblem(flags);
  if (problem) {
    io.err(`kw ${command}: ${problem}`);
    return undefined;
  }
  if (flags['as-role'] !== undefined) return roleKafka(command, flags, io);
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
  return new Kafka({ ...kafkajsConfig(settings, brokers), ...COMMAND_CLIENT });
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
  if (flags['as-role'] !== undefined)
    return `kw ${command}: cannot reach the IAM listener at ${describeTarget(flags)}. Start 'npm start' (IAM is on unless --no-iam), or pass --bootstrap HOST:PORT of an IAM listener.`;
  return `kw ${command}: cannot reach a Kafka broker at ${describeTarget(flags)}. Start one with 'kw broker' (or 'npm start'), or pass --bootstrap HOST:PORT.`;
}

/**
 * The line for an error that is the cluster refusing the client (its sign-in, or an action on a
 * resource); undefined for any other error. `access` says what the command was doing, for the actions
 * and the ARN the line names.
 */
export async function refusal(
  command: string,
  flags: ConnectionFlags,
  error: unknown,
  access?: Access,
): Promise<string | undefined> {
  const role = flags['as-role'];
  const run = role === undefined ? undefined : readRunFile();
  let type = refusalType(error);
  if (!type && role !== undefined && access?.group !== undefined && hidesGroupRefusal(error)) {
    try {
      const target = roleTarget(flags, run);
      type = await groupLookupRefusal(target, readRoleKeys(target), access.group);
    } catch (lookup) {
      if (!(lookup instanceof RoleConnectionError)) throw lookup;
    }
  }
  if (!type) return undefined;
  return refusalLine(
    type,
    {
      command,
      ...(role === undefined ? {} : { role }),
      clusterArn: flags['cluster-arn'] ?? run?.iam?.clusterArn,
      credentialsFile: flags.credentials ?? run?.iam?.credentialsFile,
    },
    access,
  );
}

/**
 * Whether the error is, or may hide, the cluster refusing the client: a command's own error handling
 * throws such an error on, for withAdmin to report (see `refusal`).
 */
export function isRefusal(error: unknown): boolean {
  return refusalType(error) !== undefined || hidesGroupRefusal(error);
}

/** With --as-role, says on stderr that a listing leaves out what the role may not describe. */
export function noteOmissions(flags: ConnectionFlags, kind: 'topics' | 'groups', io: CommandIO): void {
  if (flags['as-role'] !== undefined) io.err(omittedNote(flags['as-role'], kind));
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

/**
 * Runs `work` with a connected admin client for `kw <command>`, where `access` names the command's
 * operation and the topic and group it acts on. Prints why and resolves undefined when there is no
 * client, or when the cluster refused it (its sign-in, or an action `work` asked for).
 */
export async function withAdmin<T>(
  access: Access,
  flags: ConnectionFlags,
  io: CommandIO,
  work: (admin: Admin, kafka: Kafka) => Promise<T>,
): Promise<T | undefined> {
  const command = commandOf(access.operation);
  const kafka = await kafkaFor(command, flags, io);
  if (!kafka) return undefined;
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    io.err((await refusal(command, flags, error, access)) ?? unreachable(command, flags));
    return undefined;
  }
  try {
    return await work(admin, kafka);
  } catch (error) {
    const refused = await refusal(command, flags, error, access);
    if (refused === undefined) throw error;
    io.err(refused);
    return undefined;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Whether `topic` exists. A client that is authorized per topic (IAM) does not see, in the list of
 * all topics, those it may not describe (Kafka's Metadata leaves them out): such a topic is asked for
 * by name, whose answer is TOPIC_AUTHORIZATION_FAILED (thrown) rather than "no such topic".
 */
export async function topicExists(admin: Admin, flags: ConnectionFlags, topic: string): Promise<boolean> {
  if ((await admin.listTopics()).includes(topic)) return true;
  if (flags['as-role'] === undefined && flags['cluster-arn'] === undefined) return false;
  try {
    await admin.fetchTopicMetadata({ topics: [topic] });
    return true;
  } catch (error) {
    if (refusalType(error) !== undefined) throw error;
    return false;
  }
}
