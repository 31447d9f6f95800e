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
import { ClusterView, type Connections } from '../local/runtime/kafka/cluster-view';
import { KafkaResponseError, WireClient, type SaslOauthBearer } from '../local/runtime/kafka/wire-client';

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
  const connections: Connections = {
    open: (address) => WireClient.open(address, CLIENT_ID, TIMEOUT_MS, target.sasl),
    release: (client) => client?.close(),
  };
  // The runtime's view of the cluster finds the coordinator: the first bootstrap broker that answers.
  const cluster = new ClusterView(target.servers, connections);
  try {
    await whileCoordinatorNotReady(
      () => commitOnce(cluster, connections, group, topic, offsets),
      (error) => error instanceof CoordinatorNotReady,
    );
  } catch (error) {
    if (!(error instanceof CoordinatorNotReady)) throw error;
    throw new GroupCommitError(
      errorName(error.code),
      `no coordinator for group '${group}' answered within ${RETRY_FOR_MS / 1000} s: ${errorName(error.code)}`,
    );
  } finally {
    cluster.close();
  }
}

/**
 * Calls `call` again while it fails because the group's coordinator is not ready (`notReady`), backing
 * off from 100 ms to 1 s, for up to RETRY_FOR_MS; after that, its last error is thrown. `call` is to look
 * the coordinator up afresh each time.
 */
export async function whileCoordinatorNotReady<T>(
  call: () => Promise<T>,
  notReady: (error: unknown) => boolean,
): Promise<T> {
  const deadline = Date.now() + RETRY_FOR_MS;
  for (let backoff = 100; ; backoff = Math.min(backoff * 2, 1000)) {
    try {
      return await call();
    } catch (error) {
      if (!notReady(error) || Date.now() + backoff > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, backoff));
    }
  }
}

async function commitOnce(
  cluster: ClusterView,
  connections: Connections,
  group: string,
  topic: string,
  offsets: readonly { partition: number; offset: string }[],
): Promise<void> {
  let coordinatorAddress: string;
  try {
    coordinatorAddress = (await cluster.coordinator(group)).address;
  } catch (error) {
    if (!(error instanceof KafkaResponseError)) throw error;
    if (COORDINATOR_RETRIABLE.has(error.code)) throw new CoordinatorNotReady(error.code);
    throw new GroupCommitError(
      errorName(error.code),
      `no coordinator for group '${group}': ${errorName(error.code)}`,
    );
  }

  const coordinator = await connections.open(coordinatorAddress);
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
