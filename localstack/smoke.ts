/**
 * `npm run localstack:smoke`: posts an order to the ingest URL LocalStack created and waits until
 * the ledger table has it, reading both from the pipeline stack's outputs. Talks to LocalStack at
 * http://localhost:4566 (LOCALSTACK_ENDPOINT to change), with LocalStack's placeholder credentials.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';

const endpoint = process.env.LOCALSTACK_ENDPOINT ?? 'http://localhost:4566';
const stage = process.env.STAGE ?? 'local';
const config = {
  endpoint,
  region: process.env.AWS_REGION ?? 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
};

async function main(): Promise<void> {
  const cfn = new CloudFormationClient(config);
  const stackName = `kw-${stage}-pipeline`;
  const outputs =
    (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0]?.Outputs ?? [];
  const output = (key: string) => {
    const value = outputs.find((o) => o.OutputKey === key)?.OutputValue;
    if (!value) throw new Error(`${stackName} has no output ${key}: did 'npm run localstack:deploy' finish?`);
    return value;
  };
  const ingestUrl = output('IngestUrl');
  const table = output('LedgerTableName');
  const orderId = `smoke-${Date.now()}`;
  const res = await fetch(ingestUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      orderId,
      customerId: 'smoke',
      items: [{ sku: 'tea', quantity: 1, unitPrice: 2 }],
    }),
  });
  console.log(`POST ${ingestUrl}: ${res.status} ${await res.text()}`);
  if (res.status !== 202) process.exit(1);
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(config));
  const deadline = Date.now() + 180_000;
  for (;;) {
    const { Items = [] } = await doc.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
    if (Items.some((i) => i.orderId === orderId)) {
      console.log(`order ${orderId} is in ${table}: the pipeline works on LocalStack`);
      return;
    }
    if (Date.now() > deadline) throw new Error(`order ${orderId} did not reach ${table} within 3 minutes`);
    process.stdout.write('.');
    await new Promise((r) => setTimeout(r, 2000));
  }
}

main().catch((error: unknown) => {
  console.error(`localstack smoke: ${(error as Error).message}`);
  process.exit(1);
});
