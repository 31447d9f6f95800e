import { startCliBroker } from '../interop/cli-broker';
import { main, type CommandIO } from '../../cli/main';
import { RawConnection, requestFrame } from '../support/raw-kafka';
import { ApiVersionsSchema } from '../../local/broker/protocol/messages/18-api-versions';

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

  test.each([
    [['--port', 'abc'], /--port must be an integer from 0 to 65535, got 'abc'/],
    [['--brokers', '0'], /--brokers must be an integer from 1 to 16/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--fsync', 'sometimes'], /--fsync must be one of batch, interval, none, got 'sometimes'/],
  ])('%j is refused with a clear message', async (args, message) => {
    let err = '';
    const io: CommandIO = { out: () => undefined, err: (t) => (err += t) };
    expect(await main(['broker', ...args], io)).toBeGreaterThan(0);
    expect(err).toMatch(message);
  });

  test('a port already in use is reported, not thrown', async () => {
    const first = await startCliBroker([]);
    let err = '';
    const io: CommandIO = { out: () => undefined, err: (t) => (err += t) };
    expect(await main(['broker', '--port', first.bootstrap.split(':')[1]], io)).toBe(1);
    expect(err).toMatch(/already in use/);
    await first.stop();
  });
});
