/**
 * A client through a leader move: while it produces acks=all records and reads them as a group member,
 * the broker leading the topic's partition is stopped (a controlled shutdown), and started again once
 * the client has had records acknowledged by the new leader. Whatever the client, the drill counts the
 * same things: records acknowledged, read by the member, lost (acknowledged, never read, or not in the
 * log), duplicated, and how long after the stop the first acknowledgement came.
 */
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { leaderOf, readLog, untilSettled, type DrillCluster } from './drill-cluster';
import { until } from './until';

/** A client running its producer and its group member, as the drill sees it. */
export interface MovingClient {
  /** Records acknowledged so far, in the order the acknowledgements arrived, each with when (Date.now()). */
  acknowledged(): readonly { readonly value: string; readonly at: number }[];
  /** Records the group member has been given so far, in order, redeliveries included. */
  read(): readonly string[];
  /**
   * Stops producing, lets what is queued be delivered, and resolves once the member has been given
   * every acknowledged record or the client gave up waiting.
   */
  finish(): Promise<void>;
}

export interface LeaderMoveFigures {
  readonly acknowledged: number;
  /** Acknowledged records the group member was given. */
  readonly read: number;
  /** Acknowledged records the member was never given. */
  readonly lost: number;
  /** Acknowledged records missing from the log (read back from offset 0 after the drill). */
  readonly lostFromLog: number;
  /** Records the member was given more than once (redelivery after a rebalance: at-least-once). */
  readonly redelivered: number;
  /** Records the log holds more than once (an idempotent producer's retries must not write any). */
  readonly duplicatedInLog: number;
  /** Records acknowledged after the leader came back that the member was given: it resumed. */
  readonly readAfterRestart: number;
  /** From the stop (its listener closed) to the first acknowledgement after it, in ms. */
  readonly firstAckAfterStopMs: number | undefined;
  /**
   * The longest wait between two acknowledgements from the last one before the stop to the restart,
   * in ms: the outage as the producer saw it (an acknowledgement the old leader sent just before it
   * stopped may arrive after the stop, and make the first figure look shorter).
   */
  readonly longestAckGapMs: number;
}

/** Records each phase waits for the client to have acknowledged before the next. */
const PER_PHASE = 20;

/**
 * Runs the drill on `client`, already producing to `topic` (one partition, replication factor 3 on
 * `cluster`) and reading it in a group, and resolves to the figures. Waits have deadlines, generous
 * for a busy machine; the figures, not the time taken, are what a test checks.
 */
export async function leaderMoveDrill(
  cluster: DrillCluster,
  topic: string,
  client: MovingClient,
): Promise<LeaderMoveFigures> {
  const acked = () => client.acknowledged().length;
  const waitForAcks = async (count: number, what: string) =>
    until(
      () => acked() >= count,
      () => `${what} (${acked()} acknowledged so far)`,
      {
        timeoutMs: 120_000,
      },
    );

  await waitForAcks(PER_PHASE, 'the first acknowledgements');
  await until(() => client.read().length > 0, 'the group member reading', { timeoutMs: 60_000 });

  const leader = await leaderOf(cluster, topic);
  const before = acked();
  await cluster.stop(leader);
  const stoppedAt = Date.now();
  await waitForAcks(before + PER_PHASE, 'acknowledgements from the new leader');
  const firstAfter = client.acknowledged().find((a) => a.at >= stoppedAt);

  await cluster.start(leader);
  await untilSettled(
    cluster,
    topic,
    (s) => s.partitions.every((p) => p.isr.length === p.replicas.length),
    'the restarted broker back in the ISR',
    90_000,
  );
  const restarted = acked();
  await waitForAcks(restarted + PER_PHASE, 'acknowledgements after the restart');
  await client.finish();

  const acknowledged = client.acknowledged().map((a) => a.value);
  const read = client.read();
  const given = new Set(read);
  const inLog = new Map<string, number>();
  for (const value of (await readLog(cluster, topic)).flat()) inLog.set(value, (inLog.get(value) ?? 0) + 1);
  return {
    acknowledged: acknowledged.length,
    read: acknowledged.filter((v) => given.has(v)).length,
    lost: acknowledged.filter((v) => !given.has(v)).length,
    lostFromLog: acknowledged.filter((v) => !inLog.has(v)).length,
    redelivered: read.length - given.size,
    duplicatedInLog: [...inLog.values()].filter((n) => n > 1).length,
    readAfterRestart: acknowledged.slice(restarted).filter((v) => given.has(v)).length,
    firstAckAfterStopMs: firstAfter && firstAfter.at - stoppedAt,
    longestAckGapMs: Math.max(
      ...client
        .acknowledged()
        .slice(Math.max(0, before - 1), restarted)
        .map((a, i, all) => (i === 0 ? 0 : a.at - all[i - 1].at)),
    ),
  };
}

/** The figures as one line, for a test's output. */
export function figuresLine(client: string, f: LeaderMoveFigures): string {
  return (
    `leader move, ${client}: ${f.acknowledged} acknowledged, ${f.read} read, ${f.lost} lost ` +
    `(${f.lostFromLog} missing from the log), ${f.duplicatedInLog} duplicated in the log, ` +
    `${f.redelivered} redelivered to the group member, first produce acknowledged ` +
    `${f.firstAckAfterStopMs ?? '(none)'} ms after the leader stopped (longest wait between two ` +
    `acknowledgements ${f.longestAckGapMs} ms)`
  );
}

/** Creates `topic` with one partition, replication factor 3 and min.insync.replicas=2. */
export async function createMovingTopic(cluster: DrillCluster, topic: string): Promise<void> {
  const admin = new Kafka({
    clientId: 'leader-move',
    brokers: cluster.bootstrapServers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 1,
          replicationFactor: 3,
          configEntries: [{ name: 'min.insync.replicas', value: '2' }],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
  await untilSettled(
    cluster,
    topic,
    (s) => s.partitions.length === 1 && s.partitions[0].isr.length === 3,
    `${topic} led, with three in-sync replicas`,
  );
}

/**
 * Resolves once the kafkajs `consumer` has started a fetch from each of `nodeIds` since the call (or
 * after 30 s). kafkajs 2.2.4 rebuilds its fetchers when the brokers listed in Metadata change, as when
 * a stopped broker returns; a disconnect() that lands while they are rebuilt never resolves and keeps
 * a core busy (the rebuilt fetchers find the consumer stopped and fetch again at once, forever:
 * consumer/fetchManager.js, runner.js). A test calls this before disconnecting after a restart.
 */
export async function untilFetchingFromEvery(consumer: Consumer, nodeIds: readonly number[]): Promise<void> {
  const fetched = new Set<number>();
  const off = consumer.on(consumer.events.FETCH_START, (e: { payload: { nodeId: number } }) =>
    fetched.add(Number(e.payload.nodeId)),
  );
  try {
    await until(() => nodeIds.every((n) => fetched.has(n)), 'fetches from every broker', {
      timeoutMs: 30_000,
    }).catch(() => undefined);
  } finally {
    off();
  }
}
