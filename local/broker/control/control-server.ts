/**
 * The control channel's HTTP server: a thin shell around control-routes.ts that listens on the
 * broker's host (loopback by default) on a free port, and writes the run files `kw cluster` finds it by.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { RunningBroker } from '../broker';
import { routeControl, type ControlAccess, type ControlReply, type ControlTarget } from './control-routes';
import { removeRunFiles, runDirectory, writeRunFiles } from './run-file';

export interface ControlServerOptions {
  /** Port to listen on. @default 0: a free one */
  readonly port?: number;
  /** Address to listen on. @default the broker's host */
  readonly host?: string;
  /** Write run files so `kw cluster` finds the channel from a broker address. @default true */
  readonly runFiles?: boolean;
  /** Where run files go. @default runDirectory() */
  readonly runDirectory?: string;
}

export interface RunningControl {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** What requests that change something carry as `Authorization: Bearer <token>`. */
  readonly token: string;
  /** The run files written (one per broker address). */
  readonly runFiles: readonly string[];
  /** Stops listening and removes the run files. */
  close(): Promise<void>;
}

/** The channel takes no request bodies; this bounds what it reads (and drops) of one. */
const MAX_BODY_BYTES = 64 * 1024;

const withPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

function send(res: ServerResponse, reply: ControlReply, head: boolean): void {
  const body = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...(reply.allow ? { allow: reply.allow } : {}),
  });
  res.end(head ? undefined : body);
}

/** Reads and drops a request body; false (with 413 answered) when it is larger than the channel takes. */
function drain(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return;
      req.removeAllListeners('data');
      send(res, { status: 413, body: { error: 'the control channel takes no request body' } }, false);
      req.destroy();
      resolve(false);
    });
    req.on('end', () => resolve(size <= MAX_BODY_BYTES));
    req.on('error', () => resolve(false));
  });
}

/** Starts the control channel of a running broker; resolves once it accepts connections. */
export async function startControlServer(
  running: RunningBroker,
  options: ControlServerOptions = {},
): Promise<RunningControl> {
  const host = options.host ?? running.host;
  const token = randomBytes(32).toString('base64url');
  const target: ControlTarget = running;
  const server = createServer((req, res) => {
    void drain(req, res).then(async (complete) => {
      if (!complete) return;
      const access: ControlAccess = { token, host, port: (server.address() as AddressInfo).port };
      let reply: ControlReply;
      try {
        reply = await routeControl(target, access, {
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          host: req.headers.host,
          authorization: req.headers.authorization,
        });
      } catch (error) {
        reply = { status: 500, body: { error: (error as Error).message } };
      }
      send(res, reply, req.method === 'HEAD');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const wildcard = host === '0.0.0.0' || host === '::' || host === '';
  const url = `http://${withPort(wildcard ? '127.0.0.1' : host, port)}`;

  const closeServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  let runFiles: string[] = [];
  // A process that exits without close() (an uncaught error) still takes its run files with it;
  // only SIGKILL or a crash of node itself leaves them behind, and readers see those are stale.
  const removeOnExit = () => removeRunFiles(runFiles);
  if (options.runFiles ?? true) {
    try {
      runFiles = writeRunFiles(
        running.ports.map((p) => withPort(running.host, p)),
        {
          pid: process.pid,
          controlUrl: url,
          token,
          bootstrapServers: running.bootstrapServers,
          // `kw broker --brokers 3` rather than the script's full path.
          command: [path.basename(process.argv[1] ?? 'node', '.js'), ...process.argv.slice(2)].join(' '),
          startedAt: new Date().toISOString(),
        },
        options.runDirectory ?? runDirectory(),
      );
    } catch (error) {
      await closeServer();
      throw error;
    }
    process.once('exit', removeOnExit);
  }
  return {
    url,
    token,
    runFiles,
    async close() {
      process.off('exit', removeOnExit);
      removeRunFiles(runFiles);
      await closeServer();
    },
  };
}
