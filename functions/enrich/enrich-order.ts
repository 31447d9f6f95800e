/** The enrichment itself: pure, so it is easy to reason about and to test. */
import type { EnrichedOrder, Order } from '../commons/orders';

/** Totals at or above these amounts (in the order's currency) make an order medium or large. */
export const CLASSIFICATION_THRESHOLDS = { medium: 50, large: 500 } as const;

/** Where an order was read from. */
export interface SourcePosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** Adds totals (computed in integer cents, so sums never drift) and a size classification. */
export function enrichOrder(order: Order, source: SourcePosition): EnrichedOrder {
  let quantity = 0;
  let totalCents = 0;
  for (const line of order.items) {
    quantity += line.quantity;
    totalCents += Math.round(line.unitPrice * 100) * line.quantity;
  }
  const total = totalCents / 100;
  const classification =
    total >= CLASSIFICATION_THRESHOLDS.large
      ? 'large'
      : total >= CLASSIFICATION_THRESHOLDS.medium
        ? 'medium'
        : 'small';
  return {
    ...order,
    totals: { lines: order.items.length, quantity, totalCents, total },
    classification,
    source: { topic: source.topic, partition: source.partition, offset: source.offset },
  };
}
