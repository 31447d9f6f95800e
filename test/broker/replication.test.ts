/**
 * Replication in the embedded broker, request by request (the drills against Apache Kafka are in
 * test/conformance/drills.test.ts): replicas and ISR in Metadata, acks=-1 and min.insync.replicas,
 * leader election when a broker stops, pauses past its session or returns, truncation of a returning
 * replica by leader epoch, leader-epoch checks, the coordinator's move, and a restart from the data
 * directory.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startBroker, type RunningBroker } from '../../local/broker/broker';
import { ErrorCode } from '../../local/kafka/errors';
import type { Struct } from '../../local/kafka/message-codec';
import { ProduceSchema } from '../../local/kafka/messages/00-produce';
import { FetchSchema } from '../../local/kafka/messages/01-fetch';
import { ListOffsetsSchema } from '../../local/kafka/messages/02-list-offsets';
import { MetadataSchema } from '../../local/kafka/messages/03-metadata';
import { FindCoordinatorSchema } from '../../local/kafka/messages/10-find-coordinator';
import { OffsetForLeaderEpochSchema } from '../../local/kafka/messages/23-offset-for-leader-epoch';
import { parseBatches } from '../../local/kafka/record-batch';
import { decodeResponse } from '../../local/kafka/response-frame';
import type { ApiSchema } from '../../local/kafka/schema';
import { RawConnection, requestFrame } from '../support/raw-kafka';
import { batch } from '../support/record-batches';
import { until } from '../support/until';

const opened: RunningBroker[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.close()));
});

async function cluster(options: Parameters<typeof startBroker>[0] = {}): Promise<RunningBroker> {
  const broker = await startBroker({ brokers: 3, port: 0, ...options });
  opened.push(broker);
  return broker;
}

/** One request to broker `nodeId` on its own connection, decoded; null if the broker closed it. */
async function send(
  broker: RunningBroker,
  nodeId: number,
  schema: ApiSchema,
  version: number,
  body: Struct,
  timeoutMs = 5000,
): Promise<Struct | null> {
  const conn = await RawConnection.open(broker.ports[nodeId - 1]);
  try {
    conn.write(requestFrame(schema.request, version, body));
    const frame = await conn.response(timeoutMs);
    return frame ? decodeResponse(schema, version, frame).body : null;
  } finally {
    conn.end();
  }
}

/** Produce v9 of one record to `partition`, sent to its current leader (or `nodeId`). */
async function produce(
  broker: RunningBroker,
  topic: string,
  partition: number,
  value: string,
  options: { acks?: number; timeoutMs?: number; nodeId?: number } = {},
): Promise<{ code: number; offset: bigint }> {
  const nodeId = options.nodeId ?? broker.cluster.partition(topic, partition)!.leader;
  const response = await send(broker, nodeId, ProduceSchema, 9, {
    TransactionalId: null,
    Acks: options.acks ?? -1,
    TimeoutMs: options.timeoutMs ?? 2000,
    TopicData: [{ Name: topic, PartitionData: [{ Index: partition, Records: batch(Buffer.from(value)) }] }],
  });
  const p = ((response!.Responses as Struct[])[0].PartitionResponses as Struct[])[0];
  return { code: p.ErrorCode as number, offset: p.BaseOffset as bigint };
}

/** Metadata v12 of one topic, as the broker `nodeId` answers it. */
async function metadata(broker: RunningBroker, topic: string, nodeId?: number): Promise<Struct> {
  const asked = nodeId ?? broker.cluster.brokers.find((b) => b.state === 'running')!.nodeId;
  const response = await send(broker, asked, MetadataSchema, 12, {
    Topics: [{ TopicId: Buffer.alloc(16), Name: topic }],
    AllowAutoTopicCreation: false,
    IncludeTopicAuthorizedOperations: false,
  });
  return response!;
}

function partitionsOf(response: Struct): Struct[] {
  return ((response.Topics as Struct[])[0].Partitions as Struct[]).map((p) => ({
    index: p.PartitionIndex,
    error: p.ErrorCode,
    leader: p.LeaderId,
    epoch: p.LeaderEpoch,
    replicas: p.ReplicaNodes,
    isr: p.IsrNodes,
    offline: p.OfflineReplicas,
  }));
}

/** Fetch v12 of one partition from `nodeId`: its error, high watermark and the record count. */
async function fetchFrom(
  broker: RunningBroker,
  nodeId: number,
  topic: string,
  partition: number,
  options: { offset?: bigint; currentLeaderEpoch?: number } = {},
): Promise<{ code: number; highWatermark: bigint; records: number }> {
  const response = await send(broker, nodeId, FetchSchema, 12, {
    ReplicaId: -1,
    MaxWaitMs: 0,
    MinBytes: 1,
    MaxBytes: 1 << 20,
    IsolationLevel: 0,
    SessionId: 0,
    SessionEpoch: -1,
    Topics: [
      {
        Topic: topic,
        Partitions: [
          {
            Partition: partition,
            CurrentLeaderEpoch: options.currentLeaderEpoch ?? -1,
            FetchOffset: options.offset ?? 0n,
            LastFetchedEpoch: -1,
            LogStartOffset: -1n,
            PartitionMaxBytes: 1 << 20,
          },
        ],
      },
    ],
    ForgottenTopicsData: [],
    RackId: '',
  });
  const p = ((response!.Responses as Struct[])[0].Partitions as Struct[])[0];
  const records = (p.Records as Buffer | null) ?? Buffer.alloc(0);
  const count = parseBatches(records).reduce((n, b) => n + b.lastOffsetDelta + 1, 0);
  return { code: p.ErrorCode as number, highWatermark: p.HighWatermark as bigint, records: count };
}

function createTopic(
  broker: RunningBroker,
  name: string,
  partitions = 1,
  configs: Record<string, string> = {},
  replicationFactor = -1,
): void {
  broker.cluster.createTopic(name, partitions, configs, { replicationFactor });
}

describe('replicas and the ISR', () => {
  test('topics created without a factor get three replicas on three brokers, all in sync, epoch 0', async () => {
    const broker = await cluster();
    createTopic(broker, 'three', 3);
    const partitions = partitionsOf(await metadata(broker, 'three'));
    expect(partitions).toEqual(
      [0, 1, 2].map((index) => ({
        index,
        error: ErrorCode.NONE,
        leader: expect.any(Number),
        epoch: 0,
        replicas: expect.any(Array),
        isr: expect.any(Array),
        offline: [],
      })),
    );
    for (const p of partitions) {
      expect([...(p.replicas as number[])].sort()).toEqual([1, 2, 3]);
      expect(p.isr).toEqual(p.replicas);
      expect((p.replicas as number[])[0]).toBe(p.leader);
    }
    expect(new Set(partitions.map((p) => p.leader))).toEqual(new Set([1, 2, 3]));
  });

  test('one broker: one replica, as before', async () => {
    const broker = await cluster({ brokers: 1 });
    createTopic(broker, 'single');
    expect(partitionsOf(await metadata(broker, 'single'))).toEqual([
      { index: 0, error: 0, leader: 1, epoch: 0, replicas: [1], isr: [1], offline: [] },
    ]);
  });

  test('every replica holds the acknowledged records in its own log; a follower is not asked', async () => {
    const broker = await cluster();
    createTopic(broker, 'copies');
    for (let i = 0; i < 5; i++) expect((await produce(broker, 'copies', 0, `r${i}`)).code).toBe(0);
    const partition = broker.cluster.partition('copies', 0)!;
    for (const r of partition.replicas) expect(partition.replicaLog(r)!.logEndOffset).toBe(5);
    expect(partition.highWatermark).toBe(5);
    const follower = partition.replicas.find((r) => r !== partition.leader)!;
    expect((await fetchFrom(broker, follower, 'copies', 0)).code).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(await fetchFrom(broker, partition.leader, 'copies', 0)).toEqual({
      code: 0,
      highWatermark: 5n,
      records: 5,
    });
  });

  test('a paused follower leaves the ISR after replica.lag.time.max.ms of lag and rejoins once it catches up', async () => {
    const broker = await cluster({ replicaLagTimeMaxMs: 300, brokerSessionTimeoutMs: 60_000 });
    createTopic(broker, 'lagging');
    const partition = broker.cluster.partition('lagging', 0)!;
    const follower = partition.replicas[2];
    broker.control.pause(follower);
    expect((await produce(broker, 'lagging', 0, 'a', { acks: 1 })).code).toBe(0);
    await until(() => !partition.isr.includes(follower), 'the paused follower to leave the ISR');
    expect(partition.isr).toEqual(partition.replicas.slice(0, 2));
    // acks=-1 needs only the ISR: answered while the follower is still paused.
    expect((await produce(broker, 'lagging', 0, 'b')).code).toBe(0);
    broker.control.resume(follower);
    await until(() => partition.isr.includes(follower), 'the follower to rejoin the ISR');
    expect(partition.replicaLog(follower)!.logEndOffset).toBe(2);
  });
});

describe('acks and min.insync.replicas', () => {
  test('acks=-1 with the ISR below min.insync.replicas: NOT_ENOUGH_REPLICAS and nothing written', async () => {
    const broker = await cluster();
    createTopic(broker, 'guarded', 1, { 'min.insync.replicas': '2' });
    const partition = broker.cluster.partition('guarded', 0)!;
    const [leader, second, third] = partition.replicas;
    await broker.control.stop(second);
    expect((await produce(broker, 'guarded', 0, 'with two')).code).toBe(0);
    await broker.control.stop(third);
    expect(partition.isr).toEqual([leader]);
    expect(await produce(broker, 'guarded', 0, 'with one')).toEqual({
      code: ErrorCode.NOT_ENOUGH_REPLICAS,
      offset: -1n,
    });
    expect(partition.log.logEndOffset).toBe(1);
    // acks=1 is written, but the high watermark stays while the ISR is below the minimum, as on Kafka 3.9.
    expect((await produce(broker, 'guarded', 0, 'acks one', { acks: 1 })).code).toBe(0);
    expect(partition.log.logEndOffset).toBe(2);
    expect((await fetchFrom(broker, leader, 'guarded', 0)).highWatermark).toBe(1n);
    await broker.control.start(second);
    await until(() => partition.isr.length === 2, 'the second replica back in the ISR');
    await until(() => partition.highWatermark === 2, 'the high watermark to move');
    expect((await produce(broker, 'guarded', 0, 'two again')).code).toBe(0);
  });

  test('an acks=-1 produce waiting for a paused follower: REQUEST_TIMED_OUT at its timeout', async () => {
    const broker = await cluster({ replicaLagTimeMaxMs: 60_000, brokerSessionTimeoutMs: 60_000 });
    createTopic(broker, 'slow');
    const partition = broker.cluster.partition('slow', 0)!;
    broker.control.pause(partition.replicas[1]);
    expect((await produce(broker, 'slow', 0, 'stuck', { timeoutMs: 200 })).code).toBe(
      ErrorCode.REQUEST_TIMED_OUT,
    );
    // The record is in the leader's log; once the follower copies it, it is committed.
    broker.control.resume(partition.replicas[1]);
    await until(() => partition.highWatermark === 1, 'the record to be replicated');
  });

  test('the ISR shrinking below the minimum while a produce waits: NOT_ENOUGH_REPLICAS_AFTER_APPEND (the high watermark not frozen)', async () => {
    const broker = await cluster({
      replicaLagTimeMaxMs: 60_000,
      brokerSessionTimeoutMs: 200,
      defaultReplicationFactor: 2,
      freezeHighWatermarkUnderMinIsr: false,
    });
    createTopic(broker, 'shrinking', 1, { 'min.insync.replicas': '2' });
    const partition = broker.cluster.partition('shrinking', 0)!;
    broker.control.pause(partition.replicas[1]);
    // Fenced after 200 ms: the ISR loses it, the high watermark reaches the batch, but with one replica.
    const outcome = await produce(broker, 'shrinking', 0, 'alone', { timeoutMs: 5000 });
    expect(outcome.code).toBe(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    expect(partition.log.logEndOffset).toBe(1);
  });

  test('the same with the high watermark frozen under the minimum (the default, as Kafka 3.9): REQUEST_TIMED_OUT', async () => {
    const broker = await cluster({
      replicaLagTimeMaxMs: 60_000,
      brokerSessionTimeoutMs: 200,
      defaultReplicationFactor: 2,
    });
    createTopic(broker, 'frozen-hw', 1, { 'min.insync.replicas': '2' });
    const partition = broker.cluster.partition('frozen-hw', 0)!;
    broker.control.pause(partition.replicas[1]);
    const outcome = await produce(broker, 'frozen-hw', 0, 'alone', { timeoutMs: 1000 });
    expect(outcome.code).toBe(ErrorCode.REQUEST_TIMED_OUT);
    expect(partition.isr).toEqual([partition.leader]);
    expect(partition.highWatermark).toBe(0);
  });
});

describe('broker failure', () => {
  test('stopping a leader: the next in-sync replica leads with a new epoch; Metadata shows it offline', async () => {
    const broker = await cluster();
    createTopic(broker, 'moving');
    const partition = broker.cluster.partition('moving', 0)!;
    const [first, second, third] = partition.replicas;
    for (let i = 0; i < 3; i++) await produce(broker, 'moving', 0, `before-${i}`);
    await broker.control.stop(first);
    const [after] = partitionsOf(await metadata(broker, 'moving'));
    expect(after).toEqual({
      index: 0,
      error: 0,
      leader: second,
      epoch: 1,
      replicas: [first, second, third],
      isr: [second, third],
      offline: [first],
    });
    const brokers = ((await metadata(broker, 'moving')).Brokers as Struct[]).map((b) => b.NodeId);
    expect(brokers.sort()).toEqual([second, third].sort());
    expect((await produce(broker, 'moving', 0, 'after')).offset).toBe(3n);
    // The stopped broker refuses connections.
    await expect(RawConnection.open(broker.ports[first - 1])).rejects.toThrow();
    await broker.control.start(first);
    await until(() => partition.isr.length === 3, 'the returning replica to rejoin the ISR');
    expect(partition.isr).toEqual([second, third, first]);
    expect(partition.leader).toBe(second); // leadership does not move back by itself
    expect(partition.replicaLog(first)!.logEndOffset).toBe(4);
  });

  test('acks=all records stay readable when a follower is elected while the ISR is below the minimum', async () => {
    const broker = await cluster();
    createTopic(broker, 'still-readable', 1, { 'min.insync.replicas': '2' });
    const partition = broker.cluster.partition('still-readable', 0)!;
    const [first, second, third] = partition.replicas;
    await broker.control.stop(second);
    for (let i = 0; i < 2; i++) expect((await produce(broker, 'still-readable', 0, `v${i}`)).code).toBe(0);
    await broker.control.stop(first);
    expect(partition.leader).toBe(third);
    expect(await fetchFrom(broker, third, 'still-readable', 0)).toMatchObject({
      highWatermark: 2n,
      records: 2,
    });
  });

  test('every replica down but one, then that one too: leader -1, LEADER_NOT_AVAILABLE, ISR keeps the last', async () => {
    const broker = await cluster();
    createTopic(broker, 'offline', 1, {}, 1);
    const partition = broker.cluster.partition('offline', 0)!;
    const only = partition.leader;
    await broker.control.stop(only);
    const [p] = partitionsOf(await metadata(broker, 'offline'));
    expect(p).toMatchObject({
      error: ErrorCode.LEADER_NOT_AVAILABLE,
      leader: -1,
      isr: [only],
      offline: [only],
    });
    await broker.control.start(only);
    expect(partitionsOf(await metadata(broker, 'offline'))[0]).toMatchObject({
      error: 0,
      leader: only,
      epoch: 2,
    });
  });

  test("a returning replica cuts the records its new leader never had, and takes the leader's", async () => {
    const broker = await cluster({ replicaLagTimeMaxMs: 60_000, brokerSessionTimeoutMs: 60_000 });
    createTopic(broker, 'diverging');
    const partition = broker.cluster.partition('diverging', 0)!;
    const [first, second, third] = partition.replicas;
    expect((await produce(broker, 'diverging', 0, 'shared')).code).toBe(0);
    // Followers frozen: the old leader alone gets two acks=1 records, then stops.
    broker.control.pause(second);
    broker.control.pause(third);
    expect((await produce(broker, 'diverging', 0, 'lost-1', { acks: 1 })).code).toBe(0);
    expect((await produce(broker, 'diverging', 0, 'lost-2', { acks: 1 })).code).toBe(0);
    await broker.control.stop(first);
    broker.control.resume(second);
    broker.control.resume(third);
    expect(partition.leader).toBe(second);
    expect((await produce(broker, 'diverging', 0, 'new', { acks: 1 })).offset).toBe(1n);
    await broker.control.start(first);
    await until(() => partition.isr.includes(first), 'the old leader to rejoin the ISR');
    const old = partition.replicaLog(first)!;
    expect(old.logEndOffset).toBe(2);
    expect(old.read(0, 1 << 20, 2).batches.map((b) => b.subarray(-4 - 3, -1).toString())).toEqual([
      expect.stringContaining('ared'),
      expect.stringContaining('new'),
    ]);
    expect(old.epochEntries.map((e) => e.epoch)).toEqual([0, 1]);
    // What a client that read the lost records learns from the leader: epoch 0 ended at offset 1.
    const answer = await send(broker, second, OffsetForLeaderEpochSchema, 4, {
      ReplicaId: -2,
      Topics: [{ Topic: 'diverging', Partitions: [{ Partition: 0, CurrentLeaderEpoch: 1, LeaderEpoch: 0 }] }],
    });
    const p = ((answer!.Topics as Struct[])[0].Partitions as Struct[])[0];
    expect({ code: p.ErrorCode, epoch: p.LeaderEpoch, end: p.EndOffset }).toEqual({
      code: 0,
      epoch: 0,
      end: 1n,
    });
  });

  test('a paused leader keeps its partitions until its session times out, then loses them', async () => {
    const broker = await cluster({ brokerSessionTimeoutMs: 300 });
    createTopic(broker, 'frozen');
    const partition = broker.cluster.partition('frozen', 0)!;
    const leader = partition.leader;
    broker.control.pause(leader);
    expect(broker.control.status().brokers[leader - 1].state).toBe('paused');
    expect(partition.leader).toBe(leader);
    await until(() => partition.leader !== leader, 'leadership to move off the paused broker');
    expect(partition.isr).not.toContain(leader);
    broker.control.resume(leader);
    await until(() => partition.isr.includes(leader), 'the resumed broker to rejoin the ISR');
  });

  test('leader epochs: fetches with an older epoch are fenced, newer ones unknown; ListOffsets carries the epoch', async () => {
    const broker = await cluster();
    createTopic(broker, 'epochs');
    const partition = broker.cluster.partition('epochs', 0)!;
    await produce(broker, 'epochs', 0, 'x');
    await broker.control.stop(partition.leader);
    const leader = partition.leader;
    expect((await fetchFrom(broker, leader, 'epochs', 0, { currentLeaderEpoch: 0 })).code).toBe(
      ErrorCode.FENCED_LEADER_EPOCH,
    );
    expect((await fetchFrom(broker, leader, 'epochs', 0, { currentLeaderEpoch: 2 })).code).toBe(
      ErrorCode.UNKNOWN_LEADER_EPOCH,
    );
    expect((await fetchFrom(broker, leader, 'epochs', 0, { currentLeaderEpoch: 1 })).records).toBe(1);
    const listed = await send(broker, leader, ListOffsetsSchema, 7, {
      ReplicaId: -1,
      IsolationLevel: 0,
      Topics: [
        { Name: 'epochs', Partitions: [{ PartitionIndex: 0, CurrentLeaderEpoch: -1, Timestamp: -1n }] },
      ],
    });
    const p = ((listed!.Topics as Struct[])[0].Partitions as Struct[])[0];
    expect({ offset: p.Offset, epoch: p.LeaderEpoch }).toEqual({ offset: 1n, epoch: 1 });
  });

  test('the group coordinator moves to the next live broker when its broker stops, and stays there', async () => {
    const broker = await cluster();
    const coordinator = async () => {
      const running = broker.cluster.brokers.find((b) => b.state === 'running')!.nodeId;
      const r = await send(broker, running, FindCoordinatorSchema, 3, { Key: 'drill-group', KeyType: 0 });
      return { code: r!.ErrorCode, node: r!.NodeId };
    };
    const before = await coordinator();
    expect(before.code).toBe(0);
    await broker.control.stop(before.node as number);
    const after = await coordinator();
    expect(after.code).toBe(0);
    expect(after.node).not.toBe(before.node);
    // As a partition's leader, it stays where it moved when the old broker returns.
    await broker.control.start(before.node as number);
    expect(await coordinator()).toEqual(after);
  });

  test('unknown broker ids are refused with the ids there are', async () => {
    const broker = await cluster();
    await expect(broker.control.stop(7)).rejects.toThrow('no broker 7: this cluster has brokers 1, 2, 3');
  });
});

describe('with a data directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kw-replication-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('each replica has its own folder; a restart keeps records, leaders, epochs and the ISR', async () => {
    const first = await startBroker({ brokers: 3, port: 0, dataDir: dir });
    first.cluster.createTopic('kept', 1, { 'min.insync.replicas': '2' }, { replicationFactor: 3 });
    const partition = first.cluster.partition('kept', 0)!;
    const leader = partition.leader;
    for (let i = 0; i < 4; i++) expect((await produce(first, 'kept', 0, `v${i}`)).code).toBe(0);
    await first.control.stop(leader);
    expect((await produce(first, 'kept', 0, 'after stop')).code).toBe(0);
    const state = { leader: partition.leader, epoch: partition.leaderEpoch, isr: [...partition.isr] };
    await first.close();
    expect(
      readdirSync(dir)
        .filter((f) => f.startsWith('broker-'))
        .sort(),
    ).toEqual(['broker-1', 'broker-2', 'broker-3']);

    const second = await startBroker({ brokers: 3, port: 0, dataDir: dir });
    opened.push(second);
    const again = second.cluster.partition('kept', 0)!;
    expect({ leader: again.leader, epoch: again.leaderEpoch }).toEqual({
      leader: state.leader,
      epoch: state.epoch,
    });
    await until(() => again.isr.length === 3, 'the stopped replica to catch up after the restart');
    expect(again.highWatermark).toBe(5);
    for (const r of again.replicas) expect(again.replicaLog(r)!.logEndOffset).toBe(5);
  });

  test('a data directory of three brokers is refused with one, saying how many it needs', async () => {
    const first = await startBroker({ brokers: 3, port: 0, dataDir: dir });
    first.cluster.createTopic('t', 1);
    await first.close();
    await expect(startBroker({ brokers: 1, port: 0, dataDir: dir })).rejects.toThrow(
      /holds the data of 3 broker\(s\): start with --brokers 3/,
    );
  });
});
