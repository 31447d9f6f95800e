/**
 * `kw topics|produce|consume|groups` against the embedded broker, in process: each command, and each
 * bad input with the message a user gets.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { mockClient } from 'aws-sdk-client-mock';
import { Kafka, logLevel } from 'kafkajs';
import { main } from '../../cli/main';
import { startBroker, type RunningBroker } from '../../local/broker/broker';
import { ErrorCode } from '../../local/kafka/errors';
import type { Struct } from '../../local/kafka/message-codec';
import { DescribeGroupsSchema } from '../../local/kafka/messages/15-describe-groups';
import { freePorts } from '../support/apache-kafka';
import { startFaultProxy } from '../support/kafka-fault-proxy';
import { until } from '../support/until';
import { capture } from '../support/command-io';

/** FindCoordinator's API key. */
const FIND_COORDINATOR = 10;

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ port: 0 });
  broker.cluster.createTopic('fixed', 1);
});
afterAll(async () => {
  await broker.close();
});

interface Run {
  code: number;
  out: string;
  err: string;
}

/** Runs `kw ARGS --bootstrap BOOTSTRAP` with `input` on stdin. */
async function kwAt(bootstrap: string, args: string[], input = ''): Promise<Run> {
  const io = capture(input);
  const code = await main([...args, '--bootstrap', bootstrap], io);
  return { code, out: io.outLines.join('\n'), err: io.errLines.join('\n') };
}

/** Runs `kw ARGS --bootstrap <broker>` with `input` on stdin. */
const kw = (args: string[], input = '') => kwAt(broker.bootstrapServers, args, input);

const jsonLines = (text: string) => text.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
let topicCounter = 0;
const freshTopic = async (partitions = 1) => {
  const name = `t${++topicCounter}`;
  expect((await kw(['topics', 'create', name, '--partitions', String(partitions)])).code).toBe(0);
  return name;
};

describe('kw topics', () => {
  it('creates, lists, describes, grows and deletes a topic', async () => {
    expect(
      await kw(['topics', 'create', 'lifecycle', '--partitions', '2', '--config', 'retention.ms=60000']),
    ).toMatchObject({
      code: 0,
      out: 'created topic lifecycle with 2 partition(s)',
    });
    expect((await kw(['topics', 'list'])).out.split('\n')).toContain('lifecycle');
    const described = await kw(['topics', 'describe', 'lifecycle']);
    expect(described.out).toMatch(/^topic lifecycle: 2 partition\(s\), retention.ms=60000/);
    expect(described.out).toMatch(
      /PARTITION\s+LEADER\s+REPLICAS\s+IN-SYNC\s+FIRST OFFSET\s+NEXT OFFSET\n0\s+1\s+1\s+1\s+0\s+0\n1/,
    );
    expect(await kw(['topics', 'alter', 'lifecycle', '--partitions', '3'])).toMatchObject({ code: 0 });
    expect((await kw(['topics', 'describe', 'lifecycle'])).out).toMatch(/3 partition\(s\)/);
    expect(await kw(['topics', 'delete', 'lifecycle'])).toMatchObject({
      code: 0,
      out: 'deleted topic lifecycle',
    });
    expect((await kw(['topics', 'list'])).out.split('\n')).not.toContain('lifecycle');
  });

  it.each([
    [['topics', 'describe', 'missing'], 1, /no topic named 'missing'/],
    [['topics', 'delete', 'missing'], 1, /no topic named 'missing'/],
    [['topics', 'alter', 'missing', '--partitions', '2'], 1, /no topic named 'missing'/],
    [['topics', 'create', 'x', '--partitions', '0'], 2, /--partitions must be a whole number ≥ 1, got '0'/],
    [['topics', 'create', 'x', '--config', 'retention'], 2, /--config takes key=value, got 'retention'/],
    [
      ['topics', 'create', 'x', '--replication-factor', '2'],
      1,
      /cannot create 'x': the replication factor 2 is more than the brokers the cluster has running/,
    ],
    [['topics', 'alter', 'x'], 2, /'alter' needs --partitions N/],
    [['topics', 'describe'], 2, /'describe' needs a topic NAME/],
    [['topics', 'frobnicate', 'x'], 2, /expected create, list, describe, alter or delete/],
    [['topics', 'list', '--bogus'], 2, /Unknown option '--bogus'/],
  ])('%j → exit %i with a clear message', async (args, code, message) => {
    const run = await kw(args);
    expect(run.code).toBe(code);
    expect(run.err).toMatch(message);
  });

  it('explains a bad topic name and a config the broker refuses', async () => {
    expect((await kw(['topics', 'create', 'bad/name'])).err).toMatch(
      /cannot create 'bad\/name': a topic name uses letters, digits, '.', '_' and '-'/,
    );
    expect((await kw(['topics', 'create', 'cfg', '--config', 'retention.msx=5'])).err).toMatch(
      /the broker refused a config \(retention.msx\); check the names and values/,
    );
  });

  it('refuses to create a topic twice and to shrink one', async () => {
    const t = await freshTopic(2);
    expect((await kw(['topics', 'create', t])).err).toMatch(/already exists/);
    const shrink = await kw(['topics', 'alter', t, '--partitions', '1']);
    expect(shrink.code).toBe(1);
    expect(shrink.err).toMatch(/has 2 partition\(s\); Kafka can only add partitions/);
  });
});

describe('kw produce and kw consume', () => {
  it('sends stdin lines and reads them back from the beginning', async () => {
    const t = await freshTopic();
    expect(await kw(['produce', t], 'hello\nworld\n\n')).toMatchObject({
      code: 0,
      out: `sent 2 record(s) to ${t} (partition 0 from offset 0)`,
    });
    const read = await kw(['consume', t, '--from-beginning', '--max-messages', '2']);
    expect(read).toMatchObject({ code: 0, out: 'hello\nworld', err: '2 record(s)' });
  });

  it.each(['none', 'gzip', 'snappy', 'lz4'])(
    'keys, headers and %s compression arrive intact',
    async (compression) => {
      const t = await freshTopic(3);
      const sent = await kw(
        ['produce', t, '--key-separator', ':', '--header', 'source=test', '--compression', compression],
        'c-1:first\nc-2:second:with colon\nc-1:third\n',
      );
      expect(sent.code).toBe(0);
      const read = await kw(['consume', t, '--from-beginning', '--max-messages', '3', '--format', 'json']);
      const records = jsonLines(read.out).sort((a, b) => String(a.value).localeCompare(String(b.value)));
      expect(records.map((r) => [r.key, r.value, r.headers])).toEqual([
        ['c-1', 'first', { source: 'test' }],
        ['c-2', 'second:with colon', { source: 'test' }],
        ['c-1', 'third', { source: 'test' }],
      ]);
      // Same key, same partition.
      const byKey = records.filter((r) => r.key === 'c-1').map((r) => r.partition);
      expect(new Set(byKey).size).toBe(1);
    },
  );

  it('writes to a chosen partition, with acks 0 or 1, from a file', async () => {
    const t = await freshTopic(2);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kw-produce-')), 'records.txt');
    writeFileSync(file, 'a\nb\nc\n');
    expect((await kw(['produce', t, '--file', file, '--partition', '1', '--acks', '1'])).out).toBe(
      `sent 3 record(s) to ${t} (partition 1 from offset 0)`,
    );
    expect((await kw(['produce', t, '--partition', '0', '--acks', '0'], 'z\n')).code).toBe(0);
    const read = await kw(['consume', t, '--partition', '1', '--offset', '1', '--max-messages', '2']);
    expect(read.out).toBe('b\nc');
    // the offset is partition 1's alone: partition 0 holds only offset 0, and that does not matter
    const past = await kw(['consume', t, '--partition', '1', '--offset', '2', '--max-messages', '1']);
    expect(past).toMatchObject({ code: 0, out: 'c' });
  });

  it('a malformed key<sep>value line sends nothing', async () => {
    const t = await freshTopic();
    const run = await kw(['produce', t, '--key-separator', ':'], 'k:ok\nno separator here\n');
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/line 2 has no key separator ':': "no separator here". Nothing was sent./);
    const admin = new Kafka({ brokers: [broker.bootstrapServers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    expect((await admin.fetchTopicOffsets(t))[0].high).toBe('0');
    await admin.disconnect();
  });

  it.each([
    [['produce', 'nowhere'], 'x\n', 1, /no topic named 'nowhere'. Create it first: kw topics create nowhere/],
    [['produce', 'fixed', '--partition', '9'], 'x\n', 1, /topic 'fixed' has 1 partition\(s\) \(0-0\), not 9/],
    [['produce', 'fixed', '--acks', 'most'], 'x\n', 2, /--acks must be all, 1 or 0, got 'most'/],
    // A name every object has is not a setting either (it used to reach kafkajs as a function).
    [['produce', 'fixed', '--acks', 'toString'], 'x\n', 2, /--acks must be all, 1 or 0, got 'toString'/],
    [['produce', 'fixed', '--compression', 'constructor'], 'x\n', 2, /--compression must be none, gzip/],
    [['produce', 'fixed', '--compression', 'zstd'], 'x\n', 2, /zstd has no codec in kw/],
    [
      ['produce', 'fixed', '--compression', 'brotli'],
      'x\n',
      2,
      /--compression must be none, gzip, snappy or lz4/,
    ],
    [['produce', 'fixed', '--header', 'novalue'], 'x\n', 2, /--header takes key=value, got 'novalue'/],
    [['produce', 'fixed', '--file', '/nonexistent/file'], '', 1, /no file '\/nonexistent\/file'/],
    [['produce', 'fixed'], '\n\n', 1, /no records in the input/],
    [['produce'], '', 2, /needs a TOPIC/],
    [['consume', 'nowhere'], '', 1, /no topic named 'nowhere'/],
    [
      ['consume', 'fixed', '--partition', '5', '--from-beginning'],
      '',
      1,
      /topic 'fixed' has 1 partition\(s\) \(0-0\), not 5/,
    ],
    [['consume', 'fixed', '--offset', '3'], '', 2, /--offset needs --partition/],
    [
      ['consume', 'fixed', '--partition', '0', '--offset', '99'],
      '',
      1,
      /offset 99 is outside partition 0's range/,
    ],
    [['consume', 'fixed', '--group', 'g', '--partition', '0'], '', 2, /--partition reads without a group/],
    [['consume', 'fixed', '--from-beginning', '--offset', '1', '--partition', '0'], '', 2, /at most one of/],
    [
      ['consume', 'fixed', '--from-timestamp', 'yesterday'],
      '',
      2,
      /--from-timestamp must be an ISO 8601 time/,
    ],
    [['consume', 'fixed', '--format', 'xml'], '', 2, /--format must be text or json, got 'xml'/],
    [['consume', 'fixed', '--max-messages', '0'], '', 2, /--max-messages must be a whole number ≥ 1/],
  ])('%j with stdin %j → exit %i with a clear message', async (args, input, code, message) => {
    const run = await kw(args, input);
    expect(run.code).toBe(code);
    expect(run.err).toMatch(message);
  });

  it('--from-timestamp starts at the first record at or after the time; --timeout-ms ends an idle read', async () => {
    const t = await freshTopic();
    await kw(['produce', t], 'before\n');
    await new Promise((r) => setTimeout(r, 30));
    const middle = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 30));
    await kw(['produce', t], 'after\n');
    const read = await kw(['consume', t, '--from-timestamp', middle, '--timeout-ms', '1500']);
    expect(read).toMatchObject({ code: 0, out: 'after', err: '1 record(s)' });
  });

  it('--group commits what it printed; the next read resumes after it', async () => {
    const t = await freshTopic();
    await kw(['produce', t], 'one\ntwo\nthree\n');
    expect(
      (await kw(['consume', t, '--group', 'readers', '--from-beginning', '--max-messages', '2'])).out,
    ).toBe('one\ntwo');
    expect((await kw(['consume', t, '--group', 'readers', '--max-messages', '1'])).out).toBe('three');
    const described = await kw(['groups', 'describe', 'readers']);
    expect(described.out).toMatch(new RegExp(`${t}\\s+0\\s+-\\s+3\\s+3\\s+0`));
  });
});

describe('kw groups reset-offsets and delete', () => {
  it('moves a stopped group back to the start, to an offset, to the end; then deletes it', async () => {
    const t = await freshTopic();
    await kw(['produce', t], 'a\nb\nc\n');
    await kw(['consume', t, '--group', 'replay', '--from-beginning', '--max-messages', '3']);
    expect((await kw(['groups', 'reset-offsets', 'replay', '--topic', t, '--to-earliest'])).out).toMatch(
      new RegExp(`${t}\\s+0\\s+0`),
    );
    expect((await kw(['consume', t, '--group', 'replay', '--max-messages', '1'])).out).toBe('a');
    await kw(['groups', 'reset-offsets', 'replay', '--topic', t, '--to-offset', '2']);
    expect((await kw(['consume', t, '--group', 'replay', '--max-messages', '1'])).out).toBe('c');
    const outOfRange = await kw(['groups', 'reset-offsets', 'replay', '--topic', t, '--to-offset', '10']);
    expect(outOfRange).toMatchObject({ code: 1 });
    expect(outOfRange.err).toMatch(/offset 10 is outside partition 0's range 0-3/);
    expect(await kw(['groups', 'delete', 'replay'])).toMatchObject({ code: 0, out: 'deleted group replay' });
    const typo = await kw(['groups', 'reset-offsets', 'replya', '--topic', t, '--to-earliest']);
    expect(typo.err).toMatch(/note: there was no group named 'replya'; it now exists with these offsets/);
    expect((await kw(['groups', 'delete', 'replay'])).err).toMatch(/no group named 'replay'/);
  });

  it('waits while the group coordinator is not ready, asking again for it, as kafka-consumer-groups does', async () => {
    // A fresh Apache Kafka names the leader of __consumer_offsets as coordinator before that leader has
    // loaded it: its first answers are NOT_COORDINATOR. The proxy answers so in front of the broker.
    let port = 0;
    const proxy = await startFaultProxy(() => port);
    const behind = await startBroker({ port: 0, advertisedListeners: [proxy.address] });
    port = behind.port;
    try {
      behind.cluster.createTopic('loading', 1);
      const notReady = (request: Struct) => ({
        ThrottleTimeMs: 0,
        Groups: (request.Groups as string[]).map((GroupId) => ({
          ErrorCode: ErrorCode.NOT_COORDINATOR,
          GroupId,
          GroupState: '',
          ProtocolType: '',
          ProtocolData: '',
          Members: [],
        })),
      });
      proxy.answer(DescribeGroupsSchema, notReady, 3);
      const lookups = proxy.seen(FIND_COORDINATOR);
      const describes = proxy.seen(DescribeGroupsSchema.request.apiKey);
      const reset = await kwAt(proxy.address, [
        'groups',
        'reset-offsets',
        'fresh',
        '--topic',
        'loading',
        '--to-earliest',
      ]);
      expect(reset).toMatchObject({
        code: 0,
        err: expect.stringMatching(/no group named 'fresh'; it now exists/),
      });
      expect(reset.out).toMatch(/TOPIC\s+PARTITION\s+NEW OFFSET\nloading\s+0\s+0/);
      // three refused, the fourth answered; kw looked the coordinator up again between them
      expect(proxy.seen(DescribeGroupsSchema.request.apiKey) - describes).toBe(4);
      expect(proxy.seen(FIND_COORDINATOR) - lookups).toBeGreaterThanOrEqual(2);

      proxy.answer(DescribeGroupsSchema, notReady, 2);
      expect(await kwAt(proxy.address, ['groups', 'describe', 'fresh'])).toMatchObject({
        code: 0,
        out: expect.stringMatching(/^group fresh: Empty, 0 member\(s\)/),
      });
    } finally {
      await behind.close();
      await proxy.close();
    }
  });

  it('refuses to move the offsets of a group with running members', async () => {
    const t = await freshTopic();
    const consumer = new Kafka({ brokers: [broker.bootstrapServers], logLevel: logLevel.NOTHING }).consumer({
      groupId: 'live',
      heartbeatInterval: 200,
      // Its disconnect waits for the fetch in flight: a short long-poll ends the test sooner.
      maxWaitTimeInMs: 200,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: t });
    await consumer.run({ eachMessage: async () => undefined });
    try {
      // Wait until the member holds the partition (no reset attempt before: it would commit offsets).
      const described = await until(async () => {
        const run = await kw(['groups', 'describe', 'live']);
        return new RegExp(`\\s${t}:0\\n`).test(run.out) && run;
      }, 'the live member to hold the partition');
      // Nothing committed yet: describe still shows who holds which partition.
      expect(described.out).toMatch(/^group live: Stable, 1 member\(s\)/);
      expect(described.out).toMatch(
        new RegExp(`MEMBER\\s+PARTITIONS\\n.*\\s${t}:0\\n+no committed offsets yet`),
      );
      const run = await kw(['groups', 'reset-offsets', 'live', '--topic', t, '--to-earliest']);
      expect(run.code).toBe(1);
      expect(run.err).toMatch(/group 'live' has 1 running member\(s\); stop them first/);
    } finally {
      await consumer.disconnect();
    }
  });

  it.each([
    [['groups', 'reset-offsets', 'g'], /'reset-offsets' needs --topic T/],
    [
      ['groups', 'reset-offsets', 'g', '--topic', 'fixed'],
      /exactly one of --to-earliest, --to-latest, --to-offset N/,
    ],
    [
      ['groups', 'reset-offsets', 'g', '--topic', 'fixed', '--to-offset', 'first'],
      /--to-offset must be an offset/,
    ],
    [['groups', 'delete'], /'delete' needs a GROUP/],
  ])('%j → exit 2 with a clear message', async (args, message) => {
    const run = await kw(args);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(message);
  });
});

describe('connection', () => {
  it.each([
    ['topics', 'list'],
    ['produce', 'x'],
    ['consume', 'x'],
    ['groups', 'list'],
  ])('kw %s %s against an unreachable broker says where it tried and how to start one', async (...args) => {
    const io = capture('v\n');
    expect(await main([...args, '--bootstrap', '127.0.0.1:9'], io)).toBe(1);
    expect(io.stderr).toMatch(
      /cannot reach a Kafka broker at 127.0.0.1:9. Start one with 'kw broker' \(or 'npm start'\)/,
    );
  });

  it('--bootstrap takes a list: a dead first address does not stop the command', async () => {
    const io = capture();
    expect(await main(['topics', 'list', '--bootstrap', `127.0.0.1:9,${broker.bootstrapServers}`], io)).toBe(
      0,
    );
    expect(io.stdout).toMatch(/^fixed$/m);
  });

  it('topics describe still shows the partitions when a broker Metadata lists refuses the connection', async () => {
    // Metadata comes from the bootstrap address, but names the broker at a port nobody listens on:
    // what a client sees in the seconds after a broker stops, before the cluster fences it.
    const [closed] = await freePorts(1);
    const stale = await startBroker({ port: 0, advertisedListeners: [`127.0.0.1:${closed}`] });
    try {
      stale.cluster.createTopic('listed', 2);
      const described = await kwAt(stale.bootstrapServers, ['topics', 'describe', 'listed']);
      expect(described.code).toBe(0);
      expect(described.out).toMatch(
        new RegExp(
          `^topic listed: 2 partition\\(s\\); offsets and configs unavailable: the broker at 127\\.0\\.0\\.1:${closed} did not answer \\(a broker that has just stopped stays in Metadata until the cluster fences it; try again in a few seconds\\)\n`,
        ),
      );
      expect(described.out).toMatch(/\n0\s+1\s+1\s+1\s+-\s+-\n1\s+1\s+1\s+1\s+-\s+-\s*$/);
    } finally {
      await stale.close();
    }
  });

  it('--bootstrap with an entry that is not host:port names it', async () => {
    const io = capture();
    expect(await main(['topics', 'list', '--bootstrap', `${broker.bootstrapServers},nonsense`], io)).toBe(1);
    expect(io.stderr).toMatch(/kw topics: --bootstrap: 'nonsense' is not host:port/);
  });

  it('--cluster-arn asks MSK for the brokers (AWS control plane mocked at the SDK boundary)', async () => {
    const msk = mockClient(KafkaClient);
    msk.on(GetBootstrapBrokersCommand).resolves({});
    try {
      const io = capture();
      const arn = 'arn:aws:kafka:eu-west-1:123456789012:cluster/demo/abc';
      expect(await main(['topics', 'list', '--cluster-arn', arn], io)).toBe(1);
      expect(msk.commandCalls(GetBootstrapBrokersCommand)[0].args[0].input).toEqual({ ClusterArn: arn });
      expect(io.stderr).toMatch(
        /cannot get the brokers of arn:aws:kafka:eu-west-1:.*returned no IAM bootstrap brokers/,
      );
      expect(await main(['topics', 'list', '--cluster-arn', arn, '--bootstrap', 'h:1'], io)).toBe(1);
      expect(io.stderr).toMatch(/pass --bootstrap or --cluster-arn, not both/);
    } finally {
      msk.restore();
    }
  });

  it('every command has --help with examples', async () => {
    for (const command of [
      'up',
      'load',
      'broker',
      'topics',
      'produce',
      'consume',
      'groups',
      'config',
      'sweep',
    ]) {
      const io = capture();
      expect(await main([command, '--help'], io)).toBe(0);
      expect(io.stdout).toMatch(/Examples:\n {2}\S/);
    }
  });
});
