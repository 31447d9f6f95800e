/**
 * `npm run localstack:smoke`: posts an order to the ingest URL LocalStack created and waits until
 * the ledger table has it, reading both from the pipeline stack's outputs. Talks to LocalStack at
 * http://localhost:4566 (LOCALSTACK_ENDPOINT to change), with LocalStack's placeholder credentials.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { pipelineOutputs, waitForOrder } from '../scripts/pipeline-probes';

const endpoint = process.env.LOCALSTACK_ENDPOINT ?? 'http://localhost:4566';
const stage = process.env.STAGE ?? 'local';
const config = {
  endpoint,
  region: process.env.AWS_REGION ?? 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
};

async function main(): Promise<void> {
  const { ingestUrl, table } = await pipelineOutputs(
    new CloudFormationClient(config),
    stage,
    ": did 'npm run localstack:deploy' finish?",
  );
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
  await waitForOrder(new DynamoDBClient(config), table, orderId, {
    deadline: Date.now() + 180_000,
    pollMs: 2000,
    timeoutMessage: `order ${orderId} did not reach ${table} within 3 minutes`,
    onWait: () => process.stdout.write('.'),
  });
  console.log(`order ${orderId} is in ${table}: the pipeline works on LocalStack`);
}

main().catch((error: unknown) => {
  console.error(`localstack smoke: ${(error as Error).message}`);
  process.exit(1);
});
