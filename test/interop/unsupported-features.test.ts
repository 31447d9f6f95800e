/**
 * What clients ask for that the embedded broker lacks — transactions and the KIP-848 consumer group
 * protocol — gets a clear error at once, never a wait for the client's own timeout (SKIPPED.md says
 * what each client shows). Each case runs a real client against `kw broker --brokers 3` with its
 * timeout set to 60 s: a client that waits it out ends with a timeout error instead of the expected
 * one, so a hang fails the test. How long each took is printed as a table, not asserted.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { TRANSACTIONS_UNSUPPORTED } from '../../local/broker/handlers/10-find-coordinator';
import { CONSUMER_PROTOCOL_UNSUPPORTED } from '../../local/broker/handlers/68-consumer-group-heartbeat';
import { cliBrokerForTests } from '../support/kw-process';
import { withAdmin } from './clients/broker-view';
import {
  eventsNamed,
  eventsOf,
  runFranzProbe,
  runJavaProbe,
  runPythonProbe,
  succeeded,
  type PeerEvent,
  type PeerRun,
} from './clients/peers';

jest.setTimeout(90_000);

const topic = 'unsupported-features';
const broker = cliBrokerForTests(['--brokers', '3']);
/** One row per case for the table printed at the end. */
const timings: { case: string; outcome: string; clientMs: number; processMs: number }[] = [];

beforeAll(async () => {
  await withAdmin(broker.bootstrap, (admin) => admin.createTopics({ topics: [{ topic, numPartitions: 3 }] }));
});
afterAll(() => {
  console.log(
    [
      'Unsupported features: what each client got, and how long it took (client: from the call to the error)',
      ...timings.map(
        (t) =>
          `  ${t.case.padEnd(58)} ${t.outcome.padEnd(42)} client ${t.clientMs} ms, process ${t.processMs} ms`,
      ),
    ].join('\n'),
  );
});

/** The probe's one `failed` event, recorded for the table. */
function failure(name: string, run: PeerRun): PeerEvent {
  const [failed] = eventsNamed(run, 'failed');
  if (!failed)
    throw new Error(
      `${name}: expected a failure, got ${JSON.stringify(run.events)}\n${run.err.slice(-2000)}`,
    );
  timings.push({
    case: name,
    outcome: String(failed.error),
    clientMs: Number(failed.elapsedMs),
    processMs: run.elapsedMs,
  });
  return failed;
}

describe('transactions', () => {
  test('confluent-kafka (librdkafka): init_transactions() raises a fatal CLUSTER_AUTHORIZATION_FAILED carrying the broker’s message', async () => {
    const failed = failure(
      'confluent-kafka transactional producer',
      await runPythonProbe('confluent_probe.py', ['transactional', broker.bootstrap]),
    );
    expect(failed).toMatchObject({
      call: 'init_transactions',
      error: 'CLUSTER_AUTHORIZATION_FAILED',
      fatal: true,
    });
    expect(failed.message).toMatch(
      /^Failed to find transaction coordinator: .*: Broker: Cluster authorization failed: /,
    );
    expect(failed.message).toContain(TRANSACTIONS_UNSUPPORTED);
  });

  test('kafka-python: init_transactions() raises a KafkaError naming ClusterAuthorizationFailedError', async () => {
    const failed = failure(
      'kafka-python transactional producer',
      await runPythonProbe('kafka_python_probe.py', ['transactional', broker.bootstrap]),
    );
    expect(failed).toMatchObject({ call: 'init_transactions', error: 'KafkaError' });
    expect(failed.message).toMatch(
      /Could not find a coordinator with type 1 with key kafka-python-probe-transactions due to unexpected error: \[Error 31\] ClusterAuthorizationFailedError/,
    );
  });

  test('the Java client: initTransactions() throws a KafkaException carrying the broker’s message', async () => {
    const failed = failure(
      'Java transactional producer',
      await runJavaProbe(['transactional', broker.bootstrap, topic]),
    );
    expect(failed).toMatchObject({
      call: 'initTransactions',
      error: 'org.apache.kafka.common.KafkaException',
      message: `Could not find a coordinator with type TRANSACTION with key java-probe-transactions due to unexpected error: ${TRANSACTIONS_UNSUPPORTED}`,
    });
  });

  test('franz-go: BeginTransaction fails with CLUSTER_AUTHORIZATION_FAILED', async () => {
    const failed = failure(
      'franz-go transactional client',
      await runFranzProbe(['transactional', broker.bootstrap, topic]),
    );
    expect(failed).toMatchObject({ call: 'BeginTransaction', error: 'CLUSTER_AUTHORIZATION_FAILED' });
    expect(failed.message).toMatch(/unable to initialize a producer ID .*CLUSTER_AUTHORIZATION_FAILED/);
  });

  test('kafkajs: producer.transaction() rejects with KafkaJSGroupCoordinatorNotFound (kafkajs drops the broker’s answer)', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({
      transactionalId: 'kafkajs-transactions',
      maxInFlightRequests: 1,
      idempotent: true,
    });
    await producer.connect();
    const started = Date.now();
    try {
      const error = await producer.transaction().then(
        () => undefined,
        (e: Error) => e,
      );
      timings.push({
        case: 'kafkajs transactional producer',
        outcome: String(error?.name),
        clientMs: Date.now() - started,
        processMs: Date.now() - started,
      });
      expect(error).toMatchObject({
        name: 'KafkaJSGroupCoordinatorNotFound',
        message: 'Failed to find group coordinator',
      });
    } finally {
      await producer.disconnect();
    }
  });
});

describe('the KIP-848 consumer group protocol', () => {
  test('confluent-kafka (librdkafka) with group.protocol=consumer: the consumer stops with a fatal UNSUPPORTED_VERSION', async () => {
    const failed = failure(
      'confluent-kafka consumer, group.protocol=consumer',
      await runPythonProbe('confluent_probe.py', ['consumer-protocol', broker.bootstrap, topic]),
    );
    expect(failed).toMatchObject({ call: 'poll', error: '_FATAL', fatal: true });
    expect(failed.message).toContain('ConsumerGroupHeartbeat fatal error: Broker: API version not supported');
  });

  test('the Java client with group.protocol=consumer: poll() throws UnsupportedVersionException carrying the broker’s message', async () => {
    const failed = failure(
      'Java consumer, group.protocol=consumer',
      await runJavaProbe(['consumer-protocol', broker.bootstrap, topic]),
    );
    expect(failed).toMatchObject({
      call: 'poll',
      error: 'org.apache.kafka.common.errors.UnsupportedVersionException',
      message: CONSUMER_PROTOCOL_UNSUPPORTED,
    });
  });

  test('@platformatic/kafka with groupProtocol consumer: consume() rejects with UNSUPPORTED_VERSION', async () => {
    const started = Date.now();
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [path.join(__dirname, 'clients', 'platformatic-consumer-protocol.mjs'), broker.bootstrap, topic],
        { timeout: 80_000 },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const failed = failure('@platformatic/kafka consumer, groupProtocol consumer', {
      code: 0,
      events: eventsOf(out),
      err: '',
      elapsedMs: Date.now() - started,
    });
    expect(failed).toMatchObject({
      call: 'consume',
      error: 'Received response with error while executing API ConsumerGroupHeartbeat(v1)',
      apiCode: 35,
    });
  });

  test('franz-go opting in (ServerSideBalancer) falls back to the classic protocol and consumes', async () => {
    succeeded(await runFranzProbe(['produce', broker.bootstrap, topic, '6']), 'franz-probe produce');
    const run = succeeded(
      await runFranzProbe(['server-side-balancer', broker.bootstrap, topic, 'franz-server-side', '6']),
      'franz-probe server-side-balancer',
    );
    timings.push({
      case: 'franz-go consumer, ServerSideBalancer',
      outcome: 'fell back to the classic protocol',
      clientMs: run.elapsedMs,
      processMs: run.elapsedMs,
    });
    // franz-go's info log: it tried ConsumerGroupHeartbeat, got UNSUPPORTED_VERSION and fell back
    expect(run.err).toContain(
      'falling back to standard consumer group management due to lack of broker support',
    );
    expect(
      eventsNamed(run, 'consumed')
        .map((e) => e.value)
        .sort(),
    ).toEqual(Array.from({ length: 6 }, (_, i) => `order-${i}`).sort());
    const [described] = await withAdmin(
      broker.bootstrap,
      async (admin) => (await admin.describeGroups(['franz-server-side'])).groups,
    );
    expect(described).toMatchObject({
      groupId: 'franz-server-side',
      protocolType: 'consumer',
      state: 'Empty',
    });
  });
});
