/**
 * `kw up` in process: the synthesized app (the same cdk.out `kw up` runs) with IAM enforced.
 * Functions reach Kafka through the broker's IAM listener with their role's local credentials (the
 * MSK signer in kafka-client.ts, as on AWS), each mapping's poller authenticates as its function's
 * role, and the ingest URL (AuthType AWS_IAM) wants requests signed by a principal allowed
 * lambda:InvokeFunctionUrl.
 *
 * Then a variant of the app with two grants removed from the template (a copy of cdk.out): the
 * ledger's role without kafka-cluster:AlterGroup, ingest's without kafka-cluster:WriteData. Each must
 * fail as AWS shows it: the ledger's mapping with AWS's LastProcessingResult and a log line naming
 * the action and the group's ARN, ingest with an error and the denial naming WriteData and the topic ARN.
 */
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { functionUrlSigner, readProfileKeys } from '../../local/runtime/iam/url-signing';
import { PROJECT_ROOT, synthesizeIfStale } from '../../cli/synth';
import { groupArn, parseClusterArn, topicArn } from '../../local/broker/auth/iam/arns';
import { PROCESSING_RESULT } from '../../local/runtime/esm/mapping-poller';
import { shortName } from '../../local/runtime/provisioning/functions';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime/runtime';
import { LOCAL_REGION } from '../../local/runtime/template/intrinsics';
import { until } from '../support/until';

const ASSEMBLY = path.join(PROJECT_ROOT, 'cdk.out');
const FORBIDDEN_BODY = {
  Message:
    'Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html',
};

const order = (orderId: string) =>
  JSON.stringify({
    orderId,
    customerId: 'iam-customer',
    currency: 'EUR',
    items: [{ sku: 'tea', quantity: 2, unitPrice: 3 }],
  });

/** POSTs `body` to the runtime's ingest URL, signed with `profile` of its credentials file (unsigned without one). */
async function post(runtime: LocalRuntime, body: string, profile?: string) {
  const url = new URL(runtime.urls[0].url);
  let headers: Record<string, string> = { 'content-type': 'application/json' };
  if (profile) {
    const keys = readProfileKeys(runtime.iam!.files.credentialsFile, profile);
    headers = await functionUrlSigner(keys, LOCAL_REGION)('POST', url, headers, body);
  }
  delete headers.host; // fetch sets it, to the same value
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function start(assembly: string, log: string[]): Promise<LocalRuntime> {
  return startLocalRuntime({
    assembly,
    iam: true,
    brokerPort: 0,
    httpPort: 0,
    dynamodbPort: 0,
    log: (line) => log.push(line),
  });
}

describe('kw up with IAM enforced', () => {
  jest.setTimeout(240_000);
  let runtime: LocalRuntime;
  const log: string[] = [];

  beforeAll(async () => {
    await synthesizeIfStale(ASSEMBLY, {});
    runtime = await start(ASSEMBLY, log);
  }, 180_000);
  afterAll(() => runtime?.close());

  it('GIVEN the app as synthesized WHEN an order is posted signed with the caller profile THEN it reaches the ledger, every mapping polls as its role and reports OK', async () => {
    const answer = await post(runtime, order('iam-1'), runtime.iam!.callerProfile);
    expect(answer).toMatchObject({ status: 202, body: { orderId: 'iam-1' } });

    const doc = DynamoDBDocumentClient.from(runtime.dynamodb.client);
    const table = runtime.assembly.tables[0].name;
    await until(
      async () =>
        (await doc.send(new GetCommand({ TableName: table, Key: { pk: 'ORDER#iam-1', sk: 'ORDER' } }))).Item,
      () => `order iam-1 to reach the ledger table:\n${log.join('\n')}`,
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const results = runtime.snapshot().mappings.map((m) => [m.name, m.lastProcessingResult]);
    expect(results.length).toBeGreaterThan(0);
    for (const [, result] of results) expect(result).toBe(PROCESSING_RESULT.ok);
    // Functions were given the IAM listener and their own profile, not placeholder keys.
    const ingest = [...runtime.functions.values()].find(
      (f) => shortName(f.spec) === runtime.urls[0].functionName,
    )!;
    expect(ingest.pool.spec.environment).toMatchObject({
      KAFKA_AUTH: 'iam',
      KAFKA_TLS: 'false',
      KAFKA_BOOTSTRAP_SERVERS: runtime.iam!.bootstrapServers,
      AWS_PROFILE: 'ingest',
      AWS_SHARED_CREDENTIALS_FILE: runtime.iam!.files.credentialsFile,
    });
    expect(ingest.pool.spec.environment.AWS_ACCESS_KEY_ID).toBeUndefined();
    expect(log.join('\n')).not.toMatch(/SASL authentication failed|AUTHORIZATION_FAILED/);
  });

  it('GIVEN an AWS_IAM Function URL WHEN a request is unsigned, or signed by a role without lambda:InvokeFunctionUrl THEN AWS answers 403 Forbidden and the log says why', async () => {
    const unsigned = await post(runtime, order('iam-unsigned'));
    expect(unsigned).toEqual({ status: 403, body: FORBIDDEN_BODY });
    expect(log.join('\n')).toMatch(/refused \(403\): the request is not signed/);

    const asIngest = await post(runtime, order('iam-as-ingest'), 'ingest');
    expect(asIngest).toEqual({ status: 403, body: FORBIDDEN_BODY });
    expect(log.join('\n')).toMatch(
      /lambda:InvokeFunctionUrl on arn:aws:lambda:\S+ is not allowed for arn:aws:iam::\S+:role\//,
    );
  });
});

/** A copy of the assembly in a temporary folder (assets linked, not copied) whose pipeline template `edit` changes. */
function editedAssembly(edit: (template: Template) => void): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-iam-variant-'));
  for (const name of readdirSync(ASSEMBLY)) {
    const from = path.join(ASSEMBLY, name);
    if (statSync(from).isDirectory()) symlinkSync(from, path.join(dir, name));
    else cpSync(from, path.join(dir, name));
  }
  const file = readdirSync(dir).find((n) => /pipeline\.template\.json$/.test(n))!;
  const template = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Template;
  edit(template);
  writeFileSync(path.join(dir, file), JSON.stringify(template));
  return dir;
}

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

/** Removes `action` from every statement of the policies attached to the role whose logical id starts with `rolePrefix`. */
function withoutAction(template: Template, rolePrefix: string, action: string): void {
  let removed = 0;
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const roles = resource.Properties.Roles as { Ref?: string }[];
    if (!roles.some((r) => r.Ref?.startsWith(rolePrefix))) continue;
    const doc = resource.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] };
    for (const s of doc.Statement) {
      const actions = [s.Action].flat();
      if (!actions.includes(action)) continue;
      s.Action = actions.filter((a) => a !== action);
      removed++;
    }
  }
  if (removed === 0) throw new Error(`no statement of ${rolePrefix}'s policies grants ${action}`);
}

describe('kw up with IAM enforced, a variant of the app with grants removed', () => {
  jest.setTimeout(240_000);
  let runtime: LocalRuntime;
  let dir: string;
  const log: string[] = [];

  beforeAll(async () => {
    await synthesizeIfStale(ASSEMBLY, {});
    dir = editedAssembly((t) => {
      withoutAction(t, 'LedgerRole', 'kafka-cluster:AlterGroup');
      withoutAction(t, 'IngestRole', 'kafka-cluster:WriteData');
    });
    runtime = await start(dir, log);
  }, 180_000);
  afterAll(async () => {
    await runtime?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('GIVEN the ledger role without kafka-cluster:AlterGroup THEN its mapping shows "PROBLEM: Cluster failed to authorize Lambda." and the log names the action and the group ARN', async () => {
    const ledger = runtime.mappings.find((m) => m.spec.consumerGroupId.endsWith('ledger'))!;
    await until(
      () => ledger.poller.lastProcessingResult === PROCESSING_RESULT.authorization,
      () =>
        `the ledger mapping to be refused (now ${ledger.poller.lastProcessingResult}):\n${log.join('\n')}`,
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const group = groupArn(parseClusterArn(runtime.iam!.clusterArn), ledger.spec.consumerGroupId);
    const line = log.find((l) => l.includes(PROCESSING_RESULT.authorization) && l.includes(group));
    expect(line).toContain(`kafka-cluster:AlterGroup on ${group} is not allowed for`);
    // Refused on each of its partitions and on every retry, but one problem: logged once.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(log.filter((l) => l.includes(PROCESSING_RESULT.authorization))).toHaveLength(1);
    // The other mappings' roles keep their grants.
    for (const m of runtime.mappings.filter((m) => m !== ledger))
      expect(m.poller.lastProcessingResult).not.toBe(PROCESSING_RESULT.authorization);
    expect(runtime.snapshot().mappings.find((m) => m.group === ledger.spec.consumerGroupId)).toMatchObject({
      lastProcessingResult: PROCESSING_RESULT.authorization,
    });
  });

  it('GIVEN the ingest role without kafka-cluster:WriteData WHEN an order is posted THEN ingest answers an error and the denial names WriteData and the topic ARN', async () => {
    const answer = await post(runtime, order('iam-denied'), runtime.iam!.callerProfile);
    expect(answer.status).toBe(503);
    const topic = topicArn(parseClusterArn(runtime.iam!.clusterArn), 'orders');
    // The function's own answer names the permission and the ARN, not only the broker's log.
    expect(JSON.stringify(answer.body)).toContain(
      `(TOPIC_AUTHORIZATION_FAILED); its role needs kafka-cluster:WriteData on ${topic}`,
    );
    await until(
      () => log.some((l) => l.includes(`kafka-cluster:WriteData on ${topic}`)),
      () => `a denial naming kafka-cluster:WriteData on ${topic}:\n${log.join('\n')}`,
      { timeoutMs: 10_000, intervalMs: 50 },
    );
  });
});

describe('kw up with IAM enforced, the topic-admin custom resource without CreateTopic', () => {
  jest.setTimeout(120_000);

  it('GIVEN the topic-admin role without kafka-cluster:CreateTopic THEN start-up stops before creating any topic, naming the action, the topic ARN and the role, as the deployment would fail at that custom resource', async () => {
    await synthesizeIfStale(ASSEMBLY, {});
    const dir = editedAssembly((t) =>
      withoutAction(t, 'TopicsAdminFunctionRole', 'kafka-cluster:CreateTopic'),
    );
    try {
      const log: string[] = [];
      const failed = await start(dir, log).then(
        async (runtime) => {
          await runtime.close();
          return undefined;
        },
        (error: Error) => error,
      );
      expect(failed?.message).toMatch(
        /^topic orders \(kw-dev-pipeline\/TopicsOrders\w+\): its custom resource's function kw-dev-pipeline\/TopicsAdminFunction\w+ could not create it on MSK, so the deployment would fail here \(CREATE_FAILED\): kafka-cluster:CreateTopic on arn:aws:kafka:us-east-1:\d{12}:topic\/kw-dev\/[^/]+\/orders is not allowed for arn:aws:iam::\d{12}:role\/\S+$/,
      );
      expect(log.some((l) => /topic \S+: created/.test(l))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
