/**
 * MSK IAM clients this project did not write against the embedded broker's IAM listener, each the way
 * MSK's documentation sets it up: kafka-python 3.x with its own AWS_MSK_IAM mechanism (SigV4 JSON),
 * confluent-kafka with OAUTHBEARER tokens from aws-msk-iam-sasl-signer-python, and the Java client
 * with MSK's aws-msk-iam-auth library (AWS_MSK_IAM, which also requires the broker's version reply).
 * Each, as its own process, produces and reads back records with good credentials, and is refused
 * with MSK's "Access denied" when it signs with a wrong secret, while the broker's log says why. Every
 * request is authorized by the roles' policies: a topic whose WriteData is denied fails each client with
 * its own TOPIC_AUTHORIZATION_FAILED, and the broker logs the action and the ARN.
 *
 * The one change to a client: kafka-python refuses AWS_MSK_IAM over anything but SASL_SSL (MSK's IAM
 * listener is TLS), and the embedded broker's is plain TCP, so the probe lifts that check alone.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startBroker, type RunningBroker } from '../../local/broker/broker';
import { createAuthorizer } from '../../local/broker/auth/iam/policy-evaluator';
import type { NamedPolicy } from '../../local/broker/auth/iam/types';
import {
  APACHE_KAFKA_LIBS,
  PeerMissingError,
  requireApacheKafka,
  runJavaClass,
} from '../support/apache-kafka';
import {
  CLUSTER_ARN,
  credentialStore,
  INGEST,
  LEDGER,
  REGION,
  type TestCredentials,
} from '../support/msk-iam-tokens';
import { eventsNamed, eventsOf, runPythonProbe, type PeerRun } from './clients/peers';

jest.setTimeout(120_000);

const COUNT = 5;
const ACCESS_DENIED = /\[[0-9a-f-]{36}\]: Access denied/;
const JAVA_PROBE = path.join(__dirname, '..', 'peers', 'java', 'MskIamProbe.java');

/** Both roles may do anything on the cluster but write to a topic whose name ends in -denied. */
const ROLE_POLICIES: NamedPolicy[] = [
  {
    name: 'probe-role',
    document: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'kafka-cluster:*', Resource: '*' },
        {
          Sid: 'NoDeniedTopics',
          Effect: 'Deny',
          Action: 'kafka-cluster:WriteData',
          Resource: 'arn:aws:kafka:*:*:topic/*/*/*-denied',
        },
      ],
    },
  },
];

let broker: RunningBroker;
const logged: string[] = [];
let javaClasses = '';

beforeAll(async () => {
  // Compiled before the broker starts: a synchronous javac must not hold up an in-process broker.
  const java = requireApacheKafka();
  if (!readdirSync(APACHE_KAFKA_LIBS).some((f) => f.startsWith('aws-msk-iam-auth-')))
    throw new PeerMissingError(
      `aws-msk-iam-auth is not among the jars in ${APACHE_KAFKA_LIBS}: run scripts/install-test-deps.sh`,
    );
  javaClasses = mkdtempSync(path.join(tmpdir(), 'kw-msk-iam-probe-'));
  const javac = java === 'java' ? 'javac' : path.join(path.dirname(java), 'javac');
  execFileSync(javac, ['-d', javaClasses, '-cp', path.join(APACHE_KAFKA_LIBS, '*'), JAVA_PROBE], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  broker = await startBroker({
    port: 0,
    log: (m) => logged.push(m),
    iam: {
      credentials: credentialStore(INGEST, LEDGER),
      authorizer: createAuthorizer(
        new Map([INGEST, LEDGER].map((who) => [who.principalArn, ROLE_POLICIES] as const)),
      ),
      region: REGION,
      clusterArn: CLUSTER_ARN,
    },
  });
});
afterAll(async () => {
  await broker?.close();
  if (javaClasses) rmSync(javaClasses, { recursive: true, force: true });
});

/** The arguments every probe takes after its bootstrap: region, credentials, topic, count. */
const credentialArgs = (who: TestCredentials, secret = who.secretAccessKey) => [
  REGION,
  who.accessKeyId,
  secret,
  who.sessionToken ?? '-',
];

type Probe = (who: TestCredentials, topic: string, secret?: string) => Promise<PeerRun>;

const python =
  (client: string): Probe =>
  (who, topic, secret) =>
    runPythonProbe('msk_iam_probe.py', [
      client,
      broker.iamBootstrapServers,
      ...credentialArgs(who, secret),
      topic,
      String(COUNT),
    ]);

const java: Probe = async (who, topic, secret) => {
  const run = await runJavaClass(
    'MskIamProbe',
    [broker.iamBootstrapServers, ...credentialArgs(who, secret), topic, String(COUNT)],
    { classpath: javaClasses, timeoutMs: 90_000 },
  );
  return { code: run.code, events: eventsOf(run.out), err: run.err, elapsedMs: 0 };
};

const CLIENTS = [
  { name: 'kafka-python (AWS_MSK_IAM)', probe: python('kafka-python'), mechanism: 'AWS_MSK_IAM' },
  {
    name: 'confluent-kafka (OAUTHBEARER, aws-msk-iam-sasl-signer-python)',
    probe: python('confluent-kafka'),
    mechanism: 'OAUTHBEARER',
  },
  { name: 'the Java client (aws-msk-iam-auth)', probe: java, mechanism: 'AWS_MSK_IAM' },
] as const;

describe.each(CLIENTS)('$name', ({ name, probe, mechanism }) => {
  const topic = `iam-${name.split(' ')[0].replace(/[^a-z]/g, '')}`;

  test.each([
    ['long-lived keys', INGEST],
    ['temporary credentials with a session token', LEDGER],
  ] as const)('WHEN it signs with %s THEN it produces and reads back every record', async (_what, who) => {
    const run = await probe(who, `${topic}-${who === INGEST ? 'keys' : 'session'}`);
    expect(eventsNamed(run, 'error')).toEqual([]);
    expect(eventsNamed(run, 'produced')).toEqual([{ event: 'produced', count: COUNT }]);
    const [consumed] = eventsNamed(run, 'consumed');
    expect([...(consumed?.values as string[])].sort()).toEqual(
      Array.from({ length: COUNT }, (_, i) => `iam-${i}`).sort(),
    );
  });

  test('WHEN it signs with a wrong secret THEN it is refused with Access denied and the broker logs why', async () => {
    const from = logged.length;
    const run = await probe(INGEST, `${topic}-refused`, 'not-the-secret');
    expect(eventsNamed(run, 'produced')).toEqual([]);
    const [error] = eventsNamed(run, 'error');
    expect(JSON.stringify(error)).toMatch(ACCESS_DENIED);
    expect(logged.slice(from).join('\n')).toContain(`SASL ${mechanism} authentication failed`);
    expect(logged.slice(from).join('\n')).toContain(
      `the signature does not match access key ${INGEST.accessKeyId}'s secret`,
    );
  });

  test('WHEN its role is denied WriteData on the topic THEN producing fails with TOPIC_AUTHORIZATION_FAILED and the broker logs the action and ARN', async () => {
    const denied = `${topic}-denied`;
    const run = await probe(INGEST, denied);
    expect(eventsNamed(run, 'produced')).toEqual([]);
    const [error] = eventsNamed(run, 'error');
    expect(JSON.stringify(error)).toMatch(/TOPIC_AUTHORIZATION_FAILED|TopicAuthorization/);
    expect(logged.join('\n')).toContain(
      `kafka-cluster:WriteData on ${CLUSTER_ARN.replace(':cluster/', ':topic/')}/${denied} is not allowed for ${INGEST.principalArn} (explicitly denied by probe-role/NoDeniedTopics)`,
    );
  });
});
