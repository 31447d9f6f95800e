/**
 * A function's process killed in the middle of a batch loses no record: the invocation fails as a
 * crash, the offset is not committed, and the same batch is delivered to a fresh environment.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { MappingPoller } from '../../local/runtime/esm/mapping-poller';
import { FunctionPool } from '../../local/runtime/lambda/function-pool';
import { functionSpec } from '../support/function-code';
import { mappingSpec, startMappingHarness, type MappingHarness } from '../support/mapping-harness';

describe('a function process killed mid-batch', () => {
  let h: MappingHarness;
  let pool: FunctionPool;
  let poller: MappingPoller;
  beforeEach(async () => {
    h = await startMappingHarness();
  });
  afterEach(async () => {
    await poller?.stop();
    await pool?.close();
    await h.close();
  });

  it('GIVEN a batch in flight WHEN its process is SIGKILLed THEN the batch comes again and every record is processed', async () => {
    await h.createTopic('payments', 2);
    for (let p = 0; p < 2; p++) {
      await h.producer.send({
        topic: 'payments',
        acks: -1,
        messages: Array.from({ length: 30 }, (_, i) => ({ value: `p${p}-${i}`, partition: p })),
      });
    }
    // The first invocation writes its pid and hangs; every invocation logs what it was given, and what
    // it finished, one JSON line each.
    const spec = functionSpec(`
      const fs = require('fs'); const path = require('path');
      const dir = __dirname;
      exports.handler = async (event) => {
        const records = Object.values(event.records).flat();
        const offsets = records.map((r) => r.partition + ':' + r.offset);
        fs.appendFileSync(path.join(dir, 'started.jsonl'), JSON.stringify(offsets) + '\\n');
        if (!fs.existsSync(path.join(dir, 'hung.pid'))) {
          fs.writeFileSync(path.join(dir, 'hung.pid'), String(process.pid));
          await new Promise(() => setInterval(() => {}, 1000));
        }
        fs.appendFileSync(path.join(dir, 'done.jsonl'), JSON.stringify(offsets) + '\\n');
        return null;
      };`);
    const dir = spec.codeDir;
    const lines = (file: string) =>
      existsSync(path.join(dir, file))
        ? readFileSync(path.join(dir, file), 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as string[])
        : [];
    pool = new FunctionPool(spec, { maxConcurrency: 2 });
    poller = new MappingPoller(
      mappingSpec('payments', h.broker.bootstrapServers, {
        functionName: spec.name,
        functionArn: spec.arn,
        consumerGroupId: 'payments-ledger',
        batchSize: 10,
        source: { kind: 'self-managed', bootstrapServers: h.broker.bootstrapServers },
      }),
      pool,
      { bootstrapServers: h.broker.bootstrapServers.split(','), maxRetryBackoffMs: 50 },
    );
    poller.start();

    await h.until(() => existsSync(path.join(dir, 'hung.pid')), 'the first batch to hang');
    const hung = lines('started.jsonl')[0];
    const hungPartition = Number(hung[0].split(':')[0]);
    const committedBefore = await h.committed('payments-ledger', 'payments', hungPartition);
    process.kill(Number(readFileSync(path.join(dir, 'hung.pid'), 'utf8')), 'SIGKILL');

    await h.until(() => lines('done.jsonl').flat().length >= 60, 'all 60 records processed');
    const done = lines('done.jsonl').flat();
    const expected = [0, 1].flatMap((p) => Array.from({ length: 30 }, (_, i) => `${p}:${i}`));
    expect(new Set(done)).toEqual(new Set(expected));
    // The killed batch was delivered again, whole, and nothing of it was committed before.
    expect(lines('done.jsonl')).toContainEqual(hung);
    expect(committedBefore).toBe(Number(hung[0].split(':')[1]));
    expect(pool.stats.crashes).toBe(1);
    for (const p of [0, 1]) {
      await h.untilCommitted('payments-ledger', 'payments', 30, p);
    }
  });
});
