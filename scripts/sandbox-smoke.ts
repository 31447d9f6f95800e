/**
 * Smoke test of a deployed sandbox stage (run by .github/workflows/sandbox.yml after `cdk deploy`):
 * posts an order to the ingest URL signed with SigV4 (the URL uses AWS_IAM auth), waits until the
 * ledger table has it, then until both mappings' OffsetLag is 0. Exit 0 on success, 1 with the
 * reason otherwise.
 *
 * Usage: tsx scripts/sandbox-smoke.ts --stage S [--region R] [--timeout-s 900]
 */
import { CloudFormationClient, DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { parseArgs } from 'node:util';
import { pipelineOutputs, sleep, waitForOrder } from './pipeline-probes';

type AwsCredentialIdentityProvider = ReturnType<typeof defaultProvider>;

export interface SmokeClients {
  readonly cfn: Pick<CloudFormationClient, 'send'>;
  readonly dynamodb: Pick<DynamoDBClient, 'send'>;
  readonly cloudwatch: Pick<CloudWatchClient, 'send'>;
  readonly credentials: AwsCredentialIdentityProvider;
}

export interface SmokeOptions {
  readonly stage: string;
  readonly region: string;
  readonly timeoutMs: number;
  readonly pollMs?: number;
  readonly log: (line: string) => void;
}

/** A POST signed with SigV4 for a Lambda Function URL (service `lambda`). */
async function signedPost(
  url: string,
  body: string,
  region: string,
  credentials: AwsCredentialIdentityProvider,
): Promise<{ status: number; text: string }> {
  const target = new URL(url);
  const signer = new SignatureV4({ service: 'lambda', region, credentials, sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: target.protocol,
    hostname: target.hostname,
    port: target.port ? Number(target.port) : undefined,
    path: target.pathname,
    headers: { host: target.host, 'content-type': 'application/json' },
    body,
  });
  const res = await fetch(url, { method: 'POST', headers: signed.headers as Record<string, string>, body });
  return { status: res.status, text: await res.text() };
}

export async function smoke(clients: SmokeClients, options: SmokeOptions): Promise<void> {
  const pollMs = options.pollMs ?? 5000;
  const deadline = Date.now() + options.timeoutMs;
  const { stack, ingestUrl, table } = await pipelineOutputs(clients.cfn, options.stage);

  const orderId = `smoke-${Date.now()}`;
  const order = { orderId, customerId: 'smoke', items: [{ sku: 'tea', quantity: 2, unitPrice: 3.5 }] };
  const posted = await signedPost(ingestUrl, JSON.stringify(order), options.region, clients.credentials);
  options.log(`POST ${ingestUrl}: ${posted.status} ${posted.text}`);
  if (posted.status !== 202) throw new Error(`ingest answered ${posted.status}: ${posted.text}`);

  await waitForOrder(clients.dynamodb, table, orderId, {
    deadline,
    pollMs,
    timeoutMessage: `order ${orderId} did not reach ${table} in time`,
  });
  options.log(`order ${orderId} is in ${table}`);

  // The mappings' lag, from the Lambda metric AWS publishes per function.
  const resources =
    (await clients.cfn.send(new DescribeStackResourcesCommand({ StackName: stack }))).StackResources ?? [];
  const consumers = resources
    .filter(
      (r) => r.ResourceType === 'AWS::Lambda::Function' && /^(Enrich|Ledger)/.test(r.LogicalResourceId ?? ''),
    )
    .map((r) => r.PhysicalResourceId!);
  if (consumers.length !== 2)
    throw new Error(`expected the enrich and ledger functions in ${stack}, found ${consumers.length}`);
  for (;;) {
    const now = new Date();
    const out = await clients.cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(now.getTime() - 10 * 60_000),
        EndTime: now,
        MetricDataQueries: consumers.map((name, i) => ({
          Id: `lag${i}`,
          MetricStat: {
            Metric: {
              Namespace: 'AWS/Lambda',
              MetricName: 'OffsetLag',
              Dimensions: [{ Name: 'FunctionName', Value: name }],
            },
            Period: 60,
            Stat: 'Maximum',
          },
        })),
        ScanBy: 'TimestampDescending',
      }),
    );
    const latest = (out.MetricDataResults ?? []).map((r) => r.Values?.[0]);
    options.log(`OffsetLag (latest): ${latest.map((v) => v ?? 'no data').join(', ')}`);
    if (latest.length === consumers.length && latest.every((v) => v === 0)) return;
    if (Date.now() > deadline) throw new Error('consumer lag did not reach 0 in time');
    await sleep(pollMs);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stage: { type: 'string' },
      region: { type: 'string' },
      'timeout-s': { type: 'string', default: '900' },
    },
  });
  const region = values.region ?? process.env.AWS_REGION;
  if (!values.stage || !region) throw new Error('usage: tsx scripts/sandbox-smoke.ts --stage S [--region R]');
  const credentials = defaultProvider();
  await smoke(
    {
      cfn: new CloudFormationClient({ region, credentials }),
      dynamodb: new DynamoDBClient({ region, credentials }),
      cloudwatch: new CloudWatchClient({ region, credentials }),
      credentials,
    },
    {
      stage: values.stage,
      region,
      timeoutMs: Number(values['timeout-s']) * 1000,
      log: (l) => console.log(l),
    },
  );
  console.log('smoke test passed');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`smoke test failed: ${(error as Error).message}`);
    process.exit(1);
  });
}
