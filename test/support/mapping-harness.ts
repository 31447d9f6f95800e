/**
 * An embedded broker, a kafkajs producer and admin (clients this project did not write), and mapping
 * pollers under test whose target is an in-process handler recording every event it is given.
 */
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../local/broker/broker';
import type { KafkaEvent, EventRecord } from '../../local/runtime/esm/event';
import { MappingPoller, type MappingSpec } from '../../local/runtime/esm/mapping-poller';
import { OnFailureWriter } from '../../local/runtime/esm/on-failure';
import { parseOnFailureDestination } from '../../local/runtime/template/resource-types';
import type { InvokeOutcome } from '../../local/runtime/lambda/function-pool';
import { until } from './until';

/** What a test handler returns: a payload, or a thrown error to fail the invocation. */
export type TestHandler = (event: KafkaEvent, call: number) => unknown;

export interface Invocation {
  readonly event: KafkaEvent;
  readonly records: EventRecord[];
  readonly offsets: number[];
  readonly partition: number;
}

export interface MappingHarness {
  readonly broker: RunningBroker;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly producer: Producer;
  readonly invocations: Invocation[];
  /** What the pollers logged, oldest first. */
  readonly logs: string[];
  createTopic(topic: string, partitions?: number): Promise<void>;
  /** Starts a poller on `topic` with `overrides` on top of on-demand defaults. */
  poll(
    topic: string,
    handler: TestHandler,
    overrides?: Partial<MappingSpec> & {
      onFailure?: string;
      destinationsDir?: string;
      /** Where the poller starts from. @default the broker's bootstrap servers */
      bootstrapServers?: readonly string[];
    },
  ): MappingPoller;
  /** The group's committed offset of one partition (-1 if none). */
  committed(group: string, topic: string, partition?: number): Promise<number>;
  /** Resolves once `predicate` holds, polling every 20 ms; rejects after `timeoutMs`. */
  until(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs?: number): Promise<void>;
  /** Resolves once the group has committed `offset` on the partition (0 unless given). */
  untilCommitted(group: string, topic: string, offset: number, partition?: number): Promise<void>;
  close(): Promise<void>;
}

let groupCounter = 0;

/** An on-demand mapping on `topic` with AWS's defaults (batching window 0), in its own group. */
export function mappingSpec(
  topic: string,
  bootstrapServers: string,
  overrides: Partial<MappingSpec> = {},
): MappingSpec {
  return {
    name: `mapping-${topic}`,
    functionName: 'test-function',
    functionArn: 'arn:aws:lambda:local:000000000000:function:test-function',
    topic,
    consumerGroupId: `group-${++groupCounter}`,
    batchSize: 100,
    batchWindowMs: 0,
    startingPosition: 'TRIM_HORIZON',
    filters: [],
    provisioned: false,
    retryAttempts: -1,
    bisectBatchOnError: false,
    maxRecordAgeSeconds: -1,
    reportBatchItemFailures: false,
    source: { kind: 'msk', arn: 'arn:aws:kafka:local:000000000000:cluster/test/1', bootstrapServers },
    ...overrides,
  };
}

/** Starts the harness on one embedded broker, or on several (`brokers`) advertised where asked. */
export async function startMappingHarness(
  options: Pick<BrokerOptions, 'brokers' | 'advertisedListeners'> = {},
): Promise<MappingHarness> {
  const broker = await startBroker({ port: 0, log: () => undefined, ...options });
  const kafka = new Kafka({
    clientId: 'harness',
    brokers: broker.bootstrapServers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
  const invocations: Invocation[] = [];
  const logs: string[] = [];
  const pollers: MappingPoller[] = [];
  const harness: MappingHarness = {
    broker,
    kafka,
    admin,
    producer,
    invocations,
    logs,
    async createTopic(topic, partitions = 1) {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    },
    poll(topic, handler, overrides = {}) {
      let calls = 0;
      const spec = mappingSpec(topic, broker.bootstrapServers, overrides);
      const target = {
        async invoke(event: unknown): Promise<InvokeOutcome> {
          const e = event as KafkaEvent;
          const records = Object.values(e.records).flat();
          invocations.push({
            event: e,
            records,
            offsets: records.map((r) => r.offset),
            partition: records[0].partition,
          });
          const started = Date.now();
          try {
            const payload = await handler(e, ++calls);
            return { ok: true, payload: payload ?? null, durationMs: Date.now() - started };
          } catch (error) {
            return {
              ok: false,
              kind: 'function',
              error: { errorType: 'Error', errorMessage: (error as Error).message },
              durationMs: Date.now() - started,
            };
          }
        },
      };
      const onFailure = overrides.onFailure
        ? new OnFailureWriter(
            parseOnFailureDestination(overrides.onFailure),
            async () => producer,
            overrides.destinationsDir ?? '/nonexistent',
          )
        : undefined;
      const poller = new MappingPoller(spec, target, {
        bootstrapServers: overrides.bootstrapServers ?? broker.bootstrapServers.split(','),
        onFailure,
        maxRetryBackoffMs: 50,
        metadataIntervalMs: 200,
        log: (message) => logs.push(message),
      });
      pollers.push(poller);
      poller.start();
      return poller;
    },
    async committed(group, topic, partition = 0) {
      const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const p = offsets[0]?.partitions.find((x) => x.partition === partition);
      return p ? Number(p.offset) : -1;
    },
    async until(predicate, what, timeoutMs = 15_000) {
      await until(predicate, what, { timeoutMs, intervalMs: 20 });
    },
    async untilCommitted(group, topic, offset, partition = 0) {
      await harness.until(
        async () => (await harness.committed(group, topic, partition)) === offset,
        `${group} to commit ${topic}-${partition} at ${offset}`,
      );
    },
    async close() {
      await Promise.all(pollers.map((p) => p.stop()));
      await Promise.all([admin.disconnect(), producer.disconnect()]);
      await broker.close();
    },
  };
  return harness;
}

/** Decodes a base64 record value as UTF-8. */
export const valueOf = (r: EventRecord) => Buffer.from(r.value, 'base64').toString('utf8');
