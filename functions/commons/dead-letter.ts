/**
 * Builds the record a function writes to the dead-letter topic for a poison record: the original key,
 * value and headers byte for byte, plus headers saying where it came from and why it failed.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ConsumerRecord } from '@aws-lambda-powertools/kafka/types';
import type { IHeaders, Message } from 'kafkajs';
import { HEADERS } from './orders';

type RawRecord = Pick<
  ConsumerRecord<unknown, unknown>,
  'topic' | 'partition' | 'offset' | 'originalKey' | 'originalValue' | 'originalHeaders'
>;

/** The dead-letter message for `record`, which `functionName` could not process because of `reason`. */
export function deadLetterMessage(record: RawRecord, reason: Error, functionName: string): Message {
  const headers: IHeaders = {};
  for (const header of record.originalHeaders ?? []) {
    for (const [name, bytes] of Object.entries(header)) headers[name] = Buffer.from(bytes);
  }
  headers[HEADERS.sourceTopic] = record.topic;
  headers[HEADERS.sourcePartition] = String(record.partition);
  headers[HEADERS.sourceOffset] = String(record.offset);
  headers[HEADERS.deadLetterReason] = describe(reason).slice(0, 1024);
  headers[HEADERS.deadLetterFunction] = functionName;
  return {
    key: record.originalKey ? Buffer.from(record.originalKey, 'base64') : null,
    value: Buffer.from(record.originalValue ?? '', 'base64'),
    headers,
  };
}

/** Collects the dead-letter messages of one batch, logging each, to be sent in one request. */
export class DeadLetters {
  readonly messages: Message[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly functionName: string,
  ) {}

  /** Records `record` as poison; fits `deadLetter` of processByPartition's options. */
  readonly add = async (record: RawRecord, reason: Error): Promise<void> => {
    this.logger.warn('poison record sent to the dead-letter topic', {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      reason: reason.message,
    });
    this.messages.push(deadLetterMessage(record, reason, this.functionName));
  };
}

/** The error's message, with the validation issues Powertools attaches as its cause. */
function describe(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  if (Array.isArray(cause)) {
    const issues = cause.map(
      (issue: { path?: PropertyKey[]; message?: string }) =>
        `${(issue.path ?? []).map(String).join('.') || '(value)'}: ${issue.message ?? 'invalid'}`,
    );
    return `${error.message}: ${issues.join('; ')}`;
  }
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}
