/**
 * kafka-python (Debian's python3-kafka) against `kw broker`: the original workshop's Python exercise,
 * a keyed JSON producer and a group consumer from the earliest offset.
 */
import { execFile } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { cliBrokerForTests } from '../support/kw-process';

const run = promisify(execFile);
const broker = cliBrokerForTests([]);

test('kafka-python produces keyed JSON with headers and a group consumer reads it all back', async () => {
  const script = path.join(__dirname, 'clients', 'kafka_python_roundtrip.py');
  // Debian's python3-kafka is visible to the system interpreter only.
  const { stdout } = await run('/usr/bin/python3', [script, broker.bootstrap, 'python-readings', '9'], {
    timeout: 60_000,
  });
  const records = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(records).toEqual(
    Array.from({ length: 9 }, (_, i) => ({
      key: `sensor-${i % 3}`,
      value: { reading: i },
      headers: { unit: 'celsius' },
      partition: 0,
      offset: i,
    })),
  );
});

test('the kafka-python group consumer committed its offsets', async () => {
  const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const [offsets] = await admin.fetchOffsets({
    groupId: 'python-python-readings',
    topics: ['python-readings'],
  });
  await admin.disconnect();
  expect(offsets.partitions).toEqual([{ partition: 0, offset: '9', metadata: null }]);
});
