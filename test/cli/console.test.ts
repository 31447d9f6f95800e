/**
 * The web console as `kw broker` runs it: the flags, the ready block's `console:` line, the console
 * answering for the broker it runs beside, and a clean stop with a page still watching.
 */
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startBroker } from '../../local/broker/broker';
import { main } from '../../cli/main';
import { launchConsole } from '../../cli/console-launch';
import { capture } from '../support/command-io';
import { startKw } from '../support/kw-process';

/** A port something else listens on. */
async function busyPort(): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
const portOf = (server: Server) => (server.address() as AddressInfo).port;

describe('kw broker and its web console', () => {
  test('--console-port 0 prints the console line; the console answers for this broker and its page', async () => {
    const kw = await startKw(
      ['broker', '--port', '0', '--console-port', '0'],
      /console: (http:\/\/\S+\/)\n[^]*ready in/,
      { timeoutMs: 20_000 },
    );
    try {
      const url = kw.ready[1];
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const bootstrap = /bootstrap servers: (\S+)/.exec(kw.output())![1];

      const info = (await (await fetch(`${url}api/info`)).json()) as Record<string, unknown>;
      expect(info).toMatchObject({ mode: 'broker', bootstrapServers: bootstrap, controllable: true });
      const cluster = (await (await fetch(`${url}api/cluster`)).json()) as {
        brokers: { nodeId: number; port: number; state: string }[];
      };
      expect(cluster.brokers).toEqual([
        expect.objectContaining({ nodeId: 1, port: Number(bootstrap.split(':')[1]), state: 'up' }),
      ]);

      // The token is in the page and nowhere in the output: only a page served here can change things.
      const page = await fetch(url);
      expect(page.status).toBe(200);
      const token = /<meta name="kw-console-token" content="([^"]+)"/.exec(await page.text())?.[1];
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(kw.output()).not.toContain(token);
    } finally {
      expect(await kw.stop()).toBe(0);
    }
  });

  test('SIGTERM with a page watching the live stream stops the process cleanly', async () => {
    const kw = await startKw(
      ['broker', '--port', '0', '--console-port', '0'],
      /console: (\S+)\n[^]*ready in/,
      {
        timeoutMs: 20_000,
      },
    );
    const firstEvent = new Promise<string>((resolve, reject) => {
      get(`${kw.ready[1]}api/live?view=cluster`, (res) => {
        res.setEncoding('utf8');
        res.once('data', (d: string) => resolve(d));
        res.on('error', () => undefined);
      }).on('error', reject);
    });
    expect(await firstEvent).toMatch(/^event: cluster\ndata: \{/);
    expect(await kw.stop()).toBe(0);
    expect(kw.output()).toMatch(/SIGTERM: stopping\nstopped/);
  });

  test('--no-console starts no console and prints no console line, even after a --console-port', async () => {
    const kw = await startKw(['broker', '--port', '0', '--console-port', '0', '--no-console'], /ready in/, {
      timeoutMs: 20_000,
    });
    expect(await kw.stop()).toBe(0);
    expect(kw.output()).not.toMatch(/console/);
  });

  test('a --console-port already in use stops kw broker with a message naming the flag', async () => {
    const busy = await busyPort();
    try {
      const io = capture();
      expect(await main(['broker', '--port', '0', '--console-port', String(portOf(busy))], io)).toBe(1);
      expect(io.stderr).toMatch(
        new RegExp(
          `console port ${portOf(busy)} on 127.0.0.1 is already in use: .*--console-port, or --no-console`,
        ),
      );
    } finally {
      busy.close();
    }
  });

  test('a --console-port that is not a port is refused as usage', async () => {
    const io = capture();
    expect(await main(['broker', '--port', '0', '--console-port', 'web'], io)).toBe(2);
    expect(io.stderr).toMatch(/--console-port must be a port from 0 to 65535, got 'web'/);
  });

  test('the default port taken is a warning: the broker runs on without a console', async () => {
    const busy = await busyPort();
    const broker = await startBroker({ port: 0 });
    const warnings: string[] = [];
    try {
      const launched = await launchConsole(
        { port: portOf(busy), explicit: false },
        { host: '127.0.0.1', bootstrapServers: broker.bootstrapServers, broker },
        (m) => warnings.push(m),
      );
      expect(launched).toBeUndefined();
      expect(warnings).toEqual([
        expect.stringMatching(/^no web console: console port \d+ on 127.0.0.1 is already in use/),
      ]);
    } finally {
      busy.close();
      await broker.close();
    }
  });
});
