import { startBroker } from '../../local/broker/broker';
import { startCliBroker } from '../support/kw-process';
import { main, type CommandIO } from '../../cli/main';
import { RawConnection, requestFrame } from '../support/raw-kafka';
import { ApiVersionsSchema } from '../../local/kafka/messages/18-api-versions';
import { capture } from '../support/command-io';

describe('kw broker', () => {
  test('prints "listening on HOST:PORT" once it accepts connections, and SIGTERM stops it cleanly', async () => {
    const broker = await startCliBroker(['--brokers', '2']);
    const [, port] = broker.bootstrap.split(':');
    const conn = await RawConnection.open(Number(port));
    conn.write(requestFrame(ApiVersionsSchema.request, 0, {}, 5));
    expect((await conn.response())!.readInt32BE(0)).toBe(5);
    conn.end();
    expect(await broker.stop()).toBe(0);
  });

  test('SIGTERM sent the moment it says it listens still stops it cleanly (a supervisor may do just that)', async () => {
    // The signal used to arrive, now and then, before the handler was installed, killing the process.
    for (let attempt = 0; attempt < 5; attempt++) {
      const broker = await startCliBroker([]);
      expect(await broker.stop()).toBe(0);
    }
  });

  test.each([
    [['--port', 'abc'], /--port must be an integer from 0 to 65535, got 'abc'/],
    [['--brokers', '0'], /--brokers must be an integer from 1 to 16/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--fsync', 'sometimes'], /--fsync must be one of batch, interval, none, got 'sometimes'/],
  ])('%j is refused with a clear message', async (args, message) => {
    const io = capture();
    expect(await main(['broker', ...args], io)).toBeGreaterThan(0);
    expect(io.stderr).toMatch(message);
  });

  test('a port already in use is reported, not thrown', async () => {
    const first = await startCliBroker([]);
    const io = capture();
    expect(await main(['broker', '--port', first.bootstrap.split(':')[1]], io)).toBe(1);
    expect(io.stderr).toMatch(/already in use/);
    await first.stop();
  });
});

describe('kw groups', () => {
  test('an unreachable broker is reported with where it tried and how to start one', async () => {
    const io = capture();
    expect(await main(['groups', 'list', '--bootstrap', '127.0.0.1:9'], io)).toBe(1);
    expect(io.stderr).toMatch(/cannot reach a Kafka broker at 127.0.0.1:9. Start one with 'kw broker'/);
  });

  test('list shows groups; describe of an unknown group says so', async () => {
    const broker = await startBroker({ port: 0 });
    try {
      broker.cluster.createTopic('t', 1);
      const out: string[] = [];
      const io: CommandIO = { out: (t) => out.push(t), err: (t) => out.push(t) };
      expect(await main(['groups', 'list', '--bootstrap', broker.bootstrapServers], io)).toBe(0);
      expect(out.join('\n')).toBe('no consumer groups');
      expect(await main(['groups', 'describe', 'nobody', '--bootstrap', broker.bootstrapServers], io)).toBe(
        1,
      );
      expect(out.at(-1)).toMatch(/no group named 'nobody'/);
      expect(await main(['groups', 'frobnicate', '--bootstrap', broker.bootstrapServers], io)).toBe(2);
    } finally {
      await broker.close();
    }
  });
});
