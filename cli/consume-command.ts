/**
 * `kw consume TOPIC`: Kafka's console consumer, renamed for humans. Without --group it reads as a
 * throwaway group (deleted afterwards) and commits nothing of yours; with --group it commits what it
 * printed, as a member of that group.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, KafkaMessage } from 'kafkajs';
import {
  checkConnectionFlags,
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  noSuchPartition,
  offsetOutsideRange,
  refusal,
  topicExists,
  withAdmin,
  ZstdUnsupportedError,
  type ConnectionFlags,
} from './kafka-connection';
import {
  choiceFlag,
  noExtraArguments,
  parseCommandArgs,
  reportUsage,
  timeFlag,
  usageError,
  wholeNumberFlag,
} from './arguments';
import { untilStopSignal } from './signals';
import type { Command, CommandIO } from './command';

const HELP = `Usage: kw consume TOPIC [--from-beginning | --offset N | --from-timestamp ISO] [--partition N]
                  [--group G] [--max-messages N] [--timeout-ms MS] [--format text|json]

Prints the records of TOPIC as they arrive, from the end by default, until Ctrl-C, --max-messages
or --timeout-ms without a new record. Ends with how many records it printed (on stderr).

Options:
  --from-beginning     start at the first record still kept
  --offset N           start at offset N (with --partition)
  --from-timestamp T   start at the first record at or after T (ISO 8601, e.g. 2026-11-24T10:00:00Z)
  --partition N        read only partition N (not with --group)
  --group G            read as consumer group G: start at its committed offsets, commit what is printed
  --max-messages N     stop after N records
  --timeout-ms MS      stop after MS milliseconds without a new record
  --format F           text: the value only; json: one object per line with topic, partition,
                       offset, timestamp, key, value and headers                [default: text]

${CONNECTION_HELP}

Examples:
  kw consume greetings --from-beginning --max-messages 3
  kw consume orders --group audit --format json
  kw consume orders --partition 1 --offset 40 --max-messages 5
  kw consume orders --from-timestamp 2026-11-24T10:00:00Z --timeout-ms 2000`;

type Start =
  | { kind: 'latest' }
  | { kind: 'earliest' }
  | { kind: 'offset'; offset: number }
  | { kind: 'time'; at: number };

function render(topic: string, partition: number, m: KafkaMessage, format: 'text' | 'json'): string {
  if (format === 'text') return m.value === null ? 'null' : m.value.toString('utf8');
  const headers: Record<string, string> = {};
  for (const [k, val] of Object.entries(m.headers ?? {}))
    headers[k] = Array.isArray(val) ? val.join(',') : String(val);
  return JSON.stringify({
    topic,
    partition,
    offset: Number(m.offset),
    timestamp: new Date(Number(m.timestamp)).toISOString(),
    key: m.key === null ? null : m.key.toString('utf8'),
    value: m.value === null ? null : m.value.toString('utf8'),
    headers,
  });
}

/** Where each partition starts, for a throwaway group. */
async function startOffsets(admin: Admin, topic: string, start: Start, partitions: number[]) {
  const ends = await admin.fetchTopicOffsets(topic);
  const byTime = start.kind === 'time' ? await admin.fetchTopicOffsetsByTimestamp(topic, start.at) : [];
  return partitions.map((partition) => {
    const range = ends.find((e) => e.partition === partition)!;
    let offset =
      start.kind === 'earliest'
        ? range.low
        : start.kind === 'latest'
          ? range.high
          : start.kind === 'offset'
            ? String(start.offset)
            : (byTime.find((t) => t.partition === partition)?.offset ?? range.high);
    if (Number(offset) < 0) offset = range.high; // no record at or after the time
    return { partition, offset, range };
  });
}

export const consumeCommand: Command = {
  help: HELP,
  async run(args, io: CommandIO) {
    const usage = usageError('consume', io);
    const parsed = parseCommandArgs(
      {
        args,
        allowPositionals: true,
        options: {
          ...CONNECTION_OPTIONS,
          'from-beginning': { type: 'boolean', default: false },
          offset: { type: 'string' },
          'from-timestamp': { type: 'string' },
          partition: { type: 'string' },
          group: { type: 'string' },
          'max-messages': { type: 'string' },
          'timeout-ms': { type: 'string' },
          format: { type: 'string', default: 'text' },
        },
      },
      usage,
    );
    if (parsed === 2) return 2;
    const v = parsed.values;
    const [topic, ...extra] = parsed.positionals;
    if (!topic) return usage('needs a TOPIC');
    let format: 'text' | 'json';
    let partition: number | undefined;
    let maxMessages: number | undefined;
    let timeoutMs: number | undefined;
    let start: Start = { kind: 'latest' };
    try {
      noExtraArguments(extra);
      checkConnectionFlags(v);
      format = choiceFlag('--format', v.format, ['text', 'json']);
      partition = wholeNumberFlag('--partition', v.partition, 0);
      maxMessages = wholeNumberFlag('--max-messages', v['max-messages'], 1);
      timeoutMs = wholeNumberFlag('--timeout-ms', v['timeout-ms'], 1);
      const starts = [v['from-beginning'], v.offset !== undefined, v['from-timestamp'] !== undefined].filter(
        Boolean,
      );
      if (starts.length > 1) return usage('give at most one of --from-beginning, --offset, --from-timestamp');
      if (v['from-beginning']) start = { kind: 'earliest' };
      if (v.offset !== undefined) {
        if (partition === undefined) return usage('--offset needs --partition (offsets are per partition)');
        start = { kind: 'offset', offset: wholeNumberFlag('--offset', v.offset, 0) };
      }
      if (v['from-timestamp'] !== undefined) {
        start = { kind: 'time', at: timeFlag('--from-timestamp', v['from-timestamp']) };
      }
    } catch (error) {
      return reportUsage(error, usage);
    }
    if (v.group && partition !== undefined)
      return usage('--partition reads without a group: drop --group or --partition');
    if (v.group && (start.kind === 'offset' || start.kind === 'time')) {
      return usage(
        "with --group, reading starts at the group's offsets: move them with 'kw groups reset-offsets'",
      );
    }

    const flags: ConnectionFlags = v;
    const groupId = v.group ?? `kw-console-${randomUUID()}`;
    const access = { operation: 'consume', topic, group: groupId } as const;
    const code = await withAdmin(access, flags, io, async (admin, kafka) => {
      const throwaway = v.group === undefined;
      const consumer = kafka.consumer({
        groupId,
        maxWaitTimeInMs: 200,
        sessionTimeout: 10_000,
        heartbeatInterval: 1000,
      });
      let printed = 0;
      const reading = new AbortController();
      let crash: Error | undefined;
      try {
        if (!(await topicExists(admin, flags, topic))) {
          io.err(`kw consume: no topic named '${topic}' (see 'kw topics list')`);
          return 1;
        }
        const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
        const missing =
          partition === undefined
            ? undefined
            : noSuchPartition('consume', topic, meta.partitions.length, partition);
        if (missing) {
          io.err(missing);
          return 1;
        }
        // A throwaway group starts where asked: earliest or latest through the subscription, an offset
        // or a time by seeking each partition once the consumer runs. (kafkajs' admin.setOffsets would
        // run a whole consumer first and wait out a fetch: seconds per command.)
        let seeks: { partition: number; offset: string }[] = [];
        if (throwaway && (start.kind === 'offset' || start.kind === 'time')) {
          // Only the partition asked for, when there is one: an offset is that partition's.
          const read = partition !== undefined ? [partition] : meta.partitions.map((p) => p.partitionId);
          const offsets = await startOffsets(admin, topic, start, read);
          for (const o of offsets) {
            const outside = offsetOutsideRange(o.partition, o.offset, o.range);
            if (outside) {
              io.err(`kw consume: ${outside}`);
              return 1;
            }
          }
          seeks = offsets.map(({ partition: p, offset }) => ({ partition: p, offset }));
        }
        if (throwaway && start.kind === 'latest' && io.tty) {
          io.err(`waiting for new records on ${topic} (from the end; --from-beginning reads what is there)`);
        }
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: start.kind === 'earliest' });
        await new Promise<void>((resolve) => {
          let idle: NodeJS.Timeout | undefined;
          const armIdle = () => {
            if (timeoutMs === undefined) return;
            if (idle) clearTimeout(idle);
            idle = setTimeout(resolve, timeoutMs);
          };
          void untilStopSignal(reading.signal).then(() => resolve());
          // kafkajs stops the consumer when it cannot read a batch (a zstd batch: it has no codec).
          consumer.on(consumer.events.CRASH, (e) => {
            crash = (e.payload as { error: Error }).error;
            resolve();
          });
          // The quiet period counts from when reading starts, not while the group is still forming.
          consumer.on(consumer.events.GROUP_JOIN, () => armIdle());
          void consumer.run({
            autoCommit: false,
            eachMessage: async ({ partition: p, message }) => {
              if (maxMessages !== undefined && printed >= maxMessages) return;
              if (partition !== undefined && p !== partition) return;
              io.out(render(topic, p, message, format));
              printed++;
              if (!throwaway) {
                await consumer.commitOffsets([
                  { topic, partition: p, offset: String(Number(message.offset) + 1) },
                ]);
              }
              armIdle();
              if (maxMessages !== undefined && printed >= maxMessages) resolve();
            },
          });
          for (const seek of seeks) consumer.seek({ topic, ...seek });
        }).finally(() => reading.abort());
        io.err(`${printed} record(s)`);
        const refused = crash && (await refusal('consume', flags, crash, access));
        if (refused) {
          io.err(refused);
          return 1;
        }
        if (crash) {
          io.err(
            crash instanceof ZstdUnsupportedError
              ? `kw consume: a batch is compressed with zstd, which kw cannot read: use kcat -C -t ${topic}`
              : `kw consume: stopped: ${crash.message}`,
          );
          return 1;
        }
        return 0;
      } finally {
        await consumer.disconnect().catch(() => undefined);
        if (throwaway) await admin.deleteGroups([groupId]).catch(() => undefined);
      }
    });
    return code ?? 1;
  },
};
