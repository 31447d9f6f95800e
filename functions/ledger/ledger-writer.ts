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
 *
 * {@link LedgerWriter.applyInOrder} takes one customer's records of a batch and adds the orders it
 * created to the totals in one update per totals item, instead of one per order: an order created
 * now cannot be in the totals yet, so the orders created in a row can be added together, with the mark
 * moving to the last of them. A record whose order already existed (a replay) first has the ones
 * before it added, then is decided alone by the mark, as {@link LedgerWriter.apply} does.
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
    const [outcome] = await this.applyInOrder([order]);
    return outcome;
  }

  /**
   * Applies records of one key (customer) in offset order, with one totals update per run of new
   * orders rather than one per order; the outcome of each, in the same order. Safe to call again with
   * the same records, or with a batch that starts or ends elsewhere.
   */
  async applyInOrder(orders: readonly EnrichedOrder[]): Promise<LedgerOutcome[]> {
    const outcomes: LedgerOutcome[] = [];
    let created: EnrichedOrder[] = [];
    const addCreated = async () => {
      for (const run of runsByTotalsItem(created)) {
        if (!(await this.addToTotals(run, true))) await this.addToTotals(run, false);
      }
      created = [];
    };
    for (const order of orders) {
      const stored = await this.putOrderOnce(order, sourceOf(order));
      if (stored === 'created') {
        created.push(order);
        outcomes.push('applied');
        continue;
      }
      // A replayed record is decided by the mark: the orders before it must have moved it first.
      await addCreated();
      if (stored === 'other-source') outcomes.push('duplicate-order');
      else outcomes.push((await this.addToTotals([order], true)) ? 'applied' : 'replayed');
    }
    await addCreated();
    return outcomes;
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
   * Adds orders of one totals item and source partition (in offset order) to the totals. With
   * `advanceMark`, only if the last one's source offset is beyond the partition's mark, which moves to
   * it; without, unconditionally and leaving the mark alone.
   */
  private async addToTotals(orders: readonly EnrichedOrder[], advanceMark: boolean): Promise<boolean> {
    const last = orders[orders.length - 1];
    const names: Record<string, string> = { '#type': 'type' };
    if (advanceMark) names['#applied'] = `applied:${last.source.topic}:${last.source.partition}`;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: ledgerKeys.totals(last.customerId, last.currency),
          UpdateExpression: `SET #type = :type, customerId = :customer, currency = :currency${advanceMark ? ', #applied = :offset' : ''} ADD orderCount :count, totalCents :cents`,
          ConditionExpression: advanceMark
            ? 'attribute_not_exists(#applied) OR #applied < :offset'
            : undefined,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ':type': 'customer-totals',
            ':customer': last.customerId,
            ':currency': last.currency,
            ...(advanceMark && { ':offset': last.source.offset }),
            ':count': orders.length,
            ':cents': orders.reduce((sum, o) => sum + o.totals.totalCents, 0),
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

/** Where a record came from: `<topic>:<partition>:<offset>`, stored with its order. */
function sourceOf(order: EnrichedOrder): string {
  return `${order.source.topic}:${order.source.partition}:${order.source.offset}`;
}

/**
 * Orders (in offset order) split by the totals item and mark they update: customer, currency and
 * source partition, each run keeping its order.
 */
function runsByTotalsItem(orders: readonly EnrichedOrder[]): EnrichedOrder[][] {
  const runs = new Map<string, EnrichedOrder[]>();
  for (const order of orders) {
    const id = JSON.stringify([order.customerId, order.currency, order.source.topic, order.source.partition]);
    const run = runs.get(id);
    if (run) run.push(order);
    else runs.set(id, [order]);
  }
  return [...runs.values()];
}
