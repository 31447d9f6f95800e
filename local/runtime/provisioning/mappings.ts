/**
 * The template's Kafka event source mappings: a poller each, reading the mapping's topic and invoking
 * its function's pool, with its on-failure destination. The assembly describes a mapping; this turns
 * that description into the poller's spec.
 *
 * With IAM enforced (`iam`) each poller reads from the IAM listener and authenticates as its
 * function's execution role, as AWS's pollers do; the runtime says how (tokens, and what a refusal
 * means for the role). Records for a Kafka on-failure topic are written as that role too, so the role
 * needs WriteData on it, as on AWS.
 */
import * as path from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { CloudAssemblyView, LocalMappingSpec } from '../assembly';
import { MappingPoller, type MappingPollerOptions, type MappingSpec } from '../esm/mapping-poller';
import { OnFailureWriter } from '../esm/on-failure';
import type { SaslOauthBearer } from '../kafka/wire-client';
import { StopPhase, type Lifecycle } from '../lifecycle';
import type { RunningFunction } from './functions';

export interface RunningMapping {
  readonly spec: LocalMappingSpec;
  readonly poller: MappingPoller;
}

export interface MappingsOptions {
  /** Where the pollers and the functions reach Kafka. */
  readonly bootstrap: readonly string[];
  /** Client for the producer that writes to Kafka on-failure topics. */
  readonly kafka: Kafka;
  /** On-failure destinations that are not emulated are written to files in `destinations/` here. */
  readonly outputDir: string;
  readonly log: (message: string) => void;
  /** Pollers read from the IAM listener, authenticated as their function's role. @default none: plain Kafka */
  readonly iam?: MappingsIam;
}

/** How pollers reach Kafka when IAM is enforced. */
export interface MappingsIam {
  /** host:port of the IAM listeners. */
  readonly bootstrap: readonly string[];
  /** The poller's token source and how it explains a refusal, for the role of `spec`'s function. */
  auth(spec: LocalMappingSpec): Required<Pick<MappingPollerOptions, 'sasl' | 'explainDenial'>>;
  /** Tokens for the producer writing `spec`'s Kafka on-failure records: its function's role. */
  onFailureSasl(spec: LocalMappingSpec): SaslOauthBearer;
}

/** A Kafka client for the IAM listeners that authenticates with `sasl`'s tokens (OAUTHBEARER). */
function iamKafka(bootstrap: readonly string[], sasl: SaslOauthBearer): Kafka {
  return new Kafka({
    clientId: 'kw-on-failure',
    brokers: [...bootstrap],
    logLevel: logLevel.NOTHING,
    sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: await sasl.token() }) },
  });
}

/** What the poller takes for a mapping the assembly describes. */
export function pollerSpec(spec: LocalMappingSpec, bootstrapServers: string): MappingSpec {
  return {
    name: spec.name,
    functionName: spec.functionName,
    functionArn: spec.functionArn,
    topic: spec.topic,
    consumerGroupId: spec.consumerGroupId,
    batchSize: spec.batchSize,
    batchWindowMs: spec.batchWindowMs,
    startingPosition: spec.startingPosition,
    startingTimestampMs: spec.startingTimestampMs,
    filters: spec.filters,
    provisioned: spec.provisioned,
    retryAttempts: spec.retryAttempts,
    bisectBatchOnError: spec.bisectBatchOnError,
    maxRecordAgeSeconds: spec.maxRecordAgeSeconds,
    reportBatchItemFailures: spec.reportBatchItemFailures,
    source:
      spec.sourceKind === 'msk'
        ? { kind: 'msk', arn: spec.clusterArn, bootstrapServers }
        : { kind: 'self-managed', bootstrapServers },
  };
}

/**
 * One producer for Kafka on-failure topics, connected on first use; a failed connect is forgotten so
 * the next write tries again. Refused once the runtime is stopping.
 */
function lazyProducer(kafka: Kafka, lifecycle: Lifecycle, idempotent = true): () => Promise<Producer> {
  let producer: Promise<Producer> | undefined;
  lifecycle.onStop(StopPhase.clients, async () => (await producer?.catch(() => undefined))?.disconnect());
  return () => {
    if (lifecycle.stopping) return Promise.reject(new Error('the local runtime is stopping'));
    producer ??= (async () => {
      const p = kafka.producer({ allowAutoTopicCreation: false, idempotent });
      await p.connect();
      return p;
    })().catch((error: Error) => {
      producer = undefined;
      throw error;
    });
    return producer;
  };
}

/** Starts a poller for each enabled mapping. */
export function startMappings(
  assembly: CloudAssemblyView,
  functions: ReadonlyMap<string, RunningFunction>,
  options: MappingsOptions,
  lifecycle: Lifecycle,
): RunningMapping[] {
  const { log } = options;
  const producer = lazyProducer(options.kafka, lifecycle);
  const bootstrap = options.iam?.bootstrap ?? options.bootstrap;
  const bootstrapServers = bootstrap.join(',');
  const mappings: RunningMapping[] = [];
  for (const spec of assembly.mappings) {
    if (!spec.enabled) {
      log(`mapping ${spec.name} is disabled in the template; not polling`);
      continue;
    }
    const fn = functions.get(spec.functionId)!;
    // AWS documents WriteData for an on-failure topic, not WriteDataIdempotently: a role's producer
    // here does not ask for more than that.
    const writer =
      spec.onFailure?.kind === 'kafka' && options.iam
        ? lazyProducer(iamKafka(bootstrap, options.iam.onFailureSasl(spec)), lifecycle, false)
        : producer;
    const onFailure = spec.onFailure
      ? new OnFailureWriter(spec.onFailure, writer, path.join(options.outputDir, 'destinations'))
      : undefined;
    const poller = new MappingPoller(pollerSpec(spec, bootstrapServers), fn.pool, {
      bootstrapServers: bootstrap,
      onFailure,
      log,
      ...options.iam?.auth(spec),
    });
    poller.start();
    let stopped: Promise<void> | undefined;
    lifecycle.onStop(StopPhase.stopPollers, async () => void (stopped = poller.stop()));
    lifecycle.onStop(StopPhase.pollersDone, async () => stopped);
    mappings.push({ spec, poller });
  }
  return mappings;
}
