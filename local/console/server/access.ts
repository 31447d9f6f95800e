/**
 * Who may use the console, decided from a request's headers alone (no I/O): the Host and Origin
 * checks that keep other web sites out, and, for changes, the run's token and a JSON content type.
 */
import { timingSafeEqual } from 'node:crypto';
import { hostAllowed } from '../../broker/control/control-routes';
import type { Reply } from './console-routes';

/** The address the console listens on and the token its page carries. */
export interface ConsoleAccess {
  readonly token: string;
  /** As given to listen(). */
  readonly host: string;
  readonly port: number;
}

/** The headers the checks read (node lower-cases header names). */
export interface AccessRequest {
  readonly method: string;
  readonly host?: string;
  readonly origin?: string;
  /** X-KW-Token. */
  readonly token?: string;
  readonly contentType?: string;
}

/** The header every change carries; the page reads the token from its `kw-console-token` meta tag. */
export const TOKEN_HEADER = 'x-kw-token';

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** Whether `given` is the token, compared in constant time so its bytes cannot be guessed one by one. */
export function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Whether an Origin header is the console's own. The same names pass as for Host, so a page opened
 * at http://localhost:P may call http://127.0.0.1:P; `null` (a sandboxed frame, a file) never passes.
 */
export function originAllowed(origin: string, access: Pick<ConsoleAccess, 'host' | 'port'>): boolean {
  const match = /^http:\/\/([^/?#]+)$/i.exec(origin.trim());
  return match !== null && hostAllowed(match[1], access);
}

const refuse = (status: number, message: string): Reply => ({ status, body: { error: message } });

/**
 * The first reason to refuse a request, or undefined to let it through. Host first: a page on
 * another site that rebinds its name to this address is refused before anything is read, the page
 * (with its token) included. Then Origin, which a browser sends on cross-site requests; then, for
 * anything but GET and HEAD, the token (a cross-site form cannot add a header, and a cross-site
 * fetch that adds one must first pass a preflight nothing here answers) and the content type.
 */
export function refusal(request: AccessRequest, access: ConsoleAccess): Reply | undefined {
  if (!hostAllowed(request.host, access)) {
    return refuse(
      421,
      `this console answers requests for ${access.host}:${access.port} only, not for host '${request.host ?? ''}'`,
    );
  }
  if (request.origin !== undefined && !originAllowed(request.origin, access)) {
    return refuse(403, `requests from pages of '${request.origin}' are refused: open the console itself`);
  }
  if (SAFE_METHODS.has(request.method)) return undefined;
  if (request.token === undefined) {
    return refuse(403, `changes need the console's token in the X-KW-Token header (the page carries it)`);
  }
  if (!tokenMatches(request.token, access.token)) {
    return refuse(403, 'wrong X-KW-Token: reload the console page (the token is new on every run)');
  }
  const type = request.contentType?.split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') {
    return refuse(415, `changes take a JSON body (Content-Type: application/json), not '${type ?? ''}'`);
  }
  return undefined;
}
