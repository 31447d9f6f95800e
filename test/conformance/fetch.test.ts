/**
 * Conformance: Fetch as a consumer sends it, in raw frames (a client library would hide the limits,
 * waits and error fields): size limits and the first-batch rule, long polls, out-of-range offsets,
 * isolation levels, deleted records, unknown topics and partitions, across versions.
 */
import { FetchSchema } from '../../local/kafka/messages/01-fetch';
import { fetchBody, fetchObservation, fetchObserved, sizedBatch, type FetchSpec } from './fetch-requests';
import { conformance, type Target } from './harness';
import { createTopic, deleteRecordsBefore, produceOk } from './topic-requests';

const scenario = conformance('fetch');

/**
 * A topic of one partition per element of `sizes`, holding there one one-record batch per number, its
 * value that many bytes long, produced partition by partition; resolves to the topic id.
 */
async function topicWithSizedBatches(
  t: Target,
  name: string,
  sizes: readonly (readonly number[])[],
): Promise<Buffer> {
  const id = await createTopic(t, name, { partitions: sizes.length });
  for (const [partition, values] of sizes.entries())
    for (const valueBytes of values) await produceOk(t, name, partition, sizedBatch(valueBytes));
  return id;
}

/** A one-partition topic with `batches` one-record batches of `valueBytes` each; resolves to its id. */
function topicWithBatches(
  t: Target,
  name: string,
  batches: number,
  options: { valueBytes?: number } = {},
): Promise<Buffer> {
  return topicWithSizedBatches(t, name, [Array.from({ length: batches }, () => options.valueBytes ?? 100)]);
}

/** The size of a batch holding one 1000-byte value, which the byte limit scenarios count in. */
const BATCH_OF_1000 = sizedBatch(1000).length;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const version of [4, 7, 11, 12, 13, 14, 15, 16, 17]) {
  scenario(`v${version}: three batches from offset 0, with every partition field`, async (t) => {
    const topic = `fetch-v${version}`;
    const topicId = await topicWithBatches(t, topic, 3);
    return fetchObserved(t, { version, partitions: [{ topic, topicId, offset: 0 }] });
  });
}

scenario(
  'v15 with the ReplicaState of a consumer and v17 with a ReplicaDirectoryId: read as consumers',
  async (t) => {
    const topic = 'fetch-replica-fields';
    const topicId = await topicWithBatches(t, topic, 2);
    const consumer = { ReplicaState: { ReplicaId: -1, ReplicaEpoch: -1n } };
    const v15 = await fetchObserved(t, {
      version: 15,
      extra: consumer,
      partitions: [{ topic, topicId, offset: 0 }],
    });
    const v17 = await t.request(FetchSchema, 17, {
      ...fetchBody({ version: 17, extra: consumer, partitions: [{ topic, topicId, offset: 0 }] }),
      Topics: [
        {
          TopicId: topicId,
          Partitions: [
            {
              Partition: 0,
              CurrentLeaderEpoch: -1,
              FetchOffset: 1n,
              LastFetchedEpoch: -1,
              LogStartOffset: -1n,
              PartitionMaxBytes: 1 << 20,
              ReplicaDirectoryId: Buffer.from('0123456789abcdef0123456789abcdef', 'hex'),
            },
          ],
        },
      ],
    });
    return {
      v15,
      v17: fetchObservation(t, v17, { version: 17, partitions: [{ topic, topicId, offset: 1 }] }),
    };
  },
);

scenario('a fetch from inside a batch returns that whole batch (it starts before the offset)', async (t) => {
  const topic = 'fetch-inside-batch';
  await createTopic(t, topic);
  await produceOk(t, topic, 0, sizedBatch(10));
  await produceOk(t, topic, 0, sizedBatch(10, 3)); // offsets 1-3
  return fetchObserved(t, { version: 11, partitions: [{ topic, offset: 2 }] });
});

scenario('MaxBytes below the first batch: that batch still comes back, alone', async (t) => {
  const topic = 'fetch-max-bytes-first';
  await topicWithBatches(t, topic, 3, { valueBytes: 1000 });
  return fetchObserved(t, { version: 11, maxBytes: 10, partitions: [{ topic, offset: 0 }] });
});

scenario('PartitionMaxBytes below the first batch: that batch still comes back, alone', async (t) => {
  const topic = 'fetch-partition-max-first';
  await topicWithBatches(t, topic, 3, { valueBytes: 1000 });
  return fetchObserved(t, { version: 11, partitions: [{ topic, offset: 0, partitionMaxBytes: 10 }] });
});

scenario('PartitionMaxBytes of two and a half batches: two whole batches', async (t) => {
  const topic = 'fetch-partition-max-two';
  await topicWithBatches(t, topic, 4, { valueBytes: 1000 });
  return fetchObserved(t, {
    version: 11,
    partitions: [{ topic, offset: 0, partitionMaxBytes: Math.floor(BATCH_OF_1000 * 2.5) }],
  });
});

scenario('MaxBytes spent on the first partition leaves later partitions empty', async (t) => {
  const topic = 'fetch-max-bytes-spent';
  await topicWithSizedBatches(t, topic, [
    [1000, 1000],
    [1000, 1000],
  ]);
  return fetchObserved(t, {
    version: 11,
    maxBytes: Math.floor(BATCH_OF_1000 * 1.5),
    partitions: [
      { topic, partition: 0, offset: 0 },
      { topic, partition: 1, offset: 0 },
    ],
  });
});

scenario(
  'the first-batch rule holds once: a later partition whose first batch exceeds what is left gets none',
  async (t) => {
    const topic = 'fetch-first-batch-once';
    await topicWithSizedBatches(t, topic, [[100], [5000]]);
    return fetchObserved(t, {
      version: 11,
      partitions: [
        { topic, partition: 0, offset: 0 },
        { topic, partition: 1, offset: 0, partitionMaxBytes: 1000 },
      ],
    });
  },
);

scenario('bytes of a batch cut off by PartitionMaxBytes count against MaxBytes', async (t) => {
  const topic = 'fetch-cut-batch-counts';
  await topicWithSizedBatches(t, topic, [[1000, 1000], [1000]]);
  return fetchObserved(t, {
    version: 11,
    maxBytes: Math.floor(BATCH_OF_1000 * 2.5),
    partitions: [
      { topic, partition: 0, offset: 0, partitionMaxBytes: Math.floor(BATCH_OF_1000 * 1.9) },
      { topic, partition: 1, offset: 0 },
    ],
  });
});

scenario('an empty first partition does not use up the first-batch rule', async (t) => {
  const topic = 'fetch-first-batch-empty-first';
  await topicWithSizedBatches(t, topic, [[], [5000]]);
  return fetchObserved(t, {
    version: 11,
    partitions: [
      { topic, partition: 0, offset: 0 },
      { topic, partition: 1, offset: 0, partitionMaxBytes: 1000 },
    ],
  });
});

scenario('MaxWaitMs with nothing to read: answered at the deadline with no records', async (t) => {
  const topic = 'fetch-wait-nothing';
  await createTopic(t, topic);
  return fetchObserved(t, { version: 11, maxWaitMs: 500, partitions: [{ topic, offset: 0 }] });
});

scenario('MinBytes above what there is: answered at MaxWaitMs with what there is', async (t) => {
  const topic = 'fetch-min-bytes-short';
  await topicWithBatches(t, topic, 1);
  return fetchObserved(t, {
    version: 11,
    maxWaitMs: 500,
    minBytes: 1 << 20,
    partitions: [{ topic, offset: 0 }],
  });
});

/** Starts a long poll, produces one batch while it waits, and observes the answer. */
async function longPollWokenByProduce(t: Target, spec: FetchSpec, topic: string): Promise<unknown> {
  const connection = await t.connect();
  try {
    const answer = connection.request(FetchSchema, spec.version, fetchBody(spec));
    await sleep(300); // the fetch is parked by now
    const offset = await produceOk(t, topic, 0, sizedBatch(100));
    return { produced: offset, fetched: fetchObservation(t, await answer, spec) };
  } finally {
    connection.close();
  }
}

scenario('a long poll at the end of the log is woken by a produce and returns it', async (t) => {
  const topic = 'fetch-long-poll';
  await topicWithBatches(t, topic, 1);
  return longPollWokenByProduce(
    t,
    { version: 12, maxWaitMs: 20_000, partitions: [{ topic, offset: 1 }] },
    topic,
  );
});

scenario('an unknown topic beside an empty partition does not end the long poll early', async (t) => {
  const topic = 'fetch-long-poll-unknown-beside';
  await createTopic(t, topic);
  return longPollWokenByProduce(
    t,
    {
      version: 12,
      maxWaitMs: 20_000,
      partitions: [
        { topic: 'fetch-no-such-topic', offset: 0 },
        { topic, offset: 0 },
      ],
    },
    topic,
  );
});

scenario('MinBytes 0 answers at once: a batch produced a moment later is not in the answer', async (t) => {
  const topic = 'fetch-min-bytes-zero';
  await topicWithBatches(t, topic, 1);
  return longPollWokenByProduce(
    t,
    { version: 12, maxWaitMs: 20_000, minBytes: 0, partitions: [{ topic, offset: 1 }] },
    topic,
  );
});

scenario('an offset exactly at the high watermark: no error, no records', async (t) => {
  const topic = 'fetch-at-hwm';
  await topicWithBatches(t, topic, 2);
  return fetchObserved(t, { version: 11, partitions: [{ topic, offset: 2 }] });
});

scenario('an offset above the high watermark: OFFSET_OUT_OF_RANGE', async (t) => {
  const topic = 'fetch-above-hwm';
  await topicWithBatches(t, topic, 2);
  return fetchObserved(t, { version: 11, maxWaitMs: 500, partitions: [{ topic, offset: 3 }] });
});

scenario('an offset below the log start after DeleteRecords: OFFSET_OUT_OF_RANGE', async (t) => {
  const topic = 'fetch-below-log-start';
  await topicWithBatches(t, topic, 3);
  await deleteRecordsBefore(t, topic, 0, 2);
  return fetchObserved(t, { version: 11, partitions: [{ topic, offset: 1 }] });
});

scenario('after DeleteRecords the log start offset moves and a fetch from it reads on', async (t) => {
  const topic = 'fetch-after-delete';
  await topicWithBatches(t, topic, 3);
  await deleteRecordsBefore(t, topic, 0, 2);
  return fetchObserved(t, { version: 11, partitions: [{ topic, offset: 2 }] });
});

scenario(
  'DeleteRecords inside a batch: the log start is the requested offset, the batch is still served',
  async (t) => {
    const topic = 'fetch-delete-inside-batch';
    await createTopic(t, topic);
    await produceOk(t, topic, 0, sizedBatch(10, 3));
    await deleteRecordsBefore(t, topic, 0, 1);
    return fetchObserved(t, { version: 11, partitions: [{ topic, offset: 1 }] });
  },
);

for (const [version, isolationLevel] of [
  [4, 0],
  [4, 1],
  [12, 0],
  [12, 1],
]) {
  const name = isolationLevel === 1 ? 'read_committed' : 'read_uncommitted';
  scenario(`v${version} ${name}: last stable offset and aborted transactions`, async (t) => {
    const topic = `fetch-isolation-v${version}-${isolationLevel}`;
    await topicWithBatches(t, topic, 2);
    return fetchObserved(t, { version, isolationLevel, partitions: [{ topic, offset: 0 }] });
  });
}

scenario('read_committed at the high watermark waits like read_uncommitted and answers NONE', async (t) => {
  const topic = 'fetch-committed-at-end';
  await topicWithBatches(t, topic, 1);
  return fetchObserved(t, {
    version: 11,
    isolationLevel: 1,
    maxWaitMs: 300,
    partitions: [{ topic, offset: 1 }],
  });
});

for (const version of [4, 12]) {
  scenario(`v${version}: an unknown topic answers UNKNOWN_TOPIC_OR_PARTITION`, (t) =>
    fetchObserved(t, { version, maxWaitMs: 500, partitions: [{ topic: 'fetch-unknown-topic', offset: 0 }] }),
  );
}

scenario('an unknown partition of a known topic answers UNKNOWN_TOPIC_OR_PARTITION', async (t) => {
  const topic = 'fetch-unknown-partition';
  await topicWithBatches(t, topic, 1);
  return fetchObserved(t, {
    version: 12,
    maxWaitMs: 500,
    partitions: [
      { topic, partition: 0, offset: 0 },
      { topic, partition: 5, offset: 0 },
    ],
  });
});

scenario('v13: an unknown topic id answers UNKNOWN_TOPIC_ID', (t) =>
  fetchObserved(t, {
    version: 13,
    maxWaitMs: 500,
    partitions: [{ topic: '', topicId: Buffer.from('00112233445566778899aabbccddeeff', 'hex'), offset: 0 }],
  }),
);

scenario('v13: a known and an unknown topic id in one request', async (t) => {
  const topic = 'fetch-v13-mixed';
  const topicId = await topicWithBatches(t, topic, 1);
  return fetchObserved(t, {
    version: 13,
    maxWaitMs: 500,
    partitions: [
      { topic: 'unknown', topicId: Buffer.from('ffeeddccbbaa99887766554433221100', 'hex'), offset: 0 },
      { topic, topicId, offset: 0 },
    ],
  });
});

scenario('a fetch with no partitions is answered at once and empty', (t) =>
  fetchObserved(t, { version: 12, maxWaitMs: 20_000, partitions: [] }),
);
