/**
 * The ledger's table writes, built so that applying the same enriched record twice leaves the table
 * exactly as applying it once (event source mappings deliver at least once).
 *
 * Two items per order, each written with a condition:
 * - `ORDER#<orderId> / ORDER`: put only if absent. If present and it came from the same source record,
 *   this is a replay; from another record, the client sent the same orderId twice (an ingest retry) and
 *   the order must not count again.
 * - `CUSTOMER#<customerId> / TOTALS#<currency>`: running totals, updated only if this record's source
 *   offset is beyond the last one applied from its source partition (`applied:<topic>:<partition>`).
 *   A customer's orders share a key, hence a partition, hence arrive in offset order.
 * The order is written first, so an order that did not exist before cannot be in the totals yet: it is
 * added even when its offset is behind the mark (a record redriven from the dead-letter topic). A
 * replay of a record whose order already exists relies on the mark, which holds because the ledger's
 * mapping never skips a batch. Either write may be the one a crash interrupts; the replay completes the
 * other and repeats neither.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { EnrichedOrder } from '../commons/orders';

/** What applying one record did. */
export type LedgerOutcome = 'applied' | 'replayed' | 'duplicate-order';

/** Key helpers, so tests and tools read the table the same way the ledger writes it. */
export const ledgerKeys = {
  order: (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'ORDER' }),
  totals: (customerId: string, currency: string) => ({
    pk: `CUSTOMER#${customerId}`,
    sk: `TOTALS#${currency}`,
  }),
};

export class LedgerWriter {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  /** Applies one enriched order; safe to call again with the same order and source. */
  async apply(order: EnrichedOrder): Promise<LedgerOutcome> {
    const source = `${order.source.topic}:${order.source.partition}:${order.source.offset}`;
    const isNew = await this.putOrderOnce(order, source);
    if (isNew === 'other-source') return 'duplicate-order';
    if (isNew === 'created') {
      if (!(await this.addToTotals(order, true))) await this.addToTotals(order, false);
      return 'applied';
    }
    return (await this.addToTotals(order, true)) ? 'applied' : 'replayed';
  }

  private async putOrderOnce(
    order: EnrichedOrder,
    source: string,
  ): Promise<'created' | 'same-source' | 'other-source'> {
    const key = ledgerKeys.order(order.orderId);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...key,
            type: 'order',
            orderId: order.orderId,
            customerId: order.customerId,
            currency: order.currency,
            totalCents: order.totals.totalCents,
            total: order.totals.total,
            lines: order.totals.lines,
            quantity: order.totals.quantity,
            classification: order.classification,
            receivedAt: order.receivedAt,
            source,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return 'created';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const existing = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: key,
        ProjectionExpression: '#s',
        ExpressionAttributeNames: { '#s': 'source' },
        ConsistentRead: true,
      }),
    );
    return existing.Item?.source === source ? 'same-source' : 'other-source';
  }

  /**
   * Adds the order to its customer's totals. With `advanceMark`, only if this source offset is beyond
   * the partition's mark, which moves to it; without, unconditionally and leaving the mark alone.
   */
  private async addToTotals(order: EnrichedOrder, advanceMark: boolean): Promise<boolean> {
    const names: Record<string, string> = { '#type': 'type' };
    if (advanceMark) names['#applied'] = `applied:${order.source.topic}:${order.source.partition}`;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: ledgerKeys.totals(order.customerId, order.currency),
          UpdateExpression: `SET #type = :type, customerId = :customer, currency = :currency${advanceMark ? ', #applied = :offset' : ''} ADD orderCount :one, totalCents :cents`,
          ConditionExpression: advanceMark
            ? 'attribute_not_exists(#applied) OR #applied < :offset'
            : undefined,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ':type': 'customer-totals',
            ':customer': order.customerId,
            ':currency': order.currency,
            ...(advanceMark && { ':offset': order.source.offset }),
            ':one': 1,
            ':cents': order.totals.totalCents,
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
