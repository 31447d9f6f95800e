/**
 * `kw produce TOPIC`: Kafka's console producer, renamed for humans. One record per input line, from
 * stdin or --file; `--key-separator` splits each line into key and value. Every line is checked
 * before anything is sent, so a malformed line sends nothing.
 */
import { CompressionTypes, type Admin, type IHeaders, type Message, type Producer } from 'kafkajs';
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  checkConnectionFlags,
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  isRefusal,
  noSuchPartition,
  topicExists,
  unreachable,
  withAdmin,
  type ConnectionFlags,
} from './kafka-connection';
import {
  choiceFlag,
  keyValueFlag,
  noExtraArguments,
  parseCommandArgs,
  reportUsage,
  usageError,
  wholeNumberFlag,
} from './arguments';
import type { Command, CommandIO } from './command';
import { kafkaErrorType } from './topic-metadata';

const HELP = `Usage: kw produce TOPIC [--key-separator SEP] [--header key=value]... [--partition N]
                  [--acks all|1|0] [--compression none|gzip|snappy|lz4] [--file F]

Sends one record per line of standard input (or of --file F) to TOPIC, then prints where they went.
Empty lines are skipped. The topic must exist ('kw topics create').

Options:
  --key-separator SEP  split each line at the first SEP into key and value ("c-1:hello" with ':');
                       a line without SEP is an error and nothing is sent
  --header key=value   a header on every record (repeat for more)
  --partition N        write every record to partition N (default: by key, or spread without one)
  --acks all|1|0       wait for all in-sync replicas, the leader only, or nothing  [default: all]
  --compression C      none, gzip, snappy or lz4 (zstd: use kcat -z zstd)        [default: none]
  --file F             read records from F instead of standard input

${CONNECTION_HELP}

Examples:
  echo hello | kw produce greetings
  printf 'c-1:first\\nc-2:second\\n' | kw produce orders-demo --key-separator :
  kw produce audit --file events.txt --header source=import --compression gzip`;

const ACKS: Record<string, number> = { all: -1, '-1': -1, '1': 1, '0': 0 };
const COMPRESSION: Record<string, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
};

async function readLines(input: NodeJS.ReadableStream): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of createInterface({ input, crlfDelay: Infinity })) lines.push(line);
  return lines;
}

/**
 * What to tell the user when the cluster did not take the records: what happened to them and whether
 * sending again could write them twice. Undefined for an error that is not Kafka's (a bug: thrown on).
 */
function refusal(error: unknown, topic: string, flags: ConnectionFlags): string | undefined {
  if (isRefusal(error)) return undefined; // not authorized: withAdmin names the actions MSK checks
  const type = kafkaErrorType(error);
  switch (type) {
    case 'NOT_ENOUGH_REPLICAS':
      return `kw produce: '${topic}' refused the records (NOT_ENOUGH_REPLICAS): fewer of a partition's replicas are in sync than its min.insync.replicas, so it takes no --acks all writes, and none of its records were written. 'kw topics describe ${topic}' shows the in-sync replicas.`;
    case 'NOT_ENOUGH_REPLICAS_AFTER_APPEND':
      return `kw produce: the leader wrote the records, but fewer replicas than min.insync.replicas were in sync to copy them (NOT_ENOUGH_REPLICAS_AFTER_APPEND): they may be kept or lost, and sending them again may write them twice.`;
    case 'REQUEST_TIMED_OUT':
      return `kw produce: no acknowledgement in time (REQUEST_TIMED_OUT): the leader may have written the records without its in-sync replicas confirming them; sending them again may write them twice.`;
  }
  const e = error as { name?: string; message?: string; cause?: { name?: string } };
  if (type) return `kw produce: the cluster refused the records: ${type} (${e.message ?? ''})`;
  if (e.name === 'KafkaJSConnectionError' || e.cause?.name === 'KafkaJSConnectionError')
    return unreachable('produce', flags);
  if (e.name?.startsWith('KafkaJS'))
    return `kw produce: the records may not have been sent: ${e.message ?? e.name}`;
  return undefined;
}

/** Sends the records once the topic (and partition, if given) is known to exist. */
async function send(
  admin: Admin,
  producer: Producer,
  request: {
    topic: string;
    messages: Message[];
    partition?: number;
    acks: number;
    compression: CompressionTypes;
  },
  io: CommandIO,
  flags: ConnectionFlags,
): Promise<number> {
  const { topic, messages, partition, acks, compression } = request;
  if (!(await topicExists(admin, flags, topic))) {
    io.err(`kw produce: no topic named '${topic}'. Create it first: kw topics create ${topic}`);
    return 1;
  }
  if (partition !== undefined) {
    const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    const missing = noSuchPartition('produce', topic, meta.partitions.length, partition);
    if (missing) {
      io.err(missing);
      return 1;
    }
  }
  const results = await producer.send({ topic, messages, acks, compression });
  const where = results
    .map((r) => {
      if (acks === 0) return `partition ${r.partition}`;
      return `partition ${r.partition} from offset ${r.baseOffset ?? r.offset}`;
    })
    .join(', ');
  io.out(`sent ${messages.length} record(s) to ${topic}${where ? ` (${where})` : ''}`);
  return 0;
}

export const produceCommand: Command = {
  help: HELP,
  async run(args, io) {
    const usage = usageError('produce', io);
    const parsed = parseCommandArgs(
      {
        args,
        allowPositionals: true,
        options: {
          ...CONNECTION_OPTIONS,
          'key-separator': { type: 'string' },
          header: { type: 'string', multiple: true },
          partition: { type: 'string' },
          acks: { type: 'string', default: 'all' },
          compression: { type: 'string', default: 'none' },
          file: { type: 'string' },
        },
      },
      usage,
    );
    if (parsed === 2) return 2;
    const v = parsed.values;
    const [topic, ...extra] = parsed.positionals;
    if (!topic) return usage('needs a TOPIC');
    let acks: number;
    let compression: CompressionTypes;
    let partition: number | undefined;
    let headers: IHeaders;
    try {
      noExtraArguments(extra);
      checkConnectionFlags(v);
      acks = ACKS[choiceFlag('--acks', v.acks, Object.keys(ACKS), 'all, 1 or 0')];
      if (v.compression === 'zstd') {
        return usage(
          'zstd has no codec in kw (kafkajs ships gzip; snappy and lz4 are added): use kcat -z zstd',
        );
      }
      compression = COMPRESSION[choiceFlag('--compression', v.compression, Object.keys(COMPRESSION))];
      partition = wholeNumberFlag('--partition', v.partition, 0);
      headers = Object.fromEntries(keyValueFlag('--header', v.header));
    } catch (error) {
      return reportUsage(error, usage);
    }
    const separator = v['key-separator'];
    if (separator === '') return usage('--key-separator cannot be empty');
    if (v.file && !existsSync(v.file)) {
      io.err(`kw produce: no file '${v.file}'`);
      return 1;
    }
    const input = v.file ? createReadStream(v.file) : io.stdin;
    if (!input) return usage('no input: pipe lines in or pass --file F');

    const lines = await readLines(input);
    const messages: Message[] = [];
    for (const [index, line] of lines.entries()) {
      if (line.length === 0) continue;
      const message: Message = { value: line, headers: { ...headers }, partition };
      if (separator !== undefined) {
        const at = line.indexOf(separator);
        if (at < 0) {
          io.err(
            `kw produce: line ${index + 1} has no key separator '${separator}': ${JSON.stringify(line)}. Nothing was sent.`,
          );
          return 1;
        }
        message.key = line.slice(0, at);
        message.value = line.slice(at + separator.length);
      }
      messages.push(message);
    }
    if (messages.length === 0) {
      io.err('kw produce: no records in the input (empty lines are skipped)');
      return 1;
    }

    const flags: ConnectionFlags = v;
    const sent = await withAdmin({ operation: 'produce', topic }, flags, io, async (admin, kafka) => {
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      try {
        await producer.connect();
      } catch {
        io.err(unreachable('produce', flags));
        return 1;
      }
      try {
        return await send(admin, producer, { topic, messages, partition, acks, compression }, io, flags);
      } catch (error) {
        // A stack trace says nothing useful here: what matters is whether the records were written.
        const message = refusal(error, topic, flags);
        if (message === undefined) throw error;
        io.err(message);
        return 1;
      } finally {
        await producer.disconnect();
      }
    });
    return sent ?? 1;
  },
};
