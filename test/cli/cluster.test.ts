/**
 * The failure-drill control channel (local/broker/control) and `kw cluster`: who may use the channel,
 * how the CLI finds it, and drills on a real three-broker cluster, in process and through `kw broker`.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { main } from '../../cli/main';
import { startBroker, type RunningBroker } from '../../local/broker/broker';
import { hostAllowed, tokenMatches } from '../../local/broker/control/control-routes';
import { startControlServer, type RunningControl } from '../../local/broker/control/control-server';
import {
  findControl,
  removeRunFiles,
  runFilePath,
  writeRunFiles,
  type RunInfo,
} from '../../local/broker/control/run-file';
import type { ActionResult, ControlStatus } from '../../local/broker/control/cluster-view';
import { capture } from '../support/command-io';
import { runKw, startCliBroker, startKw } from '../support/kw-process';
import { until } from '../support/until';

const scratch = () => mkdtempSync(path.join(tmpdir(), 'kw-control-'));

/** A pid that no process has any more: a child that already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('who may use the control channel', () => {
  const at = { host: '127.0.0.1', port: 4000 };

  test.each([
    ['127.0.0.1:4000', at, true],
    ['localhost:4000', at, true],
    ['LOCALHOST:4000', at, true],
    // a name pointed at 127.0.0.1 (DNS rebinding) is not this server's name
    ['evil.example:4000', at, false],
    ['127.evil.example:4000', at, false],
    ['127.0.0.1:4001', at, false],
    ['127.0.0.1', at, false],
    [undefined, at, false],
    ['[::1]:4000', { host: '::1', port: 4000 }, true],
    ['localhost:4000', { host: '::1', port: 4000 }, true],
    ['10.0.0.5:4000', { host: '0.0.0.0', port: 4000 }, true],
    ['evil.example:4000', { host: '0.0.0.0', port: 4000 }, false],
    ['10.0.0.5:4000', { host: '10.0.0.5', port: 4000 }, true],
    ['localhost:4000', { host: '10.0.0.5', port: 4000 }, false],
  ])('Host %s for a server on %j: %s', (header, access, allowed) => {
    expect(hostAllowed(header, access)).toBe(allowed);
  });

  test('the token must be the whole bearer token', () => {
    expect(tokenMatches('Bearer abc123', 'abc123')).toBe(true);
    expect(tokenMatches('bearer abc123', 'abc123')).toBe(true);
    expect(tokenMatches('Bearer abc12', 'abc123')).toBe(false);
    expect(tokenMatches('Bearer abc1234', 'abc123')).toBe(false);
    expect(tokenMatches('Basic abc123', 'abc123')).toBe(false);
    expect(tokenMatches(undefined, 'abc123')).toBe(false);
  });
});

describe('run files', () => {
  const info = (pid: number): RunInfo => ({
    pid,
    controlUrl: 'http://127.0.0.1:1',
    token: 't',
    bootstrapServers: '127.0.0.1:9092,127.0.0.1:9093',
  });

  test('one per broker address, readable by this user only, found from any of them', () => {
    const dir = path.join(scratch(), 'runs');
    const files = writeRunFiles(['127.0.0.1:9092', '127.0.0.1:9093'], info(process.pid), dir);
    expect(files).toEqual([path.join(dir, '127.0.0.1-9092.json'), path.join(dir, '127.0.0.1-9093.json')]);
    for (const file of files) expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(findControl('127.0.0.1:9093', dir)).toMatchObject({ found: true, info: info(process.pid) });
    expect(findControl('localhost:9092', dir)).toMatchObject({ found: true, file: files[0] });
    expect(findControl('127.0.0.1:9094', dir)).toEqual({
      found: false,
      file: path.join(dir, '127.0.0.1-9094.json'),
    });
    removeRunFiles(files);
    expect(findControl('127.0.0.1:9092', dir)).toMatchObject({ found: false });
  });

  test("a file whose process is gone is stale; removing leaves another process's file alone", () => {
    const dir = path.join(scratch(), 'runs');
    const pid = deadPid();
    const [file] = writeRunFiles(['127.0.0.1:9092'], info(pid), dir);
    expect(findControl('127.0.0.1:9092', dir)).toEqual({ found: false, file, stale: { pid } });
    removeRunFiles([file]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid });
  });

  test('a wildcard listener is found through a loopback address', () => {
    const dir = path.join(scratch(), 'runs');
    writeRunFiles(['0.0.0.0:9092'], info(process.pid), dir);
    expect(findControl('127.0.0.1:9092', dir)).toMatchObject({ found: true });
    expect(runFilePath('[::1]:9092', dir)).toBe(path.join(dir, '__1-9092.json'));
  });

  test('a run folder others can write to is refused', () => {
    const dir = path.join(scratch(), 'runs');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    expect(() => writeRunFiles(['127.0.0.1:9092'], info(process.pid), dir)).toThrow(
      /must be a folder of this user that others cannot enter/,
    );
  });
});

/** One HTTP request to the channel, with the Host header a browser would send for `host`. */
function call(
  control: RunningControl,
  method: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; allow?: string }> {
  const url = new URL(target, control.url);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(text) as Record<string, unknown>,
          allow: res.headers.allow,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const auth = (control: RunningControl) => ({ authorization: `Bearer ${control.token}` });

describe('the control channel on a three-broker cluster', () => {
  let broker: RunningBroker;
  let control: RunningControl;
  let admin: Admin;
  const runs = path.join(scratch(), 'runs');

  beforeAll(async () => {
    // a short session, so that a paused broker is fenced within the test
    broker = await startBroker({ brokers: 3, port: 0, brokerSessionTimeoutMs: 1000 });
    control = await startControlServer(broker, { runDirectory: runs });
    admin = new Kafka({ brokers: broker.bootstrapServers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: 'drill', numPartitions: 3, replicationFactor: 3 }],
      waitForLeaders: true,
    });
  });
  afterAll(async () => {
    await admin?.disconnect();
    await control?.close();
    await broker?.close();
  });

  const metadata = async () =>
    (await admin.fetchTopicMetadata({ topics: ['drill'] })).topics[0].partitions.sort(
      (a, b) => a.partitionId - b.partitionId,
    );

  test('writes a run file for each broker, which the CLI finds from the bootstrap address', () => {
    expect(control.runFiles).toHaveLength(3);
    const found = findControl(broker.bootstrapServers.split(',')[2], runs);
    expect(found).toMatchObject({ found: true, info: { pid: process.pid, controlUrl: control.url } });
  });

  test('status: every broker running, and each partition with its replicas, ISR and leader', async () => {
    const { status, body } = await call(control, 'GET', '/status');
    expect(status).toBe(200);
    const s = body as unknown as ControlStatus;
    expect(s.brokers.map((b) => [b.nodeId, b.port, b.state])).toEqual(
      broker.ports.map((port, i) => [i + 1, port, 'running']),
    );
    expect(s).toMatchObject({ underReplicated: 0, underMinIsr: 0, offline: 0 });
    const drill = s.topics.find((t) => t.name === 'drill')!;
    expect(drill.partitions).toHaveLength(3);
    for (const p of drill.partitions) {
      expect([...p.replicas].sort()).toEqual([1, 2, 3]);
      expect([...p.isr].sort()).toEqual([1, 2, 3]);
      expect(p.leader).toBe(p.replicas[0]);
      expect(p.offlineReplicas).toEqual([]);
    }
    // what status says each broker leads is what Metadata says
    for (const b of s.brokers) {
      expect(b.leaderOf).toBe(
        s.topics.flatMap((t) => t.partitions).filter((p) => p.leader === b.nodeId).length,
      );
    }
  });

  test('refuses a foreign Host, changes without the token or with a wrong one, and says why', async () => {
    const port = new URL(control.url).port;
    const rebound = await call(control, 'GET', '/status', { host: `attacker.example:${port}` });
    expect(rebound.status).toBe(421);
    expect(rebound.body.error).toMatch(/answers requests for 127.0.0.1:\d+ only, not for host 'attacker/);
    const rebound2 = await call(control, 'POST', '/brokers/1/stop', {
      host: `attacker.example:${port}`,
      ...auth(control),
    });
    expect(rebound2.status).toBe(421);

    const none = await call(control, 'POST', '/brokers/1/stop');
    expect(none).toMatchObject({ status: 403, body: { error: expect.stringMatching(/need the run token/) } });
    const wrong = await call(control, 'POST', '/brokers/1/stop', { authorization: 'Bearer nope' });
    expect(wrong).toMatchObject({ status: 403, body: { error: expect.stringMatching(/wrong token/) } });

    const method = await call(control, 'GET', '/brokers/1/stop', auth(control));
    expect(method).toMatchObject({ status: 405, allow: 'POST' });
    expect((await call(control, 'DELETE', '/status')).status).toBe(405);
    const unknown = await call(control, 'POST', '/brokers/7/stop', auth(control));
    expect(unknown).toMatchObject({
      status: 404,
      body: { error: 'no broker 7: this cluster has brokers 1, 2, 3' },
    });
    expect((await call(control, 'GET', '/nothing')).status).toBe(404);
    // nothing above changed a broker
    const after = (await call(control, 'GET', '/status')).body as unknown as ControlStatus;
    expect(after.brokers.map((b) => b.state)).toEqual(['running', 'running', 'running']);
  });

  test('stop moves the leaders of the stopped broker; start brings it back into the ISR', async () => {
    const before = await metadata();
    const victim = before[0].leader;
    const led = before.filter((p) => p.leader === victim).map((p) => p.partitionId);

    const stopped = await call(control, 'POST', `/brokers/${victim}/stop`, auth(control));
    expect(stopped.status).toBe(200);
    const result = stopped.body as unknown as ActionResult;
    expect(result.after.brokers.find((b) => b.nodeId === victim)).toMatchObject({
      state: 'stopped',
      leaderOf: 0,
    });
    // the answer lists each partition it led, with its new leader
    const moved = result.changes.filter((c) => c.topic === 'drill' && c.leader[0] === victim);
    expect(moved.map((c) => c.partition).sort()).toEqual(led);
    for (const c of moved) expect(c.leader[1]).not.toBe(victim);

    // clients see it: kafkajs' Metadata, and kw topics describe
    const during = await until(async () => {
      const m = await metadata();
      return m.every((p) => p.leader !== victim && !p.isr.includes(victim)) && m;
    }, 'leaders and ISRs without the stopped broker');
    for (const p of during) expect(p.offlineReplicas).toEqual([victim]);
    const io = capture();
    expect(await main(['topics', 'describe', 'drill', '--bootstrap', livingBootstrap(victim)], io)).toBe(0);
    expect(io.stdout).toMatch(
      /PARTITION\s+LEADER\s+REPLICAS\s+IN-SYNC\s+FIRST OFFSET\s+NEXT OFFSET\s+OFFLINE/,
    );
    const rows = io.stdout.split('\n').filter((line) => /^\d+ /.test(line));
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.split(/\s+/).at(-1)).toBe(String(victim));

    // records written meanwhile must be caught up on before it is in sync again
    const producer = new Kafka({
      brokers: livingBootstrap(victim).split(','),
      logLevel: logLevel.NOTHING,
    }).producer();
    await producer.connect();
    await producer.send({ topic: 'drill', acks: -1, messages: [{ value: 'a' }, { value: 'b' }] });
    await producer.disconnect();

    const started = await call(control, 'POST', `/brokers/${victim}/start`, auth(control));
    expect(started.status).toBe(200);
    expect((started.body as unknown as ActionResult).after.brokers[victim - 1].state).toBe('running');
    const back = await until(async () => {
      const m = await metadata();
      return m.every((p) => p.isr.includes(victim) && (p.offlineReplicas ?? []).length === 0) && m;
    }, `broker ${victim} back in every ISR`);
    expect(back.every((p) => p.leader !== -1)).toBe(true);
    const status = (await call(control, 'GET', '/status')).body as unknown as ControlStatus;
    expect(status).toMatchObject({ underReplicated: 0, offline: 0 });
  });

  test('pause holds a broker until it is fenced and its leaders move; resume brings it back', async () => {
    const victim = (await metadata())[1].leader;
    const paused = await call(control, 'POST', `/brokers/${victim}/pause`, auth(control));
    expect(paused.status).toBe(200);
    expect((paused.body as unknown as ActionResult).after.brokers[victim - 1].state).toBe('paused');
    const fenced = await until(async () => {
      const s = (await call(control, 'GET', '/status')).body as unknown as ControlStatus;
      const b = s.brokers[victim - 1];
      return b.leaderOf === 0 && b.inSyncOf === 0 && s;
    }, `broker ${victim} fenced: no leaderships, out of every ISR`);
    expect(fenced.brokers[victim - 1].state).toBe('paused');
    expect(fenced.topics.find((t) => t.name === 'drill')!.partitions.map((p) => p.offlineReplicas)).toEqual([
      [victim],
      [victim],
      [victim],
    ]);

    expect((await call(control, 'POST', `/brokers/${victim}/resume`, auth(control))).status).toBe(200);
    await until(async () => {
      const s = (await call(control, 'GET', '/status')).body as unknown as ControlStatus;
      return s.brokers[victim - 1].state === 'running' && s.underReplicated === 0;
    }, `broker ${victim} back in every ISR`);
  });

  test("a partition whose only replica's broker is stopped is offline: kw topics describe and list still answer", async () => {
    await admin.createTopics({
      topics: [{ topic: 'single', numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    const [{ leader: holder }] = (await admin.fetchTopicMetadata({ topics: ['single'] })).topics[0]
      .partitions;
    expect((await call(control, 'POST', `/brokers/${holder}/stop`, auth(control))).status).toBe(200);
    try {
      const s = (await call(control, 'GET', '/status')).body as unknown as ControlStatus;
      expect(s.offline).toBe(1);
      expect(s.topics.find((t) => t.name === 'single')!.partitions[0]).toMatchObject({
        leader: -1,
        offlineReplicas: [holder],
      });

      // kafkajs refuses a Metadata answer with a leaderless partition; kw reads it itself
      const io = capture();
      expect(await main(['topics', 'describe', 'single', '--bootstrap', livingBootstrap(holder)], io)).toBe(
        0,
      );
      expect(io.stdout).toMatch(/^topic single: 1 partition\(s\); 1 offline \(no leader/);
      expect(io.stdout).toMatch(
        new RegExp(`OFFLINE\\n0\\s+none\\s+${holder}\\s+${holder}\\s+-\\s+-\\s+${holder}\\n`),
      );
      const list = capture();
      expect(await main(['topics', 'list', '--bootstrap', livingBootstrap(holder)], list)).toBe(0);
      expect(list.stdout).toBe('drill\nsingle\n');
    } finally {
      expect((await call(control, 'POST', `/brokers/${holder}/start`, auth(control))).status).toBe(200);
    }
    await until(
      async () =>
        (await admin.fetchTopicMetadata({ topics: ['single'] })).topics[0].partitions[0].leader === holder,
      'single back online',
    );
  });

  test('kw topics describe reaches the cluster through the third address when the first two are stopped', async () => {
    for (const n of [1, 2])
      expect((await call(control, 'POST', `/brokers/${n}/stop`, auth(control))).status).toBe(200);
    try {
      const io = capture();
      expect(await main(['topics', 'describe', 'drill', '--bootstrap', broker.bootstrapServers], io)).toBe(0);
      expect(io.stdout).toMatch(/^topic drill: 3 partition\(s\)/);
    } finally {
      for (const n of [1, 2])
        expect((await call(control, 'POST', `/brokers/${n}/start`, auth(control))).status).toBe(200);
    }
    await until(
      async () => (await metadata()).every((p) => p.isr.length === 3),
      'every replica back in sync',
    );
  });

  test('starting a running broker changes nothing', async () => {
    const again = await call(control, 'POST', '/brokers/2/start', auth(control));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ nodeId: 2, action: 'start', changes: [] });
  });

  /** The bootstrap list without the broker that is down. */
  function livingBootstrap(down: number): string {
    return broker.ports
      .filter((_, i) => i + 1 !== down)
      .map((p) => `127.0.0.1:${p}`)
      .join(',');
  }
});

describe('kw cluster', () => {
  test('status, stop and start against kw broker --brokers 3 in another process', async () => {
    const cli = await startCliBroker(['--brokers', '3']);
    try {
      const bootstrap = cli.bootstrap;
      // no --replication-factor: the cluster's default, min(3, brokers)
      const create = capture();
      expect(
        await main(['topics', 'create', 'drill', '--partitions', '3', '--bootstrap', bootstrap], create),
      ).toBe(0);

      const status = await runKw(['cluster', 'status', '--bootstrap', bootstrap]);
      expect(status).toMatchObject({ code: 0, err: '' });
      expect(status.out).toMatch(
        /BROKER\s+ADDRESS\s+STATE\s+LEADER OF\s+IN ISR OF\s+REPLICA OF\n1\s+127\.0\.0\.1:\d+\s+running/,
      );
      expect(status.out).toMatch(/under-replicated 0 · under min ISR 0 · offline 0/);

      const stop = await runKw(['cluster', 'stop', '2', '--bootstrap', bootstrap]);
      expect(stop).toMatchObject({ code: 0, err: '' });
      expect(stop.out).toMatch(/^broker 2 \(127\.0\.0\.1:\d+\) stopped: now stopped/);
      // broker 2 led at least the partition whose replica list starts with it: its leader moved
      expect(stop.out).toMatch(/PARTITION\s+LEADER\s+IN-SYNC\n/);
      expect(stop.out).toMatch(/\ndrill-\d\s+2 → [13]\s+[\d,]+ → [13],[13]\n/);

      const during = await runKw(['cluster', 'status', '--bootstrap', bootstrap]);
      expect(during.out).toMatch(/\n2\s+127\.0\.0\.1:\d+\s+stopped\s+0\s+0\s+\d+/);
      expect(during.out).toMatch(/PARTITION\s+LEADER\s+REPLICAS\s+IN-SYNC\s+OFFLINE\n/);

      const unknown = await runKw(['cluster', 'stop', '9', '--bootstrap', bootstrap]);
      expect(unknown).toMatchObject({ code: 1 });
      expect(unknown.err).toMatch(/kw cluster: no broker 9: this cluster has brokers 1, 2, 3/);

      const start = await runKw(['cluster', 'start', '2', '--bootstrap', bootstrap]);
      expect(start).toMatchObject({ code: 0, err: '' });
      expect(start.out).toMatch(/^broker 2 \(127\.0\.0\.1:\d+\) started: now running/);
      expect(start.out).toMatch(/ → [\d,]*2/);
      expect(start.out).toMatch(/under-replicated 0 · under min ISR 0 · offline 0/);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
    // a clean stop takes its run files with it
    expect(findControl(cli.bootstrap)).toMatchObject({ found: false });
    expect(findControl(cli.bootstrap)).not.toHaveProperty('stale');
  });

  test('kw broker prints its control channel; a killed one leaves a stale run file, which is reported', async () => {
    const kw = await startKw(
      ['broker', '--port', '0', '--brokers', '2', '--console-port', '0'],
      /ready in .*\n/,
      { timeoutMs: 15_000 },
    );
    expect(kw.output()).toMatch(
      /\ncontrol +http:\/\/127\.0\.0\.1:\d+ +\(kw cluster status\|stop N\|start N\|pause N\|resume N\)\nconsole: http:\/\/127\.0\.0\.1:\d+\/\nready in/,
    );
    const bootstrap = /bootstrap servers: (\S+)/.exec(kw.output())![1];
    expect(findControl(bootstrap)).toMatchObject({ found: true, info: { pid: kw.child.pid } });
    await kw.stop('SIGKILL');
    try {
      const run = await runKw(['cluster', 'status', '--bootstrap', bootstrap]);
      expect(run.code).toBe(1);
      expect(run.err).toMatch(
        /no kw broker with a control channel at .*: its run file \S+ is left from process \d+ \(kw broker --port 0 --brokers 2 --console-port 0, started \d{4}-\d\d-\d\dT[\d:.]+Z\), which is no longer running/,
      );
    } finally {
      for (const address of bootstrap.split(',')) rmSync(runFilePath(address), { force: true });
    }
  });

  test.each([
    [['cluster'], 2, /expected status, stop, start, pause or resume, got ''/],
    [['cluster', 'reboot', '1'], 2, /expected status, stop, start, pause or resume, got 'reboot'/],
    [['cluster', 'stop'], 2, /'stop' needs a broker id N/],
    [['cluster', 'stop', 'two'], 2, /broker id must be a whole number ≥ 1, got 'two'/],
    [['cluster', 'status', 'extra'], 2, /unexpected 'extra'/],
    [['cluster', 'status', '--bootstrap', 'nonsense'], 2, /--bootstrap: 'nonsense' is not host:port/],
  ])('%j → exit %i with a clear message', async (args, code, message) => {
    const io = capture();
    expect(await main(args, io)).toBe(code);
    expect(io.stderr).toMatch(message);
  });

  test('no broker there, or a Kafka broker without a control channel, is told apart', async () => {
    const nothing = capture();
    expect(await main(['cluster', 'status', '--bootstrap', '127.0.0.1:9'], nothing)).toBe(1);
    expect(nothing.stderr).toMatch(
      /kw cluster: no kw broker with a control channel at 127.0.0.1:9: start one with 'kw broker --brokers 3'/,
    );
    const plain = await startBroker({ port: 0 });
    try {
      const io = capture();
      expect(await main(['cluster', 'stop', '1', '--bootstrap', plain.bootstrapServers], io)).toBe(1);
      expect(io.stderr).toMatch(/the Kafka cluster at 127\.0\.0\.1:\d+ is not one kw cluster can drive/);

      // A killed kw broker's run file for this very port (ports are reused): what answers now decides.
      const file = writeRunFiles([plain.bootstrapServers], {
        pid: deadPid(),
        controlUrl: 'http://127.0.0.1:9',
        token: 'x',
        bootstrapServers: plain.bootstrapServers,
      })[0];
      try {
        const reused = capture();
        expect(await main(['cluster', 'status', '--bootstrap', plain.bootstrapServers], reused)).toBe(1);
        expect(reused.stderr).toMatch(
          /the Kafka cluster at 127\.0\.0\.1:\d+ is not one kw cluster can drive: its run file \S+ is left from process \d+, which is no longer running\./,
        );
      } finally {
        rmSync(file, { force: true });
      }
    } finally {
      await plain.close();
    }
  });
});
