/**
 * Orders for the console's drills: realistic customers and baskets for the ingest URL, and a poison
 * order enrich rejects every time.
 *
 * Ingest refuses everything enrich would reject (its request schema is stricter than the record
 * schema enrich reads, functions/commons/orders.ts), so no order sent to the URL can be poison. The
 * poison order is therefore written to the topic ingest writes to, keyed and headed as ingest would,
 * with a value enrich's schema refuses: no items.
 */
import { randomUUID } from 'node:crypto';

export interface OrderLine {
  readonly sku: string;
  readonly quantity: number;
  readonly unitPrice: number;
}

export interface OrderRequest {
  readonly orderId: string;
  readonly customerId: string;
  readonly currency: string;
  readonly items: readonly OrderLine[];
}

const CUSTOMERS = [
  'ada-lovelace',
  'grace-hopper',
  'alan-turing',
  'margaret-hamilton',
  'edsger-dijkstra',
  'barbara-liskov',
  'radia-perlman',
  'ken-thompson',
  'frances-allen',
  'donald-knuth',
  'katherine-johnson',
  'tim-berners-lee',
];

const CATALOG: readonly { sku: string; unitPrice: number }[] = [
  { sku: 'espresso-beans-1kg', unitPrice: 24.5 },
  { sku: 'pour-over-kettle', unitPrice: 39.9 },
  { sku: 'ceramic-mug', unitPrice: 12 },
  { sku: 'paper-filters-100', unitPrice: 4.5 },
  { sku: 'burr-grinder', unitPrice: 129 },
  { sku: 'milk-frother', unitPrice: 29.99 },
  { sku: 'tea-sampler', unitPrice: 18.75 },
  { sku: 'travel-tumbler', unitPrice: 22 },
  { sku: 'cold-brew-jar', unitPrice: 17.25 },
  { sku: 'descaler-3pack', unitPrice: 9.95 },
];

const CURRENCIES = ['EUR', 'USD', 'GBP'];

/** A number in [0, 1), as Math.random. */
export type Random = () => number;

const pick = <T>(items: readonly T[], random: Random): T => items[Math.floor(random() * items.length)];

/** A new order id: `ord-` and 12 hex digits. */
export function newOrderId(): string {
  return `ord-${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

/** A basket of 1 to 4 different products, 1 to 3 of each, for one of a dozen customers. */
export function randomOrder(random: Random = Math.random, orderId = newOrderId()): OrderRequest {
  const lines = 1 + Math.floor(random() * 4);
  const skus = [...CATALOG].sort(() => random() - 0.5).slice(0, lines);
  return {
    orderId,
    customerId: `cust-${pick(CUSTOMERS, random)}`,
    currency: pick(CURRENCIES, random),
    items: skus.map((p) => ({ sku: p.sku, quantity: 1 + Math.floor(random() * 3), unitPrice: p.unitPrice })),
  };
}

/** The record value of a poison order: what ingest would write, except that it has no items. */
export function poisonOrderValue(order: OrderRequest, receivedAt: Date): string {
  return JSON.stringify({ ...order, items: [], receivedAt: receivedAt.toISOString() });
}
