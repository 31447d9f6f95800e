/**
 * The console's HTTP server: a thin shell that reads requests (bounded bodies), asks access.ts
 * whether to answer, and writes what console-routes.ts, live.ts and page-files.ts decide.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConsoleRequestError, type ClusterSource, type ConsoleInfo, type PipelineSource } from '../api';
import { refusal, TOKEN_HEADER } from './access';
import { routeApi, type ConsoleSources, type Reply } from './console-routes';
import { LiveHub, parseLiveViews, readView } from './live';
import { PAGE_DIR, pageFile } from './page-files';

export interface ConsoleOptions {
  /** Address to listen on (loopback by default in the commands). */
  readonly host: string;
  /** 0: a free port. */
  readonly port: number;
  readonly cluster: ClusterSource;
  /** Under `kw up`: the pipeline routes and live view answer. */
  readonly pipeline?: PipelineSource;
  readonly info: ConsoleInfo;
  /** Where failures of the sources (500s) are told. @default nowhere */
  readonly log?: (message: string) => void;
  /** The folder index.html and the static files are read from. @default local/console/page */
  readonly pageDir?: string;
}

export interface RunningConsole {
  /** e.g. http://127.0.0.1:8080 (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** What changes carry as X-KW-Token; written into the page. */
  readonly token: string;
  /** Ends the live streams and stops listening; the sources are the caller's to close. */
  close(): Promise<void>;
}

/** Raised when the console's port is taken, so the commands can say which flag to change. */
export class ConsolePortInUseError extends Error {
  public override readonly name = 'ConsolePortInUseError';

  constructor(
    readonly port: number,
    readonly host: string,
  ) {
    super(
      `console port ${port} on ${host} is already in use: stop what runs there, pass another --console-port, or --no-console`,
    );
  }
}

/** Bodies larger than this are refused (413): the largest request, a produce or copy, is far smaller. */
const MAX_BODY_BYTES = 1024 * 1024;
/** A body past this is not even drained: the connection is cut. */
const MAX_DRAIN_BYTES = 16 * MAX_BODY_BYTES;

/** On every answer: no inline script or style, no framing, no sniffing, no referrer to other sites. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

const withPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

function sendJson(res: ServerResponse, reply: Reply, head: boolean): void {
  const body = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...(reply.allow ? { allow: reply.allow } : {}),
  });
  res.end(head ? undefined : body);
}

/** The request body as text, or undefined when it is over the limit (read to the end, then dropped). */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > MAX_DRAIN_BYTES) req.destroy();
    });
    req.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks).toString('utf8') : undefined));
    req.on('error', () => resolve(undefined));
  });
}

const header = (req: IncomingMessage, name: string) => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Starts the console; resolves once it accepts connections. */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const token = randomBytes(32).toString('base64url');
  const sources: ConsoleSources = {
    cluster: options.cluster,
    pipeline: options.pipeline,
    info: options.info,
  };
  const pageDir = options.pageDir ?? PAGE_DIR;
  const hub = new LiveHub((view) => readView(sources, view));

  function live(res: ServerResponse, query: URLSearchParams): void {
    const views = parseLiveViews(query, sources);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    // Headers go out now: the browser reports the stream open before the first view is read.
    res.flushHeaders();
    const unwatch = hub.watch(views, {
      send: (event, data) => res.write(`event: ${event}\ndata: ${data}\n\n`),
      comment: (text) => res.write(`: ${text}\n\n`),
      end: () => res.end(),
    });
    res.on('close', unwatch);
  }

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    const refused = refusal(
      {
        method,
        host: header(req, 'host'),
        origin: header(req, 'origin'),
        token: header(req, TOKEN_HEADER),
        contentType: header(req, 'content-type'),
      },
      { token, host: options.host, port: (server.address() as AddressInfo).port },
    );
    if (refused) return sendJson(res, refused, head);
    const url = new URL(req.url ?? '/', 'http://console');
    if (url.pathname === '/api/live') {
      if (method !== 'GET')
        return sendJson(res, { status: 405, body: { error: '/api/live takes GET' }, allow: 'GET' }, head);
      return live(res, url.searchParams);
    }
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
      const body = method === 'GET' || head ? '' : await readBody(req);
      if (body === undefined) {
        return sendJson(
          res,
          { status: 413, body: { error: `request bodies are at most ${MAX_BODY_BYTES} bytes` } },
          head,
        );
      }
      const reply = await routeApi(sources, { method, path: url.pathname, query: url.searchParams, body });
      if (reply.status === 500)
        options.log?.(`console: ${method} ${url.pathname}: ${JSON.stringify(reply.body)}`);
      return sendJson(res, reply, head);
    }
    if (method !== 'GET' && !head) {
      return sendJson(
        res,
        { status: 405, body: { error: `${url.pathname} takes GET` }, allow: 'GET, HEAD' },
        head,
      );
    }
    const file = await pageFile(pageDir, url.pathname, token);
    const body = typeof file.body === 'string' ? Buffer.from(file.body) : file.body;
    res.writeHead(file.status, {
      ...SECURITY_HEADERS,
      'content-type': file.contentType,
      'content-length': body.length,
      // The page carries this run's token: never keep it; the other files are checked on each load.
      'cache-control': file.contentType.startsWith('text/html') ? 'no-store' : 'no-cache',
    });
    res.end(head ? undefined : body);
  }

  const server = createServer((req, res) => {
    answer(req, res).catch((error: unknown) => {
      const status = error instanceof ConsoleRequestError ? error.status : 500;
      if (res.headersSent) res.end();
      else sendJson(res, { status, body: { error: (error as Error).message } }, req.method === 'HEAD');
    });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new ConsolePortInUseError(options.port, options.host) : error);
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const wildcard = options.host === '0.0.0.0' || options.host === '::' || options.host === '';
  const url = `http://${withPort(wildcard ? '127.0.0.1' : options.host, port)}`;
  return {
    url,
    port,
    token,
    close() {
      return new Promise<void>((resolve) => {
        hub.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
