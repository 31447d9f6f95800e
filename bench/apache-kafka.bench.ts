/**
 * Side by side with Apache Kafka: the same clients and workloads, in one run, against the embedded
 * broker as users run it (`kw broker`: a Node process of its own, records in memory) and against
 * Apache Kafka (one KRaft node from the jars scripts/install-test-deps.sh installs, started by
 * test/support/apache-kafka.ts with its heap capped at 768 MiB). Both brokers run at once and each
 * round runs on both, alternating which goes first, so load from other work on this shared 2-core
 * machine falls on both sides alike. Every figure is the median of its rounds, with the ratio
 * embedded / Apache Kafka.
 *
 * - produce, raw: the broker bench's pipelined sender (1 KiB records, 100 per batch, acks=1, 8 in
 *   flight) into a 1-partition topic; records/s and MB/s of record-batch bytes. One connection:
 *   Apache Kafka reads no further request from a connection until it has answered the one before
 *   (and hands each across its network and request threads), so the 8 in flight queue in its socket;
 *   its throughput is in many connections and partitions, which this workload does not measure.
 * - produce, kafkajs: `producer.send` of 100 records of 1 KiB, acks=1, 8 sends outstanding: what users
 *   run, so the client's own cost is in it (on both sides).
 * - fetch, raw: the broker bench's reader (Fetch v11, 1 MiB a request, one at a time) reading back each
 *   raw produce round; it checks every byte came back.
 * - group consume: a new kafkajs group member reading a pre-filled 3-partition topic from the
 *   beginning, timed from the end of its join to its last record.
 * - end-to-end latency p50/p99: kafkajs producer → broker → kafkajs group member, one record per send
 *   at a fixed rate, both clients in this process (one clock).
 * - start-up: spawn to accepting connections. `kw broker`: until its "listening on" line (Node start,
 *   loading the CLI and the broker through the TypeScript loader, listen). Apache Kafka: from launching the
 *   JVM until Metadata lists the broker (JVM start, class loading, KRaft controller election, broker
 *   registration; polled every 200 ms), not counting the one-off `kafka-storage format` before it.
 * - resident memory: VmRSS of the broker process when ready and after the whole workload; the
 *   embedded broker then holds every record produced, Apache Kafka's are in files (page cache, not RSS).
 *
 * One untimed raw produce and fetch round on each broker comes first: the JVM runs Kafka's hot paths
 * interpreted until it has compiled them, and brokers run warm.
 *
 * Volumes are sized to keep the whole `npm run bench` near four minutes on two cores: 5 rounds of each
 * throughput figure, 3 of the slower ones (start-up, group consume with 50,000 records, latency for
 * 4 s at 500 records/s; the earlier groups bench ran one latency run of 6 s). Without Java or the
 * jars it measures the embedded broker alone.
 */
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { startCliBroker } from '../test/support/kw-process';
import {
  APACHE_KAFKA_VERSION,
  PeerMissingError,
  requireApacheKafka,
  residentBytesOf,
  startApacheKafka,
} from '../test/support/apache-kafka';
import {
  BENCH_BATCH,
  connectTo,
  fetchAll,
  median,
  pipeline,
  produceFrames,
  RECORD_BYTES,
  RECORDS_PER_BATCH,
  timed,
} from './broker.bench';
import { consumeThroughGroup, endToEndLatency, fillForGroups, GROUP_PARTITIONS } from './groups.bench';

/** How much work each figure gets; the test runs a tiny version against the embedded broker only. */
export interface SideBySideOptions {
  /** Rounds of each throughput figure (produce raw, produce kafkajs, fetch). */
  readonly rounds: number;
  /** Rounds of the slow figures (start-up, group consume, latency). */
  readonly slowRounds: number;
  /** Raw produce requests per round, RECORDS_PER_BATCH records each. */
  readonly rawRequests: number;
  /** kafkajs sends per round, RECORDS_PER_BATCH records each. */
  readonly clientSends: number;
  /** Records in the topic a group member reads. */
  readonly consumeRecords: number;
  readonly latencyRate: number;
  readonly latencySeconds: number;
  /** Start Apache Kafka when it is installed (false: the embedded broker alone, as `npm test` runs it). */
  readonly apacheKafka: boolean;
}

/** What `npm run bench` runs. */
export const FULL_RUN: SideBySideOptions = {
  rounds: 5,
  slowRounds: 3,
  rawRequests: 400,
  clientSends: 100,
  consumeRecords: 50_000,
  latencyRate: 500,
  latencySeconds: 4,
  apacheKafka: true,
};

/** One figure on both brokers; `apacheKafka` is absent when it did not run. */
export interface Comparison {
  readonly name: string;
  readonly unit: string;
  /** Which way is better, for reading the ratio. */
  readonly better: 'higher' | 'lower';
  readonly embedded: number;
  readonly apacheKafka?: number;
}

export interface SideBySide {
  /** "Apache Kafka 3.9.2", or why it did not run. */
  readonly against: string;
  readonly ran: boolean;
  readonly comparisons: Comparison[];
}

type TargetName = 'embedded' | 'Apache Kafka';

interface Target {
  readonly name: TargetName;
  readonly port: number;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly producer: Producer;
  residentBytes(): number;
  stop(): Promise<void>;
}

interface Started {
  /** Spawn to accepting connections, ms. */
  readonly ms: number;
  readonly port: number;
  readonly residentBytes: () => number;
  readonly stop: () => Promise<void>;
}

async function startEmbedded(): Promise<Started> {
  const began = performance.now();
  const broker = await startCliBroker([]);
  const ms = performance.now() - began;
  const pid = broker.process.pid!;
  return {
    ms,
    port: Number(broker.bootstrap.split(':')[1]),
    residentBytes: () => residentBytesOf(pid),
    stop: async () => void (await broker.stop()),
  };
}

async function startReference(): Promise<Started> {
  const cluster = await startApacheKafka();
  return {
    ms: cluster.startupMs,
    port: cluster.nodes[0].port,
    residentBytes: () => cluster.residentBytes()[0] ?? 0,
    stop: () => cluster.stop(),
  };
}

async function connectClients(name: TargetName, started: Started): Promise<Target> {
  const kafka = new Kafka({
    clientId: 'bench',
    brokers: [`127.0.0.1:${started.port}`],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await Promise.all([admin.connect(), producer.connect()]);
  return {
    name,
    port: started.port,
    kafka,
    admin,
    producer,
    residentBytes: started.residentBytes,
    async stop() {
      await Promise.all([admin.disconnect(), producer.disconnect()]);
      await started.stop();
    },
  };
}

async function createTopic(target: Target, topic: string, partitions: number): Promise<void> {
  await target.admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
}

/** Records in `topic` (sum of its partitions' high watermarks), to check a fill really landed. */
async function recordsIn(target: Target, topic: string): Promise<number> {
  const offsets = await target.admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

const mb = (bytes: number) => bytes / 1e6;

/**
 * Runs `measure` on every target in each round, alternating which goes first, and logs each round's
 * figures; resolves to each target's samples.
 */
async function rounds(
  targets: readonly Target[],
  count: number,
  label: string,
  measure: (target: Target, round: number) => Promise<number>,
  show: (sample: number) => string,
  log: (line: string) => void,
): Promise<Map<TargetName, number[]>> {
  const samples = new Map<TargetName, number[]>(targets.map((t) => [t.name, []]));
  for (let round = 0; round < count; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) samples.get(target.name)!.push(await measure(target, round));
    log(
      `  ${label} round ${round + 1}/${count}: ` +
        targets.map((t) => `${t.name} ${show(samples.get(t.name)![round])}`).join(', '),
    );
  }
  return samples;
}

export async function runSideBySideBench(
  log: (line: string) => void,
  options: SideBySideOptions = FULL_RUN,
): Promise<SideBySide> {
  let against = `Apache Kafka ${APACHE_KAFKA_VERSION}`;
  let withReference = options.apacheKafka;
  if (withReference) {
    try {
      requireApacheKafka();
    } catch (error) {
      if (!(error instanceof PeerMissingError)) throw error;
      withReference = false;
      against =
        'Apache Kafka: not installed (run scripts/install-test-deps.sh): figures for the embedded broker only';
    }
  } else against = 'Apache Kafka: not requested: figures for the embedded broker only';

  const comparisons: Comparison[] = [];
  const figure = (
    name: string,
    unit: string,
    better: Comparison['better'],
    samples: Map<TargetName, number[]>,
    value: (sample: number) => number = (s) => s,
  ) => {
    const of = (target: TargetName) => {
      const xs = samples.get(target);
      return xs ? median(xs.map(value)) : undefined;
    };
    comparisons.push({ name, unit, better, embedded: of('embedded')!, apacheKafka: of('Apache Kafka') });
  };

  // Start-up: the last start of each is the broker the workloads then run on.
  const starts = new Map<TargetName, number[]>([['embedded', []]]);
  if (withReference) starts.set('Apache Kafka', []);
  let embedded: Started | undefined;
  let reference: Started | undefined;
  const targets: Target[] = [];
  try {
    for (let round = 0; round < options.slowRounds; round++) {
      const last = round === options.slowRounds - 1;
      embedded = await startEmbedded();
      starts.get('embedded')!.push(embedded.ms);
      if (!last) await embedded.stop();
      let line = `  start-up round ${round + 1}/${options.slowRounds}: embedded ${embedded.ms.toFixed(0)} ms`;
      if (withReference) {
        reference = await startReference();
        starts.get('Apache Kafka')!.push(reference.ms);
        if (!last) await reference.stop();
        line += `, Apache Kafka ${reference.ms.toFixed(0)} ms`;
      }
      log(line);
    }
    const idle = new Map<TargetName, number[]>([['embedded', [embedded!.residentBytes()]]]);
    if (reference) idle.set('Apache Kafka', [reference.residentBytes()]);
    targets.push(await connectClients('embedded', embedded!));
    if (reference) targets.push(await connectClients('Apache Kafka', reference));

    // Produce through the raw sender, then read each round back.
    const rawRecords = options.rawRequests * RECORDS_PER_BATCH;
    const rawBytes = options.rawRequests * BENCH_BATCH.length;
    const produceRaw = async (target: Target, topic: string) => {
      await createTopic(target, topic, 1);
      const frames = produceFrames(topic, options.rawRequests);
      const socket = await connectTo(target.port);
      const seconds = await timed(() => pipeline(socket, frames));
      socket.destroy();
      return seconds;
    };
    const fetchRaw = async (target: Target, topic: string) => {
      let fetched = 0;
      const seconds = await timed(async () => {
        fetched = await fetchAll(target.port, topic, rawRecords);
      });
      if (fetched !== rawBytes) {
        throw new Error(`${target.name}: fetched ${fetched} bytes of ${topic}, produced ${rawBytes}`);
      }
      return seconds;
    };
    // Kafka's first round ran at a third of its later speed while the JVM compiled: warm both first.
    for (const target of targets) {
      await produceRaw(target, 'warm-up');
      await fetchRaw(target, 'warm-up');
    }
    log('  warmed up: one untimed raw produce and fetch round on each broker');
    const rawProduce = await rounds(
      targets,
      options.rounds,
      'produce (raw)',
      (target, round) => produceRaw(target, `raw-${round}`),
      (s) => `${mb(rawBytes / s).toFixed(0)} MB/s`,
      log,
    );
    const rawFetch = await rounds(
      targets,
      options.rounds,
      'fetch',
      (target, round) => fetchRaw(target, `raw-${round}`),
      (s) => `${mb(rawBytes / s).toFixed(0)} MB/s`,
      log,
    );

    // Produce through kafkajs, as an application does.
    const clientRecords = options.clientSends * RECORDS_PER_BATCH;
    const messages = Array.from({ length: RECORDS_PER_BATCH }, () => ({
      value: Buffer.alloc(RECORD_BYTES, 0x63),
    }));
    const clientProduce = await rounds(
      targets,
      options.rounds,
      'produce (kafkajs)',
      async (target, round) => {
        const topic = `kafkajs-${round}`;
        await createTopic(target, topic, 1);
        let next = 0;
        const seconds = await timed(async () => {
          await Promise.all(
            Array.from({ length: 8 }, async () => {
              while (next < options.clientSends) {
                next++;
                await target.producer.send({ topic, acks: 1, messages });
              }
            }),
          );
        });
        const landed = await recordsIn(target, topic);
        if (landed !== clientRecords)
          throw new Error(`${target.name}: ${landed} of ${clientRecords} in ${topic}`);
        return seconds;
      },
      (s) => `${(clientRecords / s).toFixed(0)} records/s`,
      log,
    );

    // Group consume: one topic filled once per broker, read by a new group each round.
    for (const target of targets) {
      await createTopic(target, 'consume', GROUP_PARTITIONS);
      await fillForGroups(target.port, 'consume', options.consumeRecords);
      const landed = await recordsIn(target, 'consume');
      if (landed !== options.consumeRecords) {
        throw new Error(`${target.name}: filled ${landed} of ${options.consumeRecords} records`);
      }
    }
    log(
      `  filled a ${GROUP_PARTITIONS}-partition topic with ${options.consumeRecords} records on each broker`,
    );
    const consume = await rounds(
      targets,
      options.slowRounds,
      'group consume (kafkajs)',
      (target, round) =>
        consumeThroughGroup(target.kafka, 'consume', `consume-${round}`, options.consumeRecords),
      (s) => `${(options.consumeRecords / s).toFixed(0)} records/s`,
      log,
    );

    // End-to-end latency at a fixed rate: a new topic and group each round.
    const p99s = new Map<TargetName, number[]>(targets.map((t) => [t.name, []]));
    const p50s = await rounds(
      targets,
      options.slowRounds,
      `latency at ${options.latencyRate}/s`,
      async (target, round) => {
        const topic = `latency-${round}`;
        await createTopic(target, topic, GROUP_PARTITIONS);
        const run = await endToEndLatency(
          target.kafka,
          topic,
          topic,
          options.latencyRate,
          options.latencySeconds,
        );
        if (run.latencies.length < run.sent) {
          log(`  ${target.name}: ${run.sent - run.latencies.length} of ${run.sent} records never arrived`);
        }
        p99s.get(target.name)!.push(run.p99);
        return run.p50;
      },
      (p50) => `p50 ${p50.toFixed(1)} ms`,
      log,
    );
    const after = new Map<TargetName, number[]>(targets.map((t) => [t.name, [t.residentBytes()]]));
    // Every round ran the same volume on each broker (the latency runs' short records left out).
    const heldBytes =
      (options.rounds + 1) * rawBytes +
      options.rounds * clientRecords * RECORD_BYTES +
      (options.consumeRecords / RECORDS_PER_BATCH) * BENCH_BATCH.length;
    log(
      `  records held by each broker at the end: about ${mb(heldBytes).toFixed(0)} MB ` +
        '(the embedded broker keeps them in memory, Apache Kafka in files)',
    );

    const perSecond = (amount: number) => (seconds: number) => amount / seconds;
    figure(
      'produce, raw sender (1 KiB records, 100/batch, acks=1, 8 in flight)',
      'MB/s',
      'higher',
      rawProduce,
      (s) => mb(rawBytes / s),
    );
    figure('produce, raw sender', 'records/s', 'higher', rawProduce, perSecond(rawRecords));
    figure(
      'produce, kafkajs (send of 100 × 1 KiB, acks=1, 8 sends outstanding)',
      'MB/s',
      'higher',
      clientProduce,
      (s) => mb((clientRecords * RECORD_BYTES) / s),
    );
    figure('produce, kafkajs', 'records/s', 'higher', clientProduce, perSecond(clientRecords));
    figure('fetch, raw reader (1 MiB per request, one at a time)', 'MB/s', 'higher', rawFetch, (s) =>
      mb(rawBytes / s),
    );
    figure('fetch, raw reader', 'records/s', 'higher', rawFetch, perSecond(rawRecords));
    figure(
      `group consume, kafkajs (${GROUP_PARTITIONS} partitions, 1 KiB records)`,
      'records/s',
      'higher',
      consume,
      perSecond(options.consumeRecords),
    );
    figure('group consume, kafkajs', 'MB/s', 'higher', consume, (s) =>
      mb((options.consumeRecords * RECORD_BYTES) / s),
    );
    figure(
      `end-to-end latency p50 at ${options.latencyRate}/s (kafkajs → broker → kafkajs group)`,
      'ms',
      'lower',
      p50s,
    );
    figure('end-to-end latency p99', 'ms', 'lower', p99s);
    figure('start-up to accepting connections (`kw broker` process / Kafka JVM)', 'ms', 'lower', starts);
    figure('resident memory when ready', 'MB', 'lower', idle, mb);
    figure('resident memory after the workload', 'MB', 'lower', after, mb);
    return { against, ran: withReference, comparisons };
  } finally {
    for (const target of targets) await target.stop().catch(() => undefined);
    // A start that threw before its clients connected leaves its process to stop here.
    if (targets.length === 0) await embedded?.stop().catch(() => undefined);
    if (!targets.some((t) => t.name === 'Apache Kafka')) await reference?.stop().catch(() => undefined);
  }
}
