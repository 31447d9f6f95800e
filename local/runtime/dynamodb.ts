/**
 * The local DynamoDB endpoint: dynalite (a maintained implementation of DynamoDB's API on LevelDB) on
 * a loopback port, in memory or in a folder, with the template's tables created through the AWS SDK.
 */
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';
import type { LocalTableSpec } from './assembly';
import { LOCAL_REGION } from './assembly';

export interface LocalDynamoDB {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  close(): Promise<void>;
}

export async function startDynamoDB(options: {
  port: number;
  host: string;
  dataDir?: string;
}): Promise<LocalDynamoDB> {
  const server = dynalite({ path: options.dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`DynamoDB port ${options.port} on ${options.host} is in use: pass --dynamodb-port`)
          : error,
      ),
    );
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://${options.host}:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    endpoint,
    client,
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
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
