/**
 * `kw topics|produce|consume|groups --as-role NAME`, in process, against an embedded broker with an
 * MSK IAM listener and small policies, found the way a learner's commands find `kw up`: through
 * the run file ($KW_RUN_FILE) naming the IAM listener, the cluster ARN and the credentials file. What
 * a role may do works; what it may not ends with one line naming the actions and the ARN, exit 1.
 * The pure decisions (which listener, which profile, what a refusal says) are tested alone below.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { main } from '../../cli/main';
import {
  connectionFlagProblem,
  profileNames,
  refusalLine,
  refusalType,
  roleKeys,
  roleTarget,
  RoleConnectionError,
} from '../../cli/role-connection';
import { writeRunFile, type RunInfo } from '../../cli/run-file';
import { startBroker, type RunningBroker } from '../../local/broker/broker';
import { clusterArn, resourceArn } from '../../local/broker/auth/iam/arns';
import { createAuthorizer } from '../../local/broker/auth/iam/policy-evaluator';
import type { NamedPolicy, PolicyStatement } from '../../local/broker/auth/iam/types';
import {
  credentialsFileText,
  generateCredentials,
  writeCredentialFiles,
} from '../../local/runtime/iam/local-credentials';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../local/runtime/template/intrinsics';
import { capture } from '../support/command-io';

const CLUSTER = clusterArn({
  region: LOCAL_REGION,
  account: LOCAL_ACCOUNT,
  clusterName: 'kw-local',
  clusterUuid: '7d3c2b1a-1111-4222-8333-444455556666-1',
});
const topicArn = (name: string) => resourceArn(CLUSTER, 'topic', name);
const groupArn = (name: string) => resourceArn(CLUSTER, 'group', name);
const role = (name: string) => `arn:aws:iam::${LOCAL_ACCOUNT}:role/kw-dev-${name}`;

const allow = (action: string[], resource: string[]): PolicyStatement => ({
  Effect: 'Allow',
  Action: action.map((a) => `kafka-cluster:${a}`),
  Resource: resource,
});
const policy = (name: string, ...Statement: PolicyStatement[]): NamedPolicy => ({
  name,
  document: { Version: '2012-10-17', Statement },
});

/** ingest writes orders; enrich reads orders (group enrich) and writes orders.enriched; reader only reads. */
const POLICIES = new Map<string, NamedPolicy[]>([
  [
    role('ingest'),
    [
      policy(
        'ingest-produce',
        allow(['Connect'], [CLUSTER.arn]),
        allow(['DescribeTopic', 'WriteData'], [topicArn('orders')]),
      ),
    ],
  ],
  [
    role('enrich'),
    [
      policy(
        'enrich-consume-produce',
        allow(['Connect'], [CLUSTER.arn]),
        allow(['DescribeTopic', 'ReadData'], [topicArn('orders')]),
        allow(['DescribeTopic', 'WriteData'], [topicArn('orders.enriched')]),
        allow(['DescribeGroup', 'AlterGroup'], [groupArn('enrich')]),
      ),
    ],
  ],
  [
    role('reader'),
    [
      policy(
        'reader-read',
        allow(['Connect'], [CLUSTER.arn]),
        allow(['DescribeTopic', 'ReadData'], [topicArn('orders'), topicArn('orders.enriched')]),
      ),
    ],
  ],
]);

const credentials = generateCredentials(
  ['ingest', 'enrich', 'reader'].map((profile) => ({ roleArn: role(profile), profile })),
);

let broker: RunningBroker;
let dir: string;
let credentialsFile: string;
let runFile: string;
const savedRunFile = process.env.KW_RUN_FILE;
const log: string[] = [];

beforeAll(async () => {
  broker = await startBroker({
    port: 0,
    autoCreateTopics: false,
    log: (line) => log.push(line),
    iam: {
      credentials,
      authorizer: createAuthorizer(POLICIES),
      region: LOCAL_REGION,
      clusterArn: CLUSTER.arn,
    },
  });
  // The plain listener is not authorized per request: the topics are made there, as kw up's are.
  const admin = new Kafka({ brokers: [broker.bootstrapServers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({
    topics: ['orders', 'orders.enriched', 'payments'].map((topic) => ({ topic, numPartitions: 1 })),
  });
  await admin.disconnect();

  dir = mkdtempSync(path.join(tmpdir(), 'kw-as-role-'));
  const files = writeCredentialFiles(dir, credentials, LOCAL_REGION);
  credentialsFile = files.credentialsFile;
  const info: RunInfo = {
    pid: process.pid,
    bootstrapServers: broker.bootstrapServers,
    urls: [],
    iam: {
      bootstrapServers: broker.iamBootstrapServers,
      clusterArn: CLUSTER.arn,
      credentialsFile: files.credentialsFile,
      configFile: files.configFile,
      callerProfile: 'ingest',
      profiles: credentials.all.map((c) => c.profile),
    },
  };
  runFile = path.join(dir, 'run.json');
  writeRunFile(info, runFile);
  process.env.KW_RUN_FILE = runFile;
});

afterAll(async () => {
  if (savedRunFile === undefined) delete process.env.KW_RUN_FILE;
  else process.env.KW_RUN_FILE = savedRunFile;
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `kw ARGS` in process with `input` on stdin. */
async function kw(args: string[], input = '') {
  const io = capture(input);
  const code = await main(args, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('GIVEN a running kw up (a run file) and roles with small policies', () => {
  test('WHEN ingest produces to orders, which it may write THEN the record is sent', async () => {
    expect(await kw(['produce', 'orders', '--as-role', 'ingest'], 'order-1\n')).toEqual({
      code: 0,
      out: 'sent 1 record(s) to orders (partition 0 from offset 0)\n',
      err: '',
    });
  });

  test('WHEN enrich produces to orders, which it may only read THEN it ends with one line naming WriteData and the topic ARN, exit 1', async () => {
    const before = broker.stats().topics.find((t) => t.name === 'orders')!.partitions[0].highWatermark;
    const run = await kw(['produce', 'orders', '--as-role', 'enrich'], 'not mine\n');
    expect(run).toEqual({
      code: 1,
      out: '',
      err:
        `kw produce: role enrich is not authorized: TOPIC_AUTHORIZATION_FAILED on topic orders ` +
        `(MSK checks kafka-cluster:WriteData and DescribeTopic on ${topicArn('orders')}); ` +
        'the kw up log names the exact action\n',
    });
    expect(broker.stats().topics.find((t) => t.name === 'orders')!.partitions[0].highWatermark).toBe(before);
    // The broker's log (kw up's) names the one action that was refused.
    expect(log).toContain(
      `IAM authorization denied: kafka-cluster:WriteData on ${topicArn('orders')} is not allowed for ${role('enrich')} (no policy allows it)`,
    );
  });

  test('WHEN enrich produces to orders.enriched THEN it may', async () => {
    expect(await kw(['produce', 'orders.enriched', '--as-role', 'enrich'], 'enriched-1\n')).toMatchObject({
      code: 0,
    });
  });

  test('WHEN ingest produces to a topic it may not even describe THEN the refusal names it too (not "no topic")', async () => {
    const run = await kw(['produce', 'payments', '--as-role', 'ingest'], 'x\n');
    expect(run.code).toBe(1);
    expect(run.err).toBe(
      `kw produce: role ingest is not authorized: TOPIC_AUTHORIZATION_FAILED on topic payments ` +
        `(MSK checks kafka-cluster:WriteData and DescribeTopic on ${topicArn('payments')}); ` +
        'the kw up log names the exact action\n',
    );
  });

  test('WHEN ingest lists topics THEN only orders shows, with a note that the others are left out', async () => {
    expect(await kw(['topics', 'list', '--as-role', 'ingest'])).toEqual({
      code: 0,
      out: 'orders\n',
      err: "(as role ingest: topics it may not describe, kafka-cluster:DescribeTopic, are left out, as Kafka's Metadata leaves them out)\n",
    });
  });

  test('WHEN reader creates a topic THEN it is refused naming CreateTopic on that topic', async () => {
    const run = await kw(['topics', 'create', 'audit', '--as-role', 'reader']);
    expect(run).toMatchObject({ code: 1, out: '' });
    expect(run.err).toBe(
      `kw topics: role reader is not authorized: TOPIC_AUTHORIZATION_FAILED on topic audit ` +
        `(MSK checks kafka-cluster:CreateTopic and DescribeTopic on ${topicArn('audit')}); the kw up log names the exact action\n`,
    );
    expect(broker.cluster.topics.has('audit')).toBe(false);
  });

  test('WHEN enrich consumes orders as its group THEN it reads them', async () => {
    const args = ['consume', 'orders', '--as-role', 'enrich', '--group', 'enrich', '--from-beginning'];
    expect(await kw([...args, '--max-messages', '1'])).toEqual({
      code: 0,
      out: 'order-1\n',
      err: '1 record(s)\n',
    });
  });

  test('WHEN reader consumes as a group it may not use THEN the group refusal names AlterGroup and DescribeGroup, exit 1', async () => {
    const refused = await kw(['consume', 'orders', '--as-role', 'reader', '--group', 'audit']);
    expect(refused).toEqual({
      code: 1,
      out: '',
      err:
        '0 record(s)\n' +
        `kw consume: role reader is not authorized: GROUP_AUTHORIZATION_FAILED on group audit ` +
        `(MSK checks kafka-cluster:AlterGroup and DescribeGroup on ${groupArn('audit')}); ` +
        'the kw up log names the exact action\n',
    });
    // Without --group, kw consume's throwaway group needs the same.
    const throwaway = await kw(['consume', 'orders', '--as-role', 'reader', '--from-beginning']);
    expect(throwaway.code).toBe(1);
    expect(throwaway.err).toMatch(
      /GROUP_AUTHORIZATION_FAILED on group kw-console-[0-9a-f-]{36} \(MSK checks kafka-cluster:AlterGroup and DescribeGroup on arn:aws:kafka:us-east-1:000000000000:group\/kw-local\//,
    );
  });

  test('WHEN enrich moves its own group back to the start THEN it may, signed as itself on the IAM listener', async () => {
    const before = log.length;
    const run = await kw([
      'groups',
      'reset-offsets',
      'enrich',
      '--topic',
      'orders',
      '--to-earliest',
      '--as-role',
      'enrich',
    ]);
    // The group has committed before when the consume test ran first; alone, this makes it.
    expect(run).toMatchObject({
      code: 0,
      err: expect.stringMatching(/^(kw groups: note: there was no group named 'enrich'.*\n)?$/),
    });
    expect(run.out).toMatch(/^TOPIC\s+PARTITION\s+NEW OFFSET\norders\s+0\s+0\n$/);
    // Nothing was refused on the way, and the group reads the first record again.
    expect(log.slice(before).filter((line) => /denied|not allowed/i.test(line))).toEqual([]);
    const read = ['consume', 'orders', '--as-role', 'enrich', '--group', 'enrich', '--max-messages', '1'];
    expect(await kw(read)).toMatchObject({ code: 0, out: 'order-1\n' });
  });

  test('WHEN reader describes a group THEN the refusal names DescribeGroup on it', async () => {
    expect(await kw(['groups', 'describe', 'enrich', '--as-role', 'reader'])).toEqual({
      code: 1,
      out: '',
      err:
        `kw groups: role reader is not authorized: GROUP_AUTHORIZATION_FAILED on group enrich ` +
        `(MSK checks kafka-cluster:DescribeGroup on ${groupArn('enrich')}); the kw up log names the exact action\n`,
    });
  });

  test('WHEN reader deletes a group THEN the refusal names DeleteGroup, and the group stays', async () => {
    const run = await kw(['groups', 'delete', 'enrich', '--as-role', 'reader']);
    expect(run).toMatchObject({ code: 1, out: '' });
    expect(run.err).toContain(
      `GROUP_AUTHORIZATION_FAILED on group enrich (MSK checks kafka-cluster:DeleteGroup and DescribeGroup on ${groupArn('enrich')})`,
    );
    expect((await kw(['groups', 'list', '--as-role', 'enrich'])).out).toMatch(/^enrich\s/m);
  });

  test('WHEN the profile is not in the credentials file THEN the profiles it has are listed', async () => {
    expect(await kw(['topics', 'list', '--as-role', 'ledger'])).toEqual({
      code: 1,
      out: '',
      err: `kw topics: no profile 'ledger' in ${credentialsFile}; it has: ingest, enrich, reader\n`,
    });
  });

  test('WHEN --as-role comes with --cluster-arn THEN it is a usage error (exit 2)', async () => {
    const run = await kw(['produce', 'orders', '--as-role', 'ingest', '--cluster-arn', CLUSTER.arn], 'x\n');
    expect(run.code).toBe(2);
    expect(run.err).toMatch(
      /^kw produce: --as-role signs as a local role of the running kw up; on AWS \(--cluster-arn\) your own AWS credentials are used/,
    );
    expect((await kw(['topics', 'list', '--credentials', credentialsFile])).code).toBe(2);
  });

  test('WHEN the credentials file holds a wrong secret THEN sign-in is refused with the SASL line', async () => {
    const [ingest] = credentials.all;
    const wrong = path.join(dir, 'wrong-credentials');
    writeFileSync(wrong, credentialsFileText([{ ...ingest, secretAccessKey: 'not-the-secret-of-this-run' }]));
    const run = await kw(['topics', 'list', '--as-role', 'ingest', '--credentials', wrong]);
    expect(run).toEqual({
      code: 1,
      out: '',
      err:
        `kw topics: role ingest was refused at sign-in: SASL_AUTHENTICATION_FAILED (MSK checks the token's ` +
        `signature, made with profile ingest's keys in ${wrong}, then kafka-cluster:Connect on ${CLUSTER.arn}; ` +
        'keys from an earlier kw up run are no longer valid); the kw up log names the exact reason\n',
    });
  });
});

describe('GIVEN no running kw up', () => {
  test('WHEN --as-role has neither a run file nor --bootstrap and --credentials THEN it says how to get one', async () => {
    process.env.KW_RUN_FILE = path.join(dir, 'no-such-run.json');
    try {
      expect(await kw(['topics', 'list', '--as-role', 'ingest'])).toEqual({
        code: 1,
        out: '',
        err:
          "kw topics: no running 'kw up' with IAM found: start one with 'npm start', or pass " +
          "--bootstrap and --credentials (an IAM listener and the credentials file with profile 'ingest')\n",
      });
      // Both given: the run file is not needed.
      const listed = await kw([
        'topics',
        'list',
        '--as-role',
        'ingest',
        '--bootstrap',
        broker.iamBootstrapServers,
        '--credentials',
        credentialsFile,
      ]);
      expect(listed).toMatchObject({ code: 0, out: 'orders\n' });
    } finally {
      process.env.KW_RUN_FILE = runFile;
    }
  });
});

describe('the decisions, alone', () => {
  const run: RunInfo = {
    pid: 1,
    bootstrapServers: '127.0.0.1:9092',
    urls: [],
    iam: {
      bootstrapServers: '127.0.0.1:9098,127.0.0.1:9099',
      clusterArn: CLUSTER.arn,
      credentialsFile: '/run/aws/credentials',
      configFile: '/run/aws/config',
      callerProfile: 'caller',
      profiles: ['ingest', 'caller'],
    },
  };

  test('the run gives the IAM listeners and the credentials file; flags win over it', () => {
    expect(roleTarget({ 'as-role': 'ingest' }, run)).toEqual({
      profile: 'ingest',
      credentialsFile: '/run/aws/credentials',
      bootstrapServers: ['127.0.0.1:9098', '127.0.0.1:9099'],
      clusterArn: CLUSTER.arn,
      region: LOCAL_REGION,
    });
    expect(
      roleTarget({ 'as-role': 'ingest', bootstrap: 'h:1', credentials: '/mine', region: 'eu-west-1' }, run),
    ).toMatchObject({ bootstrapServers: ['h:1'], credentialsFile: '/mine', region: 'eu-west-1' });
  });

  test('a run without IAM is named as such; a bad --bootstrap is named', () => {
    const plain: RunInfo = { ...run, iam: undefined };
    expect(() => roleTarget({ 'as-role': 'ingest' }, plain)).toThrow(
      /the running kw up does not enforce IAM \(it was started with --no-iam, or on an existing cluster\)/,
    );
    expect(() => roleTarget({ 'as-role': 'ingest', bootstrap: 'nohost' }, run)).toThrow(
      new RoleConnectionError("--bootstrap: 'nohost' is not host:port (in 'nohost')"),
    );
  });

  test('flag combinations that make no sense', () => {
    expect(connectionFlagProblem({ 'as-role': 'x', 'cluster-arn': CLUSTER.arn })).toMatch(/drop one of them/);
    expect(connectionFlagProblem({ credentials: '/f' })).toMatch(/add --as-role NAME/);
    expect(connectionFlagProblem({ 'as-role': 'x', credentials: '/f', bootstrap: 'h:1' })).toBeUndefined();
  });

  test('profiles are read from the file; an unknown one lists them', () => {
    const text = '# role\n[ingest]\naws_access_key_id = AKIA1\naws_secret_access_key = s1\n\n[ledger]\n';
    expect(profileNames(text)).toEqual(['ingest', 'ledger']);
    expect(roleKeys(text, { profile: 'ingest', credentialsFile: 'f' })).toEqual({
      accessKeyId: 'AKIA1',
      secretAccessKey: 's1',
    });
    expect(() => roleKeys(text, { profile: 'enrich', credentialsFile: 'f' })).toThrow(
      "no profile 'enrich' in f; it has: ingest, ledger",
    );
    expect(() => roleKeys(text, { profile: 'ledger', credentialsFile: 'f' })).toThrow(
      /no profile "ledger" with aws_access_key_id and aws_secret_access_key in f/,
    );
  });

  test('a refusal is found wherever kafkajs put it', () => {
    expect(refusalType({ type: 'TOPIC_AUTHORIZATION_FAILED' })).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(
      refusalType({ name: 'KafkaJSNumberOfRetriesExceeded', cause: { type: 'GROUP_AUTHORIZATION_FAILED' } }),
    ).toBe('GROUP_AUTHORIZATION_FAILED');
    expect(refusalType({ errors: [{ type: 'TOPIC_AUTHORIZATION_FAILED' }] })).toBe(
      'TOPIC_AUTHORIZATION_FAILED',
    );
    expect(refusalType({ groups: [{ error: { type: 'GROUP_AUTHORIZATION_FAILED' } }] })).toBe(
      'GROUP_AUTHORIZATION_FAILED',
    );
    expect(refusalType({ name: 'KafkaJSSASLAuthenticationError' })).toBe('SASL_AUTHENTICATION_FAILED');
    expect(refusalType({ type: 'NOT_ENOUGH_REPLICAS' })).toBeUndefined();
  });

  test('on a plaintext cluster (no role, no ARN) a refusal names no IAM actions', () => {
    expect(
      refusalLine(
        'TOPIC_AUTHORIZATION_FAILED',
        { command: 'produce' },
        { operation: 'produce', topic: 'orders' },
      ),
    ).toBe('kw produce: the cluster refused the request: TOPIC_AUTHORIZATION_FAILED (topic orders)');
  });

  test('each operation names its own actions; without the cluster ARN, its shape', () => {
    const who = { command: 'groups', role: 'ledger' };
    expect(
      refusalLine(
        'GROUP_AUTHORIZATION_FAILED',
        { ...who, clusterArn: CLUSTER.arn },
        {
          operation: 'groups reset-offsets',
          topic: 'orders',
          group: 'workers',
        },
      ),
    ).toContain(`MSK checks kafka-cluster:AlterGroup and DescribeGroup on ${groupArn('workers')}`);
    expect(refusalLine('TOPIC_AUTHORIZATION_FAILED', who, { operation: 'groups describe', group: 'g' })).toBe(
      'kw groups: role ledger is not authorized: TOPIC_AUTHORIZATION_FAILED on a topic ' +
        '(MSK checks kafka-cluster:DescribeTopic on arn:aws:kafka:<region>:<account>:topic/<cluster>/<uuid>/<topic>); ' +
        'the kw up log names the exact action',
    );
    expect(
      refusalLine(
        'TOPIC_AUTHORIZATION_FAILED',
        { command: 'topics', clusterArn: CLUSTER.arn },
        {
          operation: 'topics delete',
          topic: 'old',
        },
      ),
    ).toBe(
      `kw topics: your AWS credentials are not authorized: TOPIC_AUTHORIZATION_FAILED on topic old ` +
        `(MSK checks kafka-cluster:DeleteTopic and DescribeTopic on ${topicArn('old')})`,
    );
  });
});
