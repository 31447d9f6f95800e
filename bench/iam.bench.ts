/**
 * What MSK IAM costs on the embedded broker: one in-process broker with its plain listener and an IAM
 * listener, the same kafkajs producer and workload on each (100 records of 1 KiB per send, acks=-1,
 * 8 sends in flight, a 3-partition topic), rounds alternating which listener goes first so the
 * machine's noise hits both. Over IAM the producer authenticates with SASL OAUTHBEARER, its token from
 * aws-msk-iam-sasl-signer-js signed with a role's local keys (as the functions' kafka-client does),
 * and the broker authorizes every request by the role's identity policy through createAuthorizer.
 *
 * Also timed: connecting a producer on each listener (over IAM: signing a token, the SASL handshake
 * and the broker's SigV4 check), signing a token alone, and the broker's authorization of one produce
 * request, which explains the per-request cost beside the throughputs.
 *
 * The run proves it measured what it says: the broker counts each authentication of the producer's
 * key, records no denial while the producer runs, and afterwards refuses the same send from a role
 * whose policy lacks kafka-cluster:WriteData. Read the ratios; machines here are noisy.
 */
import { Kafka, logLevel, Partitioners, type Message, type Producer } from 'kafkajs';
import { startBroker, type RunningBroker } from '../local/broker/broker';
import { RequestAuthorizer, type DenialRecord } from '../local/broker/auth/authorize-request';
import { parseClusterArn } from '../local/broker/auth/iam/arns';
import { createAuthorizer } from '../local/broker/auth/iam/policy-evaluator';
import type { CredentialStore, NamedPolicy } from '../local/broker/auth/iam/types';
import { generateCredentials, type RoleCredentials } from '../local/runtime/iam/local-credentials';
import { mskIamToken } from '../local/runtime/kafka/iam-token';
import { BENCH_BATCH, median, RECORD_BYTES, RECORDS_PER_BATCH, timed, type Figure } from './broker.bench';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const CLUSTER_PATH = 'bench/00000000-0000-0000-0000-000000000000-1';
const CLUSTER_ARN = `arn:aws:kafka:${REGION}:${ACCOUNT}:cluster/${CLUSTER_PATH}`;
const TOPIC_ARNS = `arn:aws:kafka:${REGION}:${ACCOUNT}:topic/${CLUSTER_PATH}/*`;
const TOPIC = 'iam-bench';
const PARTITIONS = 3;
/** Sends a producer keeps outstanding, so a round measures the broker rather than one round trip. */
const IN_FLIGHT = 8;

/** The role the measured producer runs as: what a function that produces needs, and nothing more. */
const PRODUCER_ROLE = `arn:aws:iam::${ACCOUNT}:role/bench-producer`;
/** A role that may connect and describe topics but not write: the probe the IAM listener must refuse. */
const DESCRIBER_ROLE = `arn:aws:iam::${ACCOUNT}:role/bench-describer`;

/** Identity policies as IAM JSON, evaluated by the broker's own evaluator. */
const POLICIES = new Map<string, NamedPolicy[]>([
  [
    PRODUCER_ROLE,
    [
      {
        name: 'bench-produce',
        document: {
          Version: '2012-10-17',
          Statement: [
            { Sid: 'Connect', Effect: 'Allow', Action: 'kafka-cluster:Connect', Resource: CLUSTER_ARN },
            {
              Sid: 'WriteTopics',
              Effect: 'Allow',
              Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
              Resource: TOPIC_ARNS,
            },
          ],
        },
      },
    ],
  ],
  [
    DESCRIBER_ROLE,
    [
      {
        name: 'bench-describe',
        document: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 'kafka-cluster:Connect', Resource: CLUSTER_ARN },
            { Effect: 'Allow', Action: 'kafka-cluster:DescribeTopic', Resource: TOPIC_ARNS },
          ],
        },
      },
    ],
  ],
]);

export interface IamBenchOptions {
  /** Rounds, each one produce run and `connects` connections per listener. @default 7 */
  readonly rounds?: number;
  /** Sends (of 100 records of 1 KiB) per produce run. @default 300: about 31 MB */
  readonly sends?: number;
  /** Producer connections per listener per round. @default 4 */
  readonly connects?: number;
  /** Tokens signed, and produce requests authorized, for the explaining figures. @default 200, 100,000 */
  readonly tokens?: number;
  readonly authorizations?: number;
}

export interface IamBench {
  readonly figures: Figure[];
  /** Authentications the broker verified with the producer role's key (one lookup each). */
  readonly producerAuthentications: number;
  /** Denials the broker had recorded once the measured producers were done: none if all were allowed. */
  readonly denialsWhileMeasured: readonly DenialRecord[];
  /** What the describer role's send was refused with over the IAM listener. */
  readonly probeRefusal: string;
  /** Every denial, the probe's included. */
  readonly denials: readonly DenialRecord[];
}

/** A credential store that counts lookups per access key: the broker makes one per authentication. */
function countingStore(store: CredentialStore): CredentialStore & { lookups(accessKeyId: string): number } {
  const counts = new Map<string, number>();
  return {
    lookup(accessKeyId) {
      counts.set(accessKeyId, (counts.get(accessKeyId) ?? 0) + 1);
      return store.lookup(accessKeyId);
    },
    lookups: (accessKeyId) => counts.get(accessKeyId) ?? 0,
  };
}

/** The messages of one send: RECORDS_PER_BATCH values of RECORD_BYTES, no key (spread over partitions). */
const MESSAGES: Message[] = Array.from({ length: RECORDS_PER_BATCH }, () => ({
  value: Buffer.alloc(RECORD_BYTES, 0x61),
}));

/** kafkajs on the plain listener, or on the IAM listener as `role` with a fresh token per connection. */
function kafkaOn(broker: RunningBroker, role?: RoleCredentials): Kafka {
  if (!role) return new Kafka({ brokers: [broker.bootstrapServers], logLevel: logLevel.NOTHING });
  const token = mskIamToken(role, REGION);
  return new Kafka({
    brokers: broker.iamBootstrapServers.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: await token.token() }) },
  });
}

const newProducer = (kafka: Kafka) =>
  kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });

/** `sends` sends on a connected producer, IN_FLIGHT at a time; resolves to their seconds. */
async function produceRun(kafka: Kafka, sends: number): Promise<number> {
  const producer = newProducer(kafka);
  await producer.connect();
  try {
    let started = 0;
    const sender = async () => {
      while (started < sends) {
        started++;
        await producer.send({ topic: TOPIC, acks: -1, messages: MESSAGES });
      }
    };
    return await timed(async () => void (await Promise.all(Array.from({ length: IN_FLIGHT }, sender))));
  } finally {
    await producer.disconnect();
  }
}

/** Seconds to connect a new producer (bootstrap, ApiVersions, SASL if any, metadata). */
async function connectTime(kafka: Kafka): Promise<number> {
  const producer: Producer = newProducer(kafka);
  try {
    return await timed(() => producer.connect());
  } finally {
    await producer.disconnect();
  }
}

/** The listeners in the order turn `n` measures them: plain first on even turns, IAM first on odd ones. */
const inTurn = (n: number) => (n % 2 === 0 ? (['plain', 'iam'] as const) : (['iam', 'plain'] as const));

/** Drops what earlier runs wrote, so memory stays flat and every run appends to the same log sizes. */
function emptyTopic(broker: RunningBroker): void {
  const topic = broker.stats().topics.find((t) => t.name === TOPIC)!;
  for (const p of topic.partitions) broker.cluster.deleteRecords(TOPIC, p.partition, p.highWatermark);
}

/** Runs the bench on a broker of its own, logging a line per round; the figures are medians. */
export async function runIamBench(
  log: (line: string) => void,
  options: IamBenchOptions = {},
): Promise<IamBench> {
  const rounds = options.rounds ?? 7;
  const sends = options.sends ?? 300;
  const connects = options.connects ?? 4;
  const tokens = options.tokens ?? 200;
  const authorizations = options.authorizations ?? 100_000;

  const credentials = generateCredentials([
    { roleArn: PRODUCER_ROLE, profile: 'bench-producer' },
    { roleArn: DESCRIBER_ROLE, profile: 'bench-describer' },
  ]);
  const producerKeys = credentials.forRole(PRODUCER_ROLE)!;
  const store = countingStore(credentials);
  const authorizer = createAuthorizer(POLICIES);
  const broker = await startBroker({
    port: 0,
    autoCreateTopics: false,
    log: () => undefined, // the probe's denial would be logged; the bench reports it instead
    iam: { credentials: store, authorizer, region: REGION, clusterArn: CLUSTER_ARN },
  });

  const plainProduce: number[] = [];
  const iamProduce: number[] = [];
  const plainConnect: number[] = [];
  const iamConnect: number[] = [];
  const mb = (RECORD_BYTES * RECORDS_PER_BATCH * sends) / 1e6;
  let denialsWhileMeasured: readonly DenialRecord[];
  let probeRefusal: string | undefined;
  let denials: readonly DenialRecord[];
  let signing: number[];
  let authorizing: number;
  try {
    broker.cluster.createTopic(TOPIC, PARTITIONS);
    const plain = kafkaOn(broker);
    const iam = kafkaOn(broker, producerKeys);
    // Unmeasured: the first runs pay for compiling kafkajs's, the broker's and the signer's code.
    for (const kafka of [plain, iam]) {
      await produceRun(kafka, Math.ceil(sends / 5));
      await connectTime(kafka);
    }
    for (let r = 0; r < rounds; r++) {
      // Which listener goes first alternates, so neither always meets the heap the other left behind.
      for (const listener of inTurn(r)) {
        emptyTopic(broker);
        const seconds = await produceRun(listener === 'plain' ? plain : iam, sends);
        (listener === 'plain' ? plainProduce : iamProduce).push(seconds);
      }
      const connectsBefore = plainConnect.length;
      for (let c = 0; c < connects; c++) {
        for (const listener of inTurn(r + c)) {
          if (listener === 'plain') plainConnect.push(await connectTime(plain));
          else iamConnect.push(await connectTime(iam));
        }
      }
      const ms = (xs: number[]) => (median(xs.slice(connectsBefore)) * 1000).toFixed(1);
      log(
        `  round ${r + 1}/${rounds}: produce plain ${(mb / plainProduce[r]).toFixed(0)} MB/s, IAM ${(mb / iamProduce[r]).toFixed(0)} MB/s; ` +
          `connect plain ${ms(plainConnect)} ms, IAM ${ms(iamConnect)} ms`,
      );
    }
    denialsWhileMeasured = broker.denials();

    // The same send from a role without WriteData: the IAM listener must refuse it, or nothing above
    // was authorized.
    const probe = newProducer(kafkaOn(broker, credentials.forRole(DESCRIBER_ROLE)!));
    await probe.connect();
    try {
      await probe.send({ topic: TOPIC, acks: -1, messages: MESSAGES });
    } catch (error) {
      probeRefusal = (error as Error).message;
    } finally {
      await probe.disconnect();
    }
    if (probeRefusal === undefined) {
      throw new Error(
        `iam bench: ${DESCRIBER_ROLE} wrote to ${TOPIC} over the IAM listener without kafka-cluster:WriteData, so the producer's requests were not authorized either`,
      );
    }
    denials = broker.denials();

    // A token as the IAM producer signs one for each connection.
    const signer = mskIamToken(producerKeys, REGION);
    signing = [];
    for (let i = 0; i < tokens; i++) signing.push(await timed(async () => void (await signer.token())));

    // One produce request's authorization as the broker makes it after decoding: the action table's
    // checks (WriteData on the topic), each decided by the role's policy.
    const requests = new RequestAuthorizer(authorizer, parseClusterArn(CLUSTER_ARN), () => undefined);
    const produceRequest = {
      TransactionalId: null,
      Acks: -1,
      TimeoutMs: 30_000,
      TopicData: [
        {
          Name: TOPIC,
          PartitionData: Array.from({ length: PARTITIONS }, (_, Index) => ({ Index, Records: BENCH_BATCH })),
        },
      ],
    };
    const principal = { arn: PRODUCER_ROLE, accessKeyId: producerKeys.accessKeyId };
    const scope = { cluster: broker.cluster, groups: broker.groups, apiVersion: 7 };
    authorizing = await timed(async () => {
      for (let i = 0; i < authorizations; i++) {
        const access = requests.access(0, produceRequest, principal, scope);
        if (access.requestCode !== 0 || access.entryCodes.size > 0) {
          throw new Error(`iam bench: ${PRODUCER_ROLE} was denied a produce request to ${TOPIC}`);
        }
      }
    });
    log(
      `  signed ${tokens} tokens (median ${(median(signing) * 1000).toFixed(2)} ms); authorized ${authorizations} produce requests in ${(authorizing * 1000).toFixed(1)} ms`,
    );
  } finally {
    await broker.close();
  }

  const records = RECORDS_PER_BATCH * sends;
  const p = median(plainProduce);
  const i = median(iamProduce);
  const authorizeSeconds = authorizing / authorizations;
  return {
    producerAuthentications: store.lookups(producerKeys.accessKeyId),
    denialsWhileMeasured,
    probeRefusal,
    denials,
    figures: [
      {
        name: `produce, plain listener (kafkajs, 100 × 1 KiB per send, acks=-1, ${IN_FLIGHT} in flight, ${PARTITIONS} partitions)`,
        value: mb / p,
        unit: 'MB/s',
      },
      { name: 'produce, plain listener', value: records / p, unit: 'records/s' },
      { name: 'produce, IAM listener (OAUTHBEARER, every request authorized)', value: mb / i, unit: 'MB/s' },
      { name: 'produce, IAM listener', value: records / i, unit: 'records/s' },
      { name: 'produce ratio IAM / plain (1.00: no cost)', value: p / i, unit: '' },
      { name: 'connect a producer, plain listener', value: median(plainConnect) * 1000, unit: 'ms' },
      {
        name: 'connect a producer, IAM listener (token signed, SigV4 verified)',
        value: median(iamConnect) * 1000,
        unit: 'ms',
      },
      {
        name: 'connect time ratio IAM / plain (1.00: no cost)',
        value: median(iamConnect) / median(plainConnect),
        unit: '',
      },
      {
        name: 'sign an MSK IAM token (aws-msk-iam-sasl-signer-js)',
        value: median(signing) * 1000,
        unit: 'ms',
      },
      {
        name: 'authorize a produce request (the broker’s checks)',
        value: 1 / authorizeSeconds,
        unit: 'requests/s',
      },
      {
        name: 'authorization’s share of an IAM produce request’s time',
        value: (100 * authorizeSeconds) / (i / sends),
        unit: '%',
      },
    ],
  };
}
