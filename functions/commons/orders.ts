/**
 * The pipeline's record shapes: what ingest accepts, what it writes to `orders`, and what enrich
 * writes to `orders.enriched`. Schemas are zod (Standard Schema), so Powertools' Kafka consumer can
 * validate record values with them.
 */
import { z } from 'zod';

const identifier = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._:@-]+$/, 'use letters, digits and . _ : @ -');

export const OrderLineSchema = z.strictObject({
  sku: z.string().min(1).max(64),
  quantity: z.number().int().min(1).max(10_000),
  unitPrice: z.number().finite().min(0).max(1_000_000),
});

/** The body a client POSTs to the ingest URL. */
export const OrderRequestSchema = z.strictObject({
  customerId: identifier,
  items: z.array(OrderLineSchema).min(1).max(100),
  orderId: identifier.optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'use an ISO 4217 code such as USD')
    .optional(),
});
export type OrderRequest = z.infer<typeof OrderRequestSchema>;

/** A record on `orders`: the request with its id, currency and time of receipt filled in. */
export const OrderSchema = z.object({
  orderId: identifier,
  customerId: identifier,
  items: z.array(OrderLineSchema).min(1),
  currency: z.string().regex(/^[A-Z]{3}$/),
  receivedAt: z.string(),
});
export type Order = z.infer<typeof OrderSchema>;

export const CLASSIFICATIONS = ['small', 'medium', 'large'] as const;

/** A record on `orders.enriched`. */
export const EnrichedOrderSchema = OrderSchema.extend({
  totals: z.object({
    lines: z.number().int().min(1),
    quantity: z.number().int().min(1),
    totalCents: z.number().int().min(0),
    total: z.number().min(0),
  }),
  classification: z.enum(CLASSIFICATIONS),
  source: z.object({
    topic: z.string(),
    partition: z.number().int().min(0),
    offset: z.number().int().min(0),
  }),
});
export type EnrichedOrder = z.infer<typeof EnrichedOrderSchema>;

/** Header names the pipeline adds to records, so any record can be traced back to its source. */
export const HEADERS = {
  orderId: 'order-id',
  contentType: 'content-type',
  sourceTopic: 'source-topic',
  sourcePartition: 'source-partition',
  sourceOffset: 'source-offset',
  deadLetterReason: 'dead-letter-reason',
  deadLetterFunction: 'dead-letter-function',
} as const;
