/** Event source mapping settings that MSK and self-managed Kafka clusters share. */
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KafkaDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { KafkaConsumerOptions } from './kafka-cluster';

/** Construct id of the mapping that feeds a function from `topic`. */
export function kafkaMappingId(topic: string): string {
  return `KafkaEventSource${topic.replace(/[^A-Za-z0-9]/g, '')}`;
}

/** Everything of a Kafka mapping but where the records come from. */
export function kafkaMappingOptions(options: KafkaConsumerOptions): lambda.EventSourceMappingOptions {
  const p = options.provisioned;
  const common: lambda.EventSourceMappingOptions = {
    kafkaTopic: options.topic,
    kafkaConsumerGroupId: options.consumerGroupId,
    startingPosition: lambda.StartingPosition.TRIM_HORIZON,
    batchSize: options.batchSize,
    maxBatchingWindow: options.maxBatchingWindow,
  };
  if (!p) return common;
  const pollers = {
    provisionedPollerConfig: { minimumPollers: p.minimumPollers, maximumPollers: p.maximumPollers },
    reportBatchItemFailures: true,
  };
  if (!p.onFailureTopic) {
    // No destination: retry until the batch succeeds, as on demand, so records are never skipped.
    return { ...common, ...pollers, retryAttempts: -1 };
  }
  return {
    ...common,
    ...pollers,
    retryAttempts: p.retryAttempts,
    bisectBatchOnError: p.bisectBatchOnError,
    maxRecordAge: p.maxRecordAgeSeconds === -1 ? undefined : Duration.seconds(p.maxRecordAgeSeconds),
    onFailure: new KafkaDlq(p.onFailureTopic),
  };
}
