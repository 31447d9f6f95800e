/**
 * Ingest: turns an HTTP order into a record on `orders`, keyed by customer so each customer's orders
 * stay in one partition, in the order they arrived.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { HEADERS, OrderRequestSchema, type Order } from '../commons/orders';

/** What ingest needs from the outside world; the entry point wires the real ones. */
export interface IngestDependencies {
  readonly producer: () => Promise<Pick<Producer, 'send'>>;
  readonly topic: string;
  /** The MSK cluster's ARN (KAFKA_CLUSTER_ARN), to name the topic's ARN when the role may not write. */
  readonly clusterArn?: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly newOrderId?: () => string;
  readonly now?: () => Date;
}

/** Answer to the client: JSON body, status and nothing else. */
function reply(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/**
 * Whether `error` is the cluster refusing this function's role to write (Kafka error 29, which MSK
 * answers when IAM denies kafka-cluster:WriteData); kafkajs may wrap it once.
 */
function isTopicAuthorizationFailure(error: unknown): boolean {
  for (
    let e = error as { type?: unknown; cause?: unknown; originalError?: unknown } | undefined, depth = 0;
    e && depth < 4;
    depth++
  ) {
    if (e.type === 'TOPIC_AUTHORIZATION_FAILED') return true;
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return false;
}

/** The topic's ARN on an MSK cluster: `topic/` in place of `cluster/`, then the topic's name. */
const topicArnOf = (clusterArn: string, topic: string) =>
  `${clusterArn.replace(':cluster/', ':topic/')}/${topic}`;

/** Builds the Function URL handler; the entry point's wrapper flushes the metrics it adds. */
export function createIngestHandler(deps: IngestDependencies) {
  const newOrderId = deps.newOrderId ?? randomUUID;
  const now = deps.now ?? (() => new Date());

  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const method = event.requestContext?.http?.method ?? 'POST';
    if (method !== 'POST') {
      return {
        ...reply(405, { error: `method ${method} not allowed: POST a JSON order` }),
        headers: { allow: 'POST' },
      };
    }

    const text =
      event.body === undefined
        ? ''
        : event.isBase64Encoded
          ? Buffer.from(event.body, 'base64').toString('utf8')
          : event.body;
    if (text.trim() === '') {
      deps.metrics.addMetric('OrdersRejected', MetricUnit.Count, 1);
      return reply(400, { error: 'body is empty: POST a JSON order' });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      deps.metrics.addMetric('OrdersRejected', MetricUnit.Count, 1);
      return reply(400, { error: `body is not valid JSON: ${(error as Error).message}` });
    }

    const parsed = OrderRequestSchema.safeParse(json);
    if (!parsed.success) {
      deps.metrics.addMetric('OrdersRejected', MetricUnit.Count, 1);
      const issues = parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.') || '(body)',
        message: issue.message,
      }));
      return reply(400, { error: 'invalid order', issues });
    }

    const order: Order = {
      orderId: parsed.data.orderId ?? newOrderId(),
      customerId: parsed.data.customerId,
      items: parsed.data.items,
      currency: parsed.data.currency ?? 'USD',
      receivedAt: now().toISOString(),
    };

    try {
      const producer = await deps.producer();
      const [written] = await producer.send({
        topic: deps.topic,
        acks: -1,
        messages: [
          {
            key: order.customerId,
            value: JSON.stringify(order),
            headers: { [HEADERS.orderId]: order.orderId, [HEADERS.contentType]: 'application/json' },
          },
        ],
      });
      deps.metrics.addMetric('OrdersIngested', MetricUnit.Count, 1);
      deps.logger.info('order ingested', {
        orderId: order.orderId,
        partition: written.partition,
        offset: written.baseOffset,
      });
      return reply(202, {
        orderId: order.orderId,
        topic: deps.topic,
        partition: written.partition,
        offset: Number(written.baseOffset),
      });
    } catch (error) {
      deps.logger.error('could not produce order', { orderId: order.orderId, error: error as Error });
      deps.metrics.addMetric('IngestFailures', MetricUnit.Count, 1);
      if (isTopicAuthorizationFailure(error)) {
        // A retry cannot help: the role lacks a permission, which the operator must grant.
        const resource = deps.clusterArn ? topicArnOf(deps.clusterArn, deps.topic) : `topic ${deps.topic}`;
        return reply(503, {
          error: `the order could not be stored: the cluster refused to let this function write to ${deps.topic} (TOPIC_AUTHORIZATION_FAILED); its role needs kafka-cluster:WriteData on ${resource}`,
          orderId: order.orderId,
        });
      }
      return reply(503, {
        error: 'the order could not be stored; retry with the same orderId',
        orderId: order.orderId,
      });
    }
  };
}
