/**
 * Conformance: ListOffsets, as raw requests at several versions (v0 answers a list of offsets, later
 * versions one offset and its timestamp), on records with known timestamps in uncompressed and gzip
 * batches (gzip ones produced by kafkajs, which compresses in JavaScript).
 */
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import SnappyCodec from 'kafkajs-snappy';
import { ListOffsetsSchema } from '../../local/kafka/messages/02-list-offsets';
import type { Struct } from '../../local/kafka/message-codec';
import { recordBatch, type RecordSpec } from './batch-builder';
import { CLOSED, conformance, only, type Target } from './harness';
import {
  createTopic,
  deleteRecords,
  listOffsets,
  listOffsetsBody,
  produceOk,
  type NewTopic,
} from './topic-requests';

const scenario = conformance('list-offsets');

// kafkajs writes gzip itself and snappy through this codec (the kw CLI registers the same one).
CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;
const LATEST_TIERED = -5n;

/** Record timestamps are chosen, not taken from the clock, so lookups have known answers. */
const T = 1_700_000_000_000n;

/** What a client reads from one partition's answer (leader epochs apart: see the scenario on them). */
function offsetAnswer(answer: Struct | typeof CLOSED): unknown {
  if (answer === CLOSED) return CLOSED;
  return only(answer, ['ErrorCode', 'OldStyleOffsets', 'Timestamp', 'Offset']);
}

/** What a client reads from the first partition of a whole ListOffsets answer. */
function firstOffsetAnswer(response: Struct | typeof CLOSED): unknown {
  if (response === CLOSED) return CLOSED;
  return offsetAnswer(((response.Topics as Struct[])[0].Partitions as Struct[])[0]);
}

/** A topic holding, in partition 0, one batch per element of `batches` (records at the given times). */
async function topicWith(
  t: Target,
  name: string,
  batches: readonly (readonly bigint[])[],
  settings: NewTopic = {},
): Promise<void> {
  await createTopic(t, name, settings);
  let n = 0;
  for (const times of batches) {
    const records: RecordSpec[] = times.map((timestamp) => ({ value: `record-${n++}`, timestamp }));
    await produceOk(t, name, 0, recordBatch({ records }));
  }
}

/** ListOffsets answers for several timestamps of one partition, at one version. */
async function lookups(
  t: Target,
  topic: string,
  timestamps: readonly bigint[],
  version: number,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const timestamp of timestamps) {
    const label =
      timestamp < 0n ? `special ${timestamp}` : `T${timestamp >= T ? '+' : ''}${(timestamp - T).toString()}`;
    out[label] = offsetAnswer(await listOffsets(t, topic, 0, timestamp, version));
  }
  return out;
}

// --- earliest and latest ----------------------------------------------------------------------------

for (const version of [0, 1, 2, 4, 6, 7, 9]) {
  scenario(`ListOffsets v${version}: earliest and latest of a partition holding 5 records`, async (t) => {
    await topicWith(t, `ends-v${version}`, [
      [T, T + 1n],
      [T + 2n, T + 3n, T + 4n],
    ]);
    return lookups(t, `ends-v${version}`, [EARLIEST, LATEST], version);
  });
}

/** ListOffsets v0 for partition 0 of `topic`, asking for up to 10 offsets: what a client reads. */
async function upToTenOffsets(t: Target, topic: string, timestamp: bigint): Promise<unknown> {
  return firstOffsetAnswer(await t.request(ListOffsetsSchema, 0, listOffsetsBody(topic, 0, timestamp, 10)));
}

scenario('ListOffsets v0: MaxNumOffsets above 1 for latest and earliest', async (t) => {
  await topicWith(t, 'ends-v0-many', [[T, T + 1n], [T + 2n]]);
  const answer = (timestamp: bigint) => upToTenOffsets(t, 'ends-v0-many', timestamp);
  return { latest: await answer(LATEST), earliest: await answer(EARLIEST) };
});

scenario('ListOffsets v0 by timestamp: a time before any append, and one after now', async (t) => {
  await topicWith(t, 'v0-by-time', [[T, T + 1n], [T + 2n]]);
  const answer = (timestamp: bigint) => upToTenOffsets(t, 'v0-by-time', timestamp);
  // v0 answers by when log segments were last written, not by record timestamps.
  return { past: await answer(T), future: await answer(BigInt(Date.now()) + 86_400_000n) };
});

scenario('ListOffsets on an empty partition: earliest, latest, a timestamp, the max timestamp', async (t) => {
  await createTopic(t, 'empty-partition');
  return lookups(t, 'empty-partition', [EARLIEST, LATEST, T, MAX_TIMESTAMP], 7);
});

// --- by timestamp -----------------------------------------------------------------------------------

for (const version of [1, 4, 7]) {
  scenario(
    `ListOffsets v${version} by timestamp: exact hits, between records, before the first, after the last`,
    async (t) => {
      await topicWith(t, `by-time-v${version}`, [
        [T, T + 10n, T + 20n],
        [T + 30n, T + 40n],
      ]);
      return lookups(
        t,
        `by-time-v${version}`,
        [T - 100n, T, T + 10n, T + 15n, T + 25n, T + 30n, T + 40n, T + 41n, T + 1000n],
        version,
      );
    },
  );
}

scenario(
  'ListOffsets by timestamp when timestamps go back and forth within and across batches',
  async (t) => {
    await topicWith(t, 'unordered-times', [
      [T + 50n, T + 10n, T + 60n],
      [T + 20n, T + 70n],
    ]);
    return lookups(t, 'unordered-times', [T + 5n, T + 15n, T + 55n, T + 65n, T + 70n, T + 71n], 7);
  },
);

/** A topic whose partition 0 gets `batches` from kafkajs, each one producer.send, compressed. */
async function compressedTopic(
  t: Target,
  name: string,
  batches: readonly (readonly bigint[])[],
  compression = CompressionTypes.GZIP,
): Promise<void> {
  await createTopic(t, name);
  const producer = t.kafkajs().producer();
  await producer.connect();
  try {
    let n = 0;
    for (const times of batches) {
      await producer.send({
        topic: name,
        compression,
        messages: times.map((timestamp) => ({
          partition: 0,
          value: `gzip-${n++}`,
          timestamp: timestamp.toString(),
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

scenario('ListOffsets by timestamp inside gzip batches (kafkajs): the exact record', async (t) => {
  await compressedTopic(t, 'gzip-times', [
    [T, T + 10n, T + 20n],
    [T + 30n, T + 40n, T + 50n],
  ]);
  return lookups(t, 'gzip-times', [T, T + 10n, T + 15n, T + 35n, T + 50n, T + 51n], 7);
});

scenario(
  'ListOffsets by timestamp inside snappy batches (kafkajs)',
  async (t) => {
    await compressedTopic(
      t,
      'snappy-times',
      [
        [T, T + 10n, T + 20n],
        [T + 30n, T + 40n],
      ],
      CompressionTypes.Snappy,
    );
    return lookups(t, 'snappy-times', [T + 10n, T + 15n, T + 35n, MAX_TIMESTAMP], 7);
  },
  {
    differs: {
      skipped: 'Timestamp lookups inside compressed batches',
      apache: {
        'T+10': { ErrorCode: 'NONE', OldStyleOffsets: [], Timestamp: 1700000000010, Offset: 1 },
        'T+15': { ErrorCode: 'NONE', OldStyleOffsets: [], Timestamp: 1700000000020, Offset: 2 },
        'T+35': { ErrorCode: 'NONE', OldStyleOffsets: [], Timestamp: 1700000000040, Offset: 4 },
        'special -3': { ErrorCode: 'NONE', OldStyleOffsets: [], Timestamp: 1700000000040, Offset: 4 },
      },
      embedded: {
        'T+10': { ErrorCode: 'NONE', OldStyleOffsets: [], Timestamp: 1700000000020, Offset: 0 },
        'T+15': { ErrorCode: 'NONE', OldStyleOffsets: [], Timestamp: 1700000000020, Offset: 0 },
        'T+35': { ErrorCode: 'NONE', OldStyleOffsets: [], Timestamp: 1700000000040, Offset: 3 },
        'special -3': { ErrorCode: 'NONE', OldStyleOffsets: [], Timestamp: 1700000000040, Offset: 3 },
      },
    },
  },
);

// --- max timestamp ------------------------------------------------------------------------------------

scenario('ListOffsets v7 max timestamp: the record carrying the largest timestamp, mid-batch', async (t) => {
  await topicWith(t, 'max-mid', [
    [T, T + 90n, T + 20n],
    [T + 30n, T + 40n],
  ]);
  return lookups(t, 'max-mid', [MAX_TIMESTAMP], 7);
});

scenario(
  'ListOffsets v9 max timestamp: the largest timestamp in two batches, and twice in one',
  async (t) => {
    await topicWith(t, 'max-tie', [
      [T, T + 50n, T + 50n],
      [T + 10n, T + 50n],
    ]);
    return lookups(t, 'max-tie', [MAX_TIMESTAMP], 9);
  },
);

scenario('ListOffsets max timestamp inside gzip batches (kafkajs)', async (t) => {
  await compressedTopic(t, 'gzip-max', [
    [T, T + 80n, T + 20n],
    [T + 30n, T + 40n],
  ]);
  return lookups(t, 'gzip-max', [MAX_TIMESTAMP], 7);
});

scenario(
  'ListOffsets max timestamp on a LogAppendTime topic: which record, and is there a time',
  async (t) => {
    // One batch: the append times of two batches may or may not fall in the same millisecond.
    await topicWith(t, 'max-append-time', [[T, T + 1n, T + 2n]], {
      configs: { 'message.timestamp.type': 'LogAppendTime' },
    });
    const answer = await listOffsets(t, 'max-append-time', 0, MAX_TIMESTAMP, 7);
    if (answer === CLOSED) return CLOSED;
    return { ErrorCode: answer.ErrorCode, Offset: answer.Offset, aTime: (answer.Timestamp as bigint) > T };
  },
);

for (const [timestamp, version] of [
  [MAX_TIMESTAMP, 6],
  [MAX_TIMESTAMP, 1],
  [EARLIEST_LOCAL, 7],
  [LATEST_TIERED, 8],
] as const) {
  scenario(
    `ListOffsets v${version} with the special timestamp ${timestamp}, which later versions define`,
    async (t) => {
      await topicWith(t, `special${timestamp}-v${version}`, [[T, T + 5n]]);
      return lookups(t, `special${timestamp}-v${version}`, [timestamp], version);
    },
  );
}

scenario('ListOffsets v9: earliest local (-4) and latest tiered (-5) without tiered storage', async (t) => {
  await topicWith(t, 'local-tiered', [[T, T + 1n, T + 2n]]);
  await deleteRecords(t, 'local-tiered', 0, 1n);
  return lookups(t, 'local-tiered', [EARLIEST_LOCAL, LATEST_TIERED], 9);
});

// --- after DeleteRecords, unknown partitions, several partitions ------------------------------------------

scenario(
  'ListOffsets after DeleteRecords: earliest, a deleted record’s time, the max timestamp',
  async (t) => {
    await topicWith(t, 'trimmed', [
      [T + 50n, T + 10n, T + 20n],
      [T + 30n, T + 40n],
    ]);
    await deleteRecords(t, 'trimmed', 0, 1n);
    return lookups(t, 'trimmed', [EARLIEST, LATEST, T, T + 15n, MAX_TIMESTAMP], 7);
  },
);

scenario('ListOffsets after DeleteRecords past a whole batch', async (t) => {
  await topicWith(t, 'trimmed-batch', [
    [T, T + 10n],
    [T + 20n, T + 30n],
  ]);
  await deleteRecords(t, 'trimmed-batch', 0, 3n);
  return lookups(t, 'trimmed-batch', [EARLIEST, T, T + 25n, MAX_TIMESTAMP], 7);
});

for (const version of [0, 1, 7]) {
  scenario(`ListOffsets v${version}: an unknown partition and an unknown topic`, async (t) => {
    await createTopic(t, `one-partition-v${version}`);
    return {
      unknownPartition: offsetAnswer(await listOffsets(t, `one-partition-v${version}`, 3, LATEST, version)),
      unknownTopic: offsetAnswer(await listOffsets(t, `no-such-topic-v${version}`, 0, LATEST, version)),
    };
  });
}

scenario('ListOffsets: the same partition twice in one request', async (t) => {
  await topicWith(t, 'asked-twice', [[T]]);
  const response = await t.request(ListOffsetsSchema, 7, {
    ReplicaId: -1,
    IsolationLevel: 0,
    Topics: [
      {
        Name: 'asked-twice',
        Partitions: [
          { PartitionIndex: 0, CurrentLeaderEpoch: -1, Timestamp: LATEST },
          { PartitionIndex: 0, CurrentLeaderEpoch: -1, Timestamp: EARLIEST },
        ],
      },
    ],
  });
  if (response === CLOSED) return CLOSED;
  return ((response.Topics as Struct[])[0].Partitions as Struct[]).map(offsetAnswer);
});

scenario(
  'ListOffsets v7 read_committed: latest is the last stable offset (no transactions: the end)',
  async (t) => {
    await topicWith(t, 'committed', [[T, T + 1n]]);
    return firstOffsetAnswer(
      await t.request(ListOffsetsSchema, 7, {
        ...listOffsetsBody('committed', 0, LATEST),
        IsolationLevel: 1,
      }),
    );
  },
);

scenario('kafkajs admin: fetchTopicOffsets and fetchTopicOffsetsByTimestamp', async (t) => {
  await topicWith(t, 'kafkajs-offsets', [[T, T + 10n], [T + 20n]]);
  const admin = t.kafkajs().admin();
  await admin.connect();
  try {
    return {
      offsets: await admin.fetchTopicOffsets('kafkajs-offsets'),
      byTime: await admin.fetchTopicOffsetsByTimestamp('kafkajs-offsets', Number(T + 5n)),
      afterLast: await admin.fetchTopicOffsetsByTimestamp('kafkajs-offsets', Number(T + 100n)),
    };
  } finally {
    await admin.disconnect();
  }
});

scenario('ListOffsets v9: the leader epoch given with latest, earliest and a timestamp', async (t) => {
  await topicWith(t, 'epochs', [[T, T + 10n]]);
  const epochs: Record<string, unknown> = {};
  for (const [label, timestamp] of [
    ['latest', LATEST],
    ['earliest', EARLIEST],
    ['timestamp', T + 10n],
  ] as const) {
    const answer = await listOffsets(t, 'epochs', 0, timestamp, 9);
    epochs[label] = answer === CLOSED ? CLOSED : answer.LeaderEpoch;
  }
  return epochs;
});
