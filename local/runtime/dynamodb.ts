/**
 * The local DynamoDB endpoint: dynalite (a maintained implementation of DynamoDB's API on LevelDB) on
 * a loopback port in a process of its own, in memory or in a folder; tables are created from the
 * template through the AWS SDK.
 */
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { fork } from 'node:child_process';
import * as path from 'node:path';
import type { LocalTableSpec } from './assembly';
import { LOCAL_REGION } from './assembly';

export interface LocalDynamoDB {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /** Requests served so far, per operation (PutItem, UpdateItem, ...), by every client. */
  requestCounts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export async function startDynamoDB(options: {
  port: number;
  host: string;
  dataDir?: string;
}): Promise<LocalDynamoDB> {
  const child = fork(
    path.join(__dirname, 'dynamodb-process.ts'),
    [String(options.port), options.host, options.dataDir ?? ''],
    {
      execArgv: ['--require', require.resolve('tsx/cjs')],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      detached: true, // stopped by close(), not by the terminal's Ctrl-C
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port?: number; error?: string }) => {
      if (m.port !== undefined) resolve(m.port);
      else
        reject(
          new Error(
            m.error === 'EADDRINUSE'
              ? `DynamoDB port ${options.port} on ${options.host} is in use: pass --dynamodb-port`
              : `DynamoDB (dynalite) failed to start: ${m.error}`,
          ),
        );
    });
    child.once('exit', (code) =>
      reject(new Error(`DynamoDB (dynalite) exited with code ${code} before listening`)),
    );
  });
  const endpoint = `http://${options.host}:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    endpoint,
    client,
    requestCounts: () =>
      new Promise((resolve, reject) => {
        const onMessage = (m: { requests?: Record<string, number> }) => {
          if (!m.requests) return;
          child.off('message', onMessage);
          resolve(m.requests);
        };
        child.on('message', onMessage);
        if (!child.connected) {
          child.off('message', onMessage);
          reject(new Error('DynamoDB (dynalite) is not running'));
          return;
        }
        child.send({ type: 'requests' });
      }),
    async close() {
      client.destroy();
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Creates a table from its template properties; an existing table (kept in --data-dir) is left as is. */
export async function createTable(
  client: DynamoDBClient,
  table: LocalTableSpec,
): Promise<'created' | 'exists'> {
  const p = table.properties as Partial<CreateTableCommandInput> & { BillingMode?: string };
  const input: CreateTableCommandInput = {
    TableName: table.name,
    AttributeDefinitions: p.AttributeDefinitions,
    KeySchema: p.KeySchema,
    GlobalSecondaryIndexes: p.GlobalSecondaryIndexes,
    LocalSecondaryIndexes: p.LocalSecondaryIndexes,
    BillingMode: p.BillingMode === 'PROVISIONED' ? 'PROVISIONED' : 'PAY_PER_REQUEST',
    ProvisionedThroughput: p.BillingMode === 'PROVISIONED' ? p.ProvisionedThroughput : undefined,
  };
  try {
    await client.send(new CreateTableCommand(input));
    return 'created';
  } catch (error) {
    if ((error as Error).name === 'ResourceInUseException') return 'exists';
    throw new Error(`table ${table.name} (${table.id}): ${(error as Error).message}`);
  }
}
