/**
 * Committing a consumer group's offsets as an admin tool does: one OffsetCommit to the group's
 * coordinator with no member id and generation -1, which Kafka accepts for a group without members
 * (and which makes the group when there is none). Kafka's own `kafka-consumer-groups --reset-offsets`
 * commits this way.
 *
 * kafkajs has no such call: its `admin.setOffsets` joins the group with a consumer, seeks and fetches,
 * which waits out the broker's `group.initial.rebalance.delay.ms` (3 s by default, on MSK too): about
 * 5 s for every `kw groups reset-offsets`. kw's own client speaks plain TCP, so this path serves
 * plaintext clusters and the local IAM listener; MSK (`--cluster-arn`, TLS) keeps kafkajs' way.
 */
import { ErrorCode, errorName } from '../local/kafka/errors';
import { OffsetCommitSchema } from '../local/kafka/messages/08-offset-commit';
import { FindCoordinatorSchema } from '../local/kafka/messages/10-find-coordinator';
import { KafkaConnectionError, WireClient, type SaslOauthBearer } from '../local/runtime/kafka/wire-client';

/** Where kw's own client connects: brokers to start from, and the IAM token when the listener wants one. */
export interface OwnClientTarget {
  readonly servers: readonly string[];
  readonly sasl?: SaslOauthBearer;
}

/**
 * A partition's refusal of the commit, typed by Kafka's error name as kafkajs types its errors, so a
 * refusal (GROUP_AUTHORIZATION_FAILED, TOPIC_AUTHORIZATION_FAILED) is reported like any other.
 */
export class GroupCommitError extends Error {
  public override readonly name = 'GroupCommitError';

  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 5000;
const CLIENT_ID = 'kw-groups';

/** Opens a connection to the first of `servers` that answers. */
async function openAny(target: OwnClientTarget): Promise<WireClient> {
  let last: unknown;
  for (const address of target.servers) {
    try {
      return await WireClient.open(address, CLIENT_ID, TIMEOUT_MS, target.sasl);
    } catch (error) {
      if (!(error instanceof KafkaConnectionError)) throw error;
      last = error;
    }
  }
  throw last ?? new KafkaConnectionError('no broker to connect to');
}

/** Errors that say the coordinator is not ready yet or moved: ask again (Kafka's clients do). */
const COORDINATOR_RETRIABLE: ReadonlySet<number> = new Set([
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
]);
/** How long to keep asking: a new cluster makes __consumer_offsets on the first FindCoordinator. */
const RETRY_FOR_MS = 15_000;

class CoordinatorNotReady extends Error {
  constructor(readonly code: number) {
    super(errorName(code));
  }
}

/** Commits `offsets` of `topic` for `group` (which must have no running members). */
export async function commitGroupOffsets(
  target: OwnClientTarget,
  group: string,
  topic: string,
  offsets: readonly { partition: number; offset: string }[],
): Promise<void> {
  const deadline = Date.now() + RETRY_FOR_MS;
  for (let backoff = 100; ; backoff = Math.min(backoff * 2, 1000)) {
    try {
      await commitOnce(target, group, topic, offsets);
      return;
    } catch (error) {
      if (!(error instanceof CoordinatorNotReady)) throw error;
      if (Date.now() + backoff > deadline) {
        throw new GroupCommitError(
          errorName(error.code),
          `no coordinator for group '${group}' answered within ${RETRY_FOR_MS / 1000} s: ${errorName(error.code)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, backoff));
    }
  }
}

async function commitOnce(
  target: OwnClientTarget,
  group: string,
  topic: string,
  offsets: readonly { partition: number; offset: string }[],
): Promise<void> {
  let coordinatorAddress: string;
  const bootstrap = await openAny(target);
  try {
    const found = await bootstrap.request(FindCoordinatorSchema, 2, { Key: group, KeyType: 0 }, TIMEOUT_MS);
    if (COORDINATOR_RETRIABLE.has(found.ErrorCode)) throw new CoordinatorNotReady(found.ErrorCode);
    if (found.ErrorCode !== ErrorCode.NONE) {
      throw new GroupCommitError(
        errorName(found.ErrorCode),
        `no coordinator for group '${group}': ${errorName(found.ErrorCode)}`,
      );
    }
    coordinatorAddress = `${found.Host.includes(':') ? `[${found.Host}]` : found.Host}:${found.Port}`;
  } finally {
    bootstrap.close();
  }

  const coordinator = await WireClient.open(coordinatorAddress, CLIENT_ID, TIMEOUT_MS, target.sasl);
  try {
    const answer = await coordinator.request(
      OffsetCommitSchema,
      7,
      {
        GroupId: group,
        GenerationIdOrMemberEpoch: -1,
        MemberId: '',
        GroupInstanceId: null,
        Topics: [
          {
            Name: topic,
            Partitions: offsets.map((o) => ({
              PartitionIndex: o.partition,
              CommittedOffset: BigInt(o.offset),
              CommittedLeaderEpoch: -1,
              CommittedMetadata: null,
            })),
          },
        ],
      },
      TIMEOUT_MS,
    );
    for (const t of answer.Topics) {
      for (const p of t.Partitions) {
        if (p.ErrorCode === ErrorCode.NONE) continue;
        if (COORDINATOR_RETRIABLE.has(p.ErrorCode)) throw new CoordinatorNotReady(p.ErrorCode);
        const type = errorName(p.ErrorCode);
        const members =
          p.ErrorCode === ErrorCode.UNKNOWN_MEMBER_ID || p.ErrorCode === ErrorCode.ILLEGAL_GENERATION;
        throw new GroupCommitError(
          type,
          members
            ? `group '${group}' has running members again; stop them first`
            : `committing ${t.Name}-${p.PartitionIndex} for group '${group}': ${type}`,
        );
      }
    }
  } finally {
    coordinator.close();
  }
}
