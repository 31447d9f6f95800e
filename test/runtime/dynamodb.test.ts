/**
 * The local DynamoDB endpoint (dynalite in a process of its own): it counts the requests it serves
 * per operation, which the pipeline bench reads to report round trips per order.
 */
import { CreateTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { startDynamoDB } from '../../local/runtime/dynamodb';

test('GIVEN requests of several operations THEN the endpoint counts each operation, and says so when it has stopped', async () => {
  const db = await startDynamoDB({ port: 0, host: '127.0.0.1' });
  try {
    await db.client.send(
      new CreateTableCommand({
        TableName: 'counted',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    for (const pk of ['a', 'b']) {
      await db.client.send(new PutItemCommand({ TableName: 'counted', Item: { pk: { S: pk } } }));
    }
    await db.client.send(new GetItemCommand({ TableName: 'counted', Key: { pk: { S: 'a' } } }));
    expect(await db.requestCounts()).toEqual({ CreateTable: 1, PutItem: 2, GetItem: 1 });
  } finally {
    await db.close();
  }
  await expect(db.requestCounts()).rejects.toThrow('DynamoDB (dynalite) is not running');
});
