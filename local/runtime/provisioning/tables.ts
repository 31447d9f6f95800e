/** The template's DynamoDB tables on the local endpoint; tables kept in the data dir are left as they are. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LocalTableSpec } from '../assembly';
import { createTable } from '../dynamodb';

/** Creates the tables that are missing; resolves to whether any was (the rest came from the data dir). */
export async function provisionTables(
  tables: readonly LocalTableSpec[],
  client: DynamoDBClient,
  log: (message: string) => void,
): Promise<boolean> {
  let created = false;
  for (const table of tables) {
    const result = await createTable(client, table);
    created ||= result === 'created';
    log(`table ${table.name}: ${result === 'created' ? 'created' : 'kept from the data dir'}`);
  }
  return created;
}
