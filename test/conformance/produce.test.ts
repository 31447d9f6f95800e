/**
 * Conformance: Produce, with hand-built record batches sent as raw requests (a client would never send
 * a bad CRC, a wrong magic or a resent sequence on request, and retries what it can), and kafkajs
 * where what a producer library gets out of the answers is the point.
 */
import { InitProducerIdSchema } from '../../local/kafka/messages/22-init-producer-id';
import { ListOffsetsSchema } from '../../local/kafka/messages/02-list-offsets';
import { ProduceSchema } from '../../local/kafka/messages/00-produce';
import type { Struct } from '../../local/kafka/message-codec';
import { Reader } from '../../local/kafka/primitives';
import { decodeMessage } from '../../local/kafka/message-codec';
import { requestFrame } from '../../local/kafka/request-frame';
import { batchHeaders, recordBatch, type BatchSpec, type StoredBatchHeader } from './batch-builder';
import { fetchPartition } from './fetch-requests';
import { CLOSED, conformance, only, type Target } from './harness';
import {
  createTopic,
  listOffsets,
  listOffsetsBody,
  produce,
  produceBody,
  type NewTopic,
} from './topic-requests';

const scenario = conformance('produce');

const LATEST = -1n;

/** A batch of `count` small records. */
const records = (count: number, spec: Partial<BatchSpec> = {}) =>
  recordBatch({ records: Array.from({ length: count }, (_, i) => ({ value: `value-${i}` })), ...spec });

/**
 * What a producer learns from a partition's answer: the error, offsets, whether a log-append time was
 * given (not the time itself), and the per-batch record errors; free-text messages left out.
 */
function outcome(answer: Struct | typeof CLOSED): unknown {
  if (answer === CLOSED) return CLOSED;
  return {
    ...(only(answer, ['ErrorCode', 'BaseOffset', 'LogStartOffset', 'RecordErrors', 'BatchIndex']) as object),
    logAppendTime: answer.LogAppendTimeMs === -1n ? -1 : 'a time',
  };
}

/** The partition's latest offset (how many records it holds, when nothing was deleted). */
async function latest(t: Target, topic: string, partition = 0): Promise<unknown> {
  const answer = await listOffsets(t, topic, partition, LATEST);
  return answer === CLOSED ? CLOSED : answer.Offset;
}

/** Creates `topic`, produces `batch` into partition 0, and observes the answer and the log end. */
async function produceOnce(
  t: Target,
  topic: string,
  batch: Buffer | null,
  options: { version?: number; acks?: number; topicSettings?: NewTopic } = {},
): Promise<unknown> {
  await createTopic(t, topic, options.topicSettings);
  return {
    answer: outcome(await produce(t, topic, 0, batch, options)),
    latest: await latest(t, topic),
  };
}

// --- acks -------------------------------------------------------------------------------------------

for (const version of [3, 5, 8, 9, 11]) {
  for (const acks of [1, -1]) {
    scenario(`Produce v${version} acks=${acks}: three records appended at offset 0`, (t) =>
      produceOnce(t, `acks${acks}-v${version}`, records(3), { version, acks }),
    );
  }
}

scenario('Produce acks=1 twice: the second batch gets the next offsets', async (t) => {
  await createTopic(t, 'acks-twice');
  return [
    outcome(await produce(t, 'acks-twice', 0, records(2), { acks: 1 })),
    outcome(await produce(t, 'acks-twice', 0, records(3), { acks: 1 })),
    await latest(t, 'acks-twice'),
  ];
});

/**
 * Sends `produceFrame` and then a ListOffsets (latest) on one connection and reports which
 * correlation id the first response carries, or that the broker hung up.
 */
async function acksZeroThenListOffsets(t: Target, topic: string, produceFrame: Buffer): Promise<unknown> {
  const connection = await t.connect();
  try {
    connection.send(produceFrame);
    connection.send(
      requestFrame(ListOffsetsSchema.request, 1, listOffsetsBody(topic, 0, LATEST), 2, 'conformance'),
    );
    const frame = await connection.nextFrame();
    if (frame === CLOSED) return { firstAnswer: CLOSED };
    const r = new Reader(frame);
    const correlationId = r.int32();
    const body = decodeMessage(ListOffsetsSchema.response, 1, r);
    const partition = ((body.Topics as Struct[])[0].Partitions as Struct[])[0];
    return {
      firstAnswerTo: correlationId === 1 ? 'the produce' : 'the list offsets',
      latest: partition.Offset,
    };
  } finally {
    connection.close();
  }
}

scenario(
  'Produce acks=0: no answer; the next request on the connection is answered and sees the records',
  async (t) => {
    await createTopic(t, 'acks0');
    return acksZeroThenListOffsets(
      t,
      'acks0',
      requestFrame(ProduceSchema.request, 8, produceBody('acks0', 0, records(4), 0), 1, 'conformance'),
    );
  },
);

scenario('Produce acks=0 to an unknown topic: the broker closes the connection', (t) =>
  acksZeroThenListOffsets(
    t,
    'acks0-nowhere',
    requestFrame(ProduceSchema.request, 8, produceBody('acks0-nowhere', 0, records(1), 0), 1, 'conformance'),
  ),
);

scenario('Produce acks=0 with a corrupt batch: the broker closes the connection', async (t) => {
  await createTopic(t, 'acks0-corrupt');
  return acksZeroThenListOffsets(
    t,
    'acks0-corrupt',
    requestFrame(
      ProduceSchema.request,
      8,
      produceBody('acks0-corrupt', 0, records(1, { corruptCrc: true }), 0),
      1,
      'conformance',
    ),
  );
});

for (const acks of [2, -2]) {
  scenario(`Produce acks=${acks} is INVALID_REQUIRED_ACKS and appends nothing`, (t) =>
    produceOnce(t, `acks-invalid${acks}`, records(1), { acks }),
  );
}

scenario('Produce acks=2 naming a known and an unknown topic', async (t) => {
  await createTopic(t, 'acks2-known');
  const response = await t.request(ProduceSchema, 8, {
    TransactionalId: null,
    Acks: 2,
    TimeoutMs: 10_000,
    TopicData: [
      { Name: 'acks2-known', PartitionData: [{ Index: 0, Records: records(1) }] },
      { Name: 'acks2-unknown', PartitionData: [{ Index: 0, Records: records(1) }] },
    ],
  });
  if (response === CLOSED) return CLOSED;
  return (response.Responses as Struct[])
    .map((topic) => ({ name: topic.Name, answer: outcome((topic.PartitionResponses as Struct[])[0]) }))
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));
});

// --- batches the broker must refuse ------------------------------------------------------------------

scenario('Produce: a batch larger than the topic’s max.message.bytes is MESSAGE_TOO_LARGE', (t) =>
  produceOnce(t, 'too-large', records(20), { topicSettings: { configs: { 'max.message.bytes': '200' } } }),
);

scenario('Produce: a batch exactly at max.message.bytes is accepted', async (t) => {
  const batch = records(3);
  return produceOnce(t, 'just-fits', batch, {
    topicSettings: { configs: { 'max.message.bytes': String(batch.length) } },
  });
});

scenario('Produce: records larger than the topic’s segment.bytes are RECORD_LIST_TOO_LARGE', (t) =>
  produceOnce(t, 'beyond-segment', records(10), { topicSettings: { configs: { 'segment.bytes': '100' } } }),
);

scenario('Produce: a batch whose CRC does not match is CORRUPT_MESSAGE', (t) =>
  produceOnce(t, 'bad-crc', records(2, { corruptCrc: true })),
);

for (const magic of [0, 1, 3]) {
  scenario(`Produce v8: a batch with magic byte ${magic}`, (t) =>
    produceOnce(t, `magic-${magic}`, records(1, { magic })),
  );
}

scenario('Produce: no bytes at all for a partition', (t) => produceOnce(t, 'no-bytes', Buffer.alloc(0)));

scenario('Produce v8: two batches for one partition in one request', (t) =>
  produceOnce(t, 'two-batches', Buffer.concat([records(2), records(3)])),
);

scenario('Produce: a batch whose header counts no records', (t) =>
  produceOnce(t, 'zero-count', records(1, { recordCount: 0 })),
);

scenario('Produce: a batch whose record count disagrees with its last offset delta', (t) =>
  produceOnce(t, 'count-mismatch', records(3, { lastOffsetDelta: 4 })),
);

// (A zstd batch at v7+ would need real zstd compression: Kafka decompresses to validate it.)
for (const version of [3, 6]) {
  scenario(`Produce v${version}: a batch marked zstd`, (t) =>
    produceOnce(t, `zstd-v${version}`, records(1, { compression: 'zstd' }), { version }),
  );
}

scenario('Produce: a batch whose base offset is not 0', (t) =>
  produceOnce(t, 'base-offset', records(2, { baseOffset: 42n })),
);

scenario('Produce: a control batch from a client', (t) =>
  produceOnce(t, 'control-batch', records(1, { attributes: 0x20 })),
);

scenario('Produce: a batch marked LogAppendTime by the producer, to a CreateTime topic', (t) =>
  produceOnce(t, 'producer-append-time', records(2, { attributes: 0x08 })),
);

scenario('Produce: a record without a key to a compacted topic', (t) =>
  produceOnce(
    t,
    'compacted-no-key',
    recordBatch({ records: [{ key: 'k', value: 'v' }, { value: 'no key' }] }),
    {
      topicSettings: { configs: { 'cleanup.policy': 'compact' } },
    },
  ),
);

scenario('Produce: an uncompressed batch with a valid CRC whose records are garbage', (t) =>
  produceOnce(t, 'garbage-records', records(2, { payload: Buffer.from('these bytes are not records') })),
);

scenario(
  'Produce: a gzip batch with a valid CRC whose payload is not gzip',
  (t) =>
    produceOnce(
      t,
      'garbage-gzip',
      records(2, { compression: 'gzip', payload: Buffer.from('not gzip at all') }),
    ),
  {
    differs: {
      skipped: 'Record checks inside compressed batches',
      apache: {
        answer: {
          ErrorCode: 'UNKNOWN_SERVER_ERROR',
          BaseOffset: -1,
          LogStartOffset: 0,
          RecordErrors: [],
          logAppendTime: -1,
        },
        latest: 0,
      },
      embedded: {
        answer: { ErrorCode: 'NONE', BaseOffset: 0, LogStartOffset: 0, RecordErrors: [], logAppendTime: -1 },
        latest: 2,
      },
    },
  },
);

scenario('Produce: a batch with a producer id but no sequence number', (t) =>
  produceOnce(t, 'no-sequence', records(1, { producerId: 5n, producerEpoch: 0, baseSequence: -1 })),
);

// --- where the records go ------------------------------------------------------------------------------

scenario('Produce to a topic that does not exist (no auto-creation on produce)', async (t) => ({
  answer: outcome(await produce(t, 'produce-nowhere', 0, records(1))),
  latest: await latest(t, 'produce-nowhere'),
}));

scenario('Produce to a partition index beyond the topic’s partitions, and to -1', async (t) => {
  await createTopic(t, 'two-partitions', { partitions: 2 });
  return [
    outcome(await produce(t, 'two-partitions', 2, records(1))),
    outcome(await produce(t, 'two-partitions', -1, records(1))),
  ];
});

scenario('Produce to an invalid topic name', async (t) =>
  outcome(await produce(t, 'no spaces here', 0, records(1))),
);

scenario('Produce acks=-1 with min.insync.replicas above the replicas there are', async (t) => {
  await createTopic(t, 'min-isr', { configs: { 'min.insync.replicas': '2' } });
  return {
    acksAll: outcome(await produce(t, 'min-isr', 0, records(1), { acks: -1 })),
    acksOne: outcome(await produce(t, 'min-isr', 0, records(1), { acks: 1 })),
    latest: await latest(t, 'min-isr'),
  };
});

// --- timestamps -------------------------------------------------------------------------------------------

const PRODUCER_TIME = 1_700_000_000_000n;

/**
 * The headers of the batches a fetch from offset 0 returns, fetched again (for up to 5 s) while it
 * returns none: a fetch right after an acknowledged produce has been seen to come back empty.
 */
async function storedBatches(t: Target, topic: string): Promise<StoredBatchHeader[]> {
  for (let attempt = 0; ; attempt++) {
    const fetched = await fetchPartition(t, topic, 0, 0);
    const headers = batchHeaders(fetched.Records as Buffer | null);
    if (headers.length > 0 || attempt === 50) return headers;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Produces one batch stamped at PRODUCER_TIME and reads back what the broker stored. */
async function stampedBatch(
  t: Target,
  topic: string,
  type: 'CreateTime' | 'LogAppendTime',
): Promise<unknown> {
  await createTopic(t, topic, { configs: { 'message.timestamp.type': type } });
  const answer = outcome(
    await produce(
      t,
      topic,
      0,
      recordBatch({
        records: [
          { value: 'a', timestamp: PRODUCER_TIME },
          { value: 'b', timestamp: PRODUCER_TIME + 5n },
        ],
      }),
    ),
  );
  const [stored] = await storedBatches(t, topic);
  return {
    answer,
    stored: {
      logAppendTime: stored.logAppendTime,
      maxTimestamp: stored.maxTimestamp === PRODUCER_TIME + 5n ? "the producer's" : 'another',
    },
  };
}

scenario('Produce to a CreateTime topic keeps the producer’s timestamps; LogAppendTimeMs is -1', (t) =>
  stampedBatch(t, 'create-time', 'CreateTime'),
);

scenario(
  'Produce to a LogAppendTime topic: LogAppendTimeMs is set and the stored batch carries the broker’s time',
  (t) => stampedBatch(t, 'append-time', 'LogAppendTime'),
);

// --- idempotent producers -------------------------------------------------------------------------------

/**
 * A producer id and epoch from InitProducerId (no transactional id), retried while the broker answers
 * a retriable error (Kafka's first id block comes from its controller).
 */
async function producerId(t: Target): Promise<{ id: bigint; epoch: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const response = await t.request(InitProducerIdSchema, 1, {
      TransactionalId: null,
      TransactionTimeoutMs: 60_000,
    });
    if (response === CLOSED) break;
    if (response.ErrorCode === 0)
      return { id: response.ProducerId as bigint, epoch: response.ProducerEpoch as number };
    if (![7, 14, 15, 16].includes(response.ErrorCode as number)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('InitProducerId failed');
}

/** A batch of `count` records from an idempotent producer, starting at `sequence`. */
const sequenced = (
  producer: { id: bigint; epoch: number },
  sequence: number,
  count: number,
  epoch = producer.epoch,
) => records(count, { producerId: producer.id, producerEpoch: epoch, baseSequence: sequence });

scenario(
  'Idempotent producer: the last batch sent again gets its first offset and is not stored twice',
  async (t) => {
    await createTopic(t, 'idem-last');
    const p = await producerId(t);
    return [
      outcome(await produce(t, 'idem-last', 0, sequenced(p, 0, 2))),
      outcome(await produce(t, 'idem-last', 0, sequenced(p, 2, 3))),
      outcome(await produce(t, 'idem-last', 0, sequenced(p, 2, 3))),
      await latest(t, 'idem-last'),
    ];
  },
);

scenario('Idempotent producer: an earlier batch among the last five sent again', async (t) => {
  await createTopic(t, 'idem-earlier');
  const p = await producerId(t);
  const answers = [];
  for (let i = 0; i < 4; i++)
    answers.push(outcome(await produce(t, 'idem-earlier', 0, sequenced(p, i * 2, 2))));
  answers.push(outcome(await produce(t, 'idem-earlier', 0, sequenced(p, 2, 2))));
  return { answers, latest: await latest(t, 'idem-earlier') };
});

scenario('Idempotent producer: a batch older than the last five sent again', async (t) => {
  await createTopic(t, 'idem-old');
  const p = await producerId(t);
  for (let i = 0; i < 7; i++) await produce(t, 'idem-old', 0, sequenced(p, i, 1));
  return {
    resent: outcome(await produce(t, 'idem-old', 0, sequenced(p, 0, 1))),
    latest: await latest(t, 'idem-old'),
  };
});

scenario('Idempotent producer: a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER', async (t) => {
  await createTopic(t, 'idem-gap');
  const p = await producerId(t);
  return [
    outcome(await produce(t, 'idem-gap', 0, sequenced(p, 0, 2))),
    outcome(await produce(t, 'idem-gap', 0, sequenced(p, 5, 1))),
    await latest(t, 'idem-gap'),
  ];
});

scenario('Idempotent producer: a first batch that does not start at sequence 0', async (t) => {
  await createTopic(t, 'idem-late-start');
  const p = await producerId(t);
  return [
    outcome(await produce(t, 'idem-late-start', 0, sequenced(p, 3, 1))),
    await latest(t, 'idem-late-start'),
  ];
});

scenario('Idempotent producer: an older epoch after a newer one is fenced', async (t) => {
  await createTopic(t, 'idem-fenced');
  const p = await producerId(t);
  return [
    outcome(await produce(t, 'idem-fenced', 0, sequenced(p, 0, 1, p.epoch + 1))),
    outcome(await produce(t, 'idem-fenced', 0, sequenced(p, 1, 1, p.epoch))),
    await latest(t, 'idem-fenced'),
  ];
});

scenario('Idempotent producer: a newer epoch must start again at sequence 0', async (t) => {
  await createTopic(t, 'idem-bumped');
  const p = await producerId(t);
  return [
    outcome(await produce(t, 'idem-bumped', 0, sequenced(p, 0, 2))),
    outcome(await produce(t, 'idem-bumped', 0, sequenced(p, 2, 1, p.epoch + 1))),
    outcome(await produce(t, 'idem-bumped', 0, sequenced(p, 0, 1, p.epoch + 1))),
    await latest(t, 'idem-bumped'),
  ];
});

scenario('Idempotent producer: a producer id the broker never handed out', async (t) => {
  await createTopic(t, 'idem-unknown-id');
  const stranger = { id: 987_654_321n, epoch: 0 };
  return [
    outcome(await produce(t, 'idem-unknown-id', 0, sequenced(stranger, 0, 1))),
    outcome(await produce(t, 'idem-unknown-id', 0, sequenced({ id: 987_654_322n, epoch: 0 }, 7, 1))),
    await latest(t, 'idem-unknown-id'),
  ];
});

scenario('kafkajs idempotent producer: three sends, each record once, in order', async (t) => {
  await createTopic(t, 'kafkajs-idempotent');
  const producer = t.kafkajs().producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const sent = [];
    for (let i = 0; i < 3; i++) {
      const [meta] = await producer.send({
        topic: 'kafkajs-idempotent',
        messages: [{ value: `v${i}` }, { value: `w${i}` }],
      });
      sent.push({ errorCode: meta.errorCode, baseOffset: meta.baseOffset });
    }
    return { sent, latest: await latest(t, 'kafkajs-idempotent') };
  } finally {
    await producer.disconnect();
  }
});

scenario('kafkajs producer: acks 0, 1 and -1 as a client reports them', async (t) => {
  await createTopic(t, 'kafkajs-acks');
  const producer = t.kafkajs().producer();
  await producer.connect();
  try {
    const reports = [];
    for (const acks of [0, 1, -1]) {
      const metadata = await producer.send({
        topic: 'kafkajs-acks',
        acks,
        messages: [{ value: `acks ${acks}` }],
      });
      reports.push(metadata.map((m) => ({ errorCode: m.errorCode, baseOffset: m.baseOffset })));
    }
    return reports;
  } finally {
    await producer.disconnect();
  }
});
