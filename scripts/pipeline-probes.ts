/**
 * Checks on a deployed pipeline shared by the smoke tests (`scripts/sandbox-smoke.ts` for AWS,
 * `localstack/smoke.ts` for LocalStack): where the pipeline stack says its ingest URL and ledger
 * table are, and waiting until an order has reached that table.
 */
import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ledgerKeys } from '../functions/ledger/ledger-writer';
import { stackNames } from '../lib/stack-names';

export interface PipelineOutputs {
  readonly stack: string;
  readonly ingestUrl: string;
  readonly table: string;
}

/**
 * The pipeline stack's ingest URL and ledger table, from its outputs.
 * @param hint appended to the error when an output is missing (what to check first)
 */
export async function pipelineOutputs(
  cfn: Pick<CloudFormationClient, 'send'>,
  stage: string,
  hint = '',
): Promise<PipelineOutputs> {
  const stack = stackNames(stage).pipeline;
  const outputs =
    (await cfn.send(new DescribeStacksCommand({ StackName: stack }))).Stacks?.[0]?.Outputs ?? [];
  const output = (key: string) => {
    const value = outputs.find((o) => o.OutputKey === key)?.OutputValue;
    if (!value) throw new Error(`${stack} has no output ${key}${hint}`);
    return value;
  };
  return { stack, ingestUrl: output('IngestUrl'), table: output('LedgerTableName') };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls the ledger table (consistent reads) until the order is there; throws `timeoutMessage` at the deadline. */
export async function waitForOrder(
  dynamodb: Pick<DynamoDBClient, 'send'>,
  table: string,
  orderId: string,
  options: {
    readonly deadline: number;
    readonly pollMs: number;
    readonly timeoutMessage: string;
    readonly onWait?: () => void;
  },
): Promise<void> {
  const doc = DynamoDBDocumentClient.from(dynamodb as DynamoDBClient);
  for (;;) {
    const { Item } = await doc.send(
      new GetCommand({ TableName: table, Key: ledgerKeys.order(orderId), ConsistentRead: true }),
    );
    if (Item) return;
    if (Date.now() > options.deadline) throw new Error(options.timeoutMessage);
    options.onWait?.();
    await sleep(options.pollMs);
  }
}
