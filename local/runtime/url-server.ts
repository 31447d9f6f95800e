/**
 * A Function URL on a local port: each HTTP request becomes the payload-format 2.0 event AWS sends,
 * and the function's answer becomes the HTTP response as AWS maps it (a value without `statusCode`
 * is 200 application/json with that value as body; a function error is 502).
 *
 * With `auth` (a URL whose AuthType is AWS_IAM, while `kw up` enforces IAM) each request is checked once its
 * body is in (SigV4 signs the body's hash): a refused one gets AWS's 403 and the reason goes to the
 * log; an accepted one reaches the function with `requestContext.authorizer.iam` naming the caller,
 * as AWS sets it. Without `auth`, requests need no signature (the ready block says so).
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InvokeOutcome } from './lambda/function-pool';
import { LOCAL_ACCOUNT } from './assembly';
import type { SignedRequest, UrlAuthResult } from './iam/function-url-auth';

/** Lambda's limit for a synchronous invocation's request payload. */
const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

export interface UrlTarget {
  invoke(event: unknown): Promise<InvokeOutcome>;
}

/** Emitted as `answer` for each request answered, for live views; built only while someone listens. */
export interface UrlAnswer {
  /** When the request arrived (ms since the epoch). */
  readonly at: number;
  readonly durationMs: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** The response body as text (UTF-8). */
  readonly body: string;
}

/** The answers a Function URL gives, as `answer` events ({@link UrlAnswer}). */
export interface UrlAnswers {
  on(event: 'answer', listener: (answer: UrlAnswer) => void): this;
  off(event: 'answer', listener: (answer: UrlAnswer) => void): this;
}

export interface RunningUrl {
  readonly url: string;
  readonly port: number;
  readonly answers: UrlAnswers;
  close(): Promise<void>;
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript)|.*\+json|.*\+xml)/i;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `requestContext.time` as AWS writes it: `12/Mar/2020:19:03:58 +0000`. */
export function requestTime(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** The caller AWS names in `requestContext.authorizer.iam` for a request signed with IAM credentials. */
export interface IamCaller {
  readonly principalArn: string;
  readonly accessKeyId: string;
}

/** `requestContext.authorizer` as AWS writes it for an AWS_IAM Function URL. */
function iamAuthorizer(caller: IamCaller): Record<string, unknown> {
  const account = caller.principalArn.split(':')[4] ?? LOCAL_ACCOUNT;
  return {
    iam: {
      accessKey: caller.accessKeyId,
      accountId: account,
      callerId: caller.accessKeyId,
      cognitoIdentity: null,
      principalOrgId: null,
      userArn: caller.principalArn,
      userId: caller.accessKeyId,
    },
  };
}

/** The payload-format 2.0 event for a request. */
export function functionUrlEvent(
  req: IncomingMessage,
  body: Buffer,
  apiId: string,
  caller?: IamCaller,
): Record<string, unknown> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    if (name === 'cookie') continue;
    headers[name] =
      headers[name] === undefined ? req.rawHeaders[i + 1] : `${headers[name]},${req.rawHeaders[i + 1]}`;
  }
  const cookies = (req.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim())
    .filter(Boolean);
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const contentType = headers['content-type'] ?? '';
  const isText = body.length === 0 || TEXT_TYPES.test(contentType);
  const now = new Date();
  const domainName = headers.host ?? 'localhost';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      ...(caller ? { authorizer: iamAuthorizer(caller) } : {}),
      apiId,
      domainName,
      domainPrefix: apiId,
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: requestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !isText,
  };
}

/** What was answered: the status and the body. */
interface Answered {
  readonly status: number;
  readonly body: string | Buffer;
}

function send(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): Answered {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
  return { status, body };
}

/** Writes the function's result as AWS's Function URL would. */
function respond(res: ServerResponse, outcome: InvokeOutcome): Answered {
  if (!outcome.ok) {
    return send(res, 502, JSON.stringify({ Message: 'Internal Server Error' }), {
      'x-amzn-errortype': outcome.error.errorType,
    });
  }
  const payload = outcome.payload as Record<string, unknown> | null;
  if (!payload || typeof payload !== 'object' || !('statusCode' in payload)) {
    return send(res, 200, JSON.stringify(payload));
  }
  const status = Number(payload.statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new Error(`statusCode ${JSON.stringify(payload.statusCode)} is not an HTTP status`);
  }
  const headers = Object.fromEntries(
    Object.entries((payload.headers ?? {}) as Record<string, unknown>).map(([k, v]) => [
      k.toLowerCase(),
      String(v),
    ]),
  );
  const cookies = Array.isArray(payload.cookies) ? payload.cookies.map(String) : [];
  const raw = payload.body === undefined || payload.body === null ? '' : String(payload.body);
  const body = payload.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw);
  res.writeHead(status, {
    'content-type': 'application/json',
    ...headers,
    ...(cookies.length > 0 ? { 'set-cookie': cookies } : {}),
  });
  res.end(body);
  return { status, body };
}

export interface FunctionUrlOptions {
  readonly port: number;
  readonly host: string;
  readonly apiId: string;
  /** Checks each request (AWS_IAM auth); every request is let through without it. */
  readonly auth?: (request: SignedRequest) => UrlAuthResult;
  /** Why requests were refused. */
  readonly log?: (message: string) => void;
}

export async function startFunctionUrl(target: UrlTarget, options: FunctionUrlOptions): Promise<RunningUrl> {
  const answers = new EventEmitter();
  const server: Server = createServer((req, res) => {
    const arrived = Date.now();
    const answered = ({ status, body }: Answered) => {
      if (answers.listenerCount('answer') === 0) return;
      const answer: UrlAnswer = {
        at: arrived,
        durationMs: Date.now() - arrived,
        method: req.method ?? 'GET',
        path: new URL(req.url ?? '/', 'http://localhost').pathname,
        status,
        body: typeof body === 'string' ? body : body.toString('utf8'),
      };
      answers.emit('answer', answer);
    };
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES && !refused) {
        refused = true;
        // Answer at once, read and drop the rest, then close: the client sees the 413, not a reset.
        answered(
          send(res, 413, JSON.stringify({ Message: 'Request must be smaller than 6291456 bytes' }), {
            connection: 'close',
          }),
        );
      }
      if (!refused) chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      const body = Buffer.concat(chunks);
      let caller: IamCaller | undefined;
      if (options.auth) {
        const verdict = options.auth({
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          rawHeaders: req.rawHeaders,
          body,
        });
        if (!verdict.ok) {
          options.log?.(`${options.apiId} URL: ${req.method} ${req.url} refused (403): ${verdict.reason}`);
          answered(send(res, verdict.status, verdict.body, { ...verdict.headers }));
          return;
        }
        caller = verdict;
      }
      const event = functionUrlEvent(req, body, options.apiId, caller);
      void target
        .invoke(event)
        .then((outcome) => answered(respond(res, outcome)))
        .catch((error: Error) => {
          // A response Node cannot write (status out of range, a newline in a header): what AWS
          // calls a malformed function response, answered 502 rather than ending the runtime.
          if (res.headersSent) res.destroy();
          else
            answered(
              send(res, 502, JSON.stringify({ Message: `Malformed Lambda response: ${error.message}` }), {
                'x-amzn-errortype': 'LambdaResponseError',
              }),
            );
        });
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`HTTP port ${options.port} on ${options.host} is in use: pass --port to choose another`)
          : error,
      ),
    );
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}/`,
    port,
    answers,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
