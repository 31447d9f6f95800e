/**
 * The control channel's requests and answers, without the HTTP server (control-server.ts): which
 * requests are let through (Host header, token) and what each route does to the brokers.
 *
 *   GET  /status                                  the cluster's status (cluster-view.ts)
 *   POST /brokers/N/stop|start|pause|resume       changes broker N; needs `Authorization: Bearer <token>`
 */
import { isIP } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { BrokerOptionsError, type BrokerControl, type BrokerStats } from '../broker';
import type { Cluster } from '../cluster/cluster';
import {
  CONTROL_ACTIONS,
  controlStatus,
  partitionChanges,
  type ActionResult,
  type ControlAction,
} from './cluster-view';

/** What the routes act on: a running broker's control, its cluster id and what its topics hold. */
export interface ControlTarget {
  readonly control: BrokerControl;
  readonly cluster: Pick<Cluster, 'clusterId'>;
  stats(): BrokerStats;
}

export interface ControlRequest {
  readonly method: string;
  /** The request target, query string included. */
  readonly url: string;
  readonly host?: string;
  readonly authorization?: string;
}

export interface ControlReply {
  readonly status: number;
  readonly body: object;
  /** The methods a path takes (the Allow header of a 405). */
  readonly allow?: string;
}

/** Who may use the channel: requests for its own address, changes with the run's token. */
export interface ControlAccess {
  readonly token: string;
  /** The address the server listens on, as given to listen(). */
  readonly host: string;
  readonly port: number;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);
const isLoopback = (host: string) =>
  host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));

/**
 * Whether a Host header names this server. A web page on another site can make a browser send
 * requests here by pointing its own domain name at 127.0.0.1 (DNS rebinding); the browser then sends
 * that name as Host. So only names that cannot be rebound pass: the address listened on, an IP
 * literal when listening on every address, and `localhost` for a loopback or wildcard listener.
 */
export function hostAllowed(
  header: string | undefined,
  access: Pick<ControlAccess, 'host' | 'port'>,
): boolean {
  if (header === undefined) return false;
  const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(header.trim().toLowerCase());
  if (!match) return false;
  const name = match[1] ?? match[2];
  if (Number(match[3] ?? 80) !== access.port) return false;
  const bound = access.host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === bound) return true;
  if (WILDCARDS.has(bound)) return isIP(name) !== 0 || name === 'localhost';
  if (bound === 'localhost') return isLoopback(name);
  return name === 'localhost' && isLoopback(bound);
}

/** Whether an Authorization header carries the token, compared in constant time. */
export function tokenMatches(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const error = (status: number, message: string, allow?: string): ControlReply => ({
  status,
  body: { error: message },
  ...(allow ? { allow } : {}),
});

const ROUTES = 'GET /status, POST /brokers/N/stop|start|pause|resume';

/** Answers one request. Never throws for the caller's mistakes: each is a JSON `{error}` with its status. */
export async function routeControl(
  target: ControlTarget,
  access: ControlAccess,
  request: ControlRequest,
): Promise<ControlReply> {
  if (!hostAllowed(request.host, access)) {
    return error(
      421,
      `this control channel answers requests for ${access.host}:${access.port} only, not for host '${request.host ?? ''}'`,
    );
  }
  const path = new URL(request.url, 'http://control').pathname.replace(/\/+$/, '');
  if (path === '/status') {
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return error(405, `/status takes GET, not ${request.method}`, 'GET, HEAD');
    return { status: 200, body: controlStatus(target) };
  }
  const action = /^\/brokers\/([^/]+)\/([^/]+)$/.exec(path);
  if (!action || !(CONTROL_ACTIONS as readonly string[]).includes(action[2]))
    return error(404, `no endpoint ${path || '/'}: this channel has ${ROUTES}`);
  if (request.method !== 'POST') return error(405, `${path} takes POST, not ${request.method}`, 'POST');
  if (request.authorization === undefined)
    return error(403, 'changes need the run token: Authorization: Bearer <token from the run file>');
  if (!tokenMatches(request.authorization, access.token))
    return error(403, 'wrong token: use the one in the run file of this process');

  const nodes = target.control.status().brokers.map((b) => b.nodeId);
  const nodeId = /^\d+$/.test(action[1]) ? Number(action[1]) : NaN;
  if (!nodes.includes(nodeId)) {
    return error(
      404,
      `no broker ${action[1]}: this cluster has broker${nodes.length === 1 ? '' : 's'} ${nodes.join(', ')}`,
    );
  }
  const verb = action[2] as ControlAction;
  const before = controlStatus(target);
  try {
    if (verb === 'stop') await target.control.stop(nodeId);
    else if (verb === 'start') await target.control.start(nodeId);
    else if (verb === 'pause') target.control.pause(nodeId);
    else target.control.resume(nodeId);
  } catch (problem) {
    // The broker's refusals (a state it cannot go to from where it is) are the caller's to fix.
    if (problem instanceof BrokerOptionsError) return error(409, problem.message);
    return error(500, `${verb} of broker ${nodeId} failed: ${(problem as Error).message}`);
  }
  const after = controlStatus(target);
  const result: ActionResult = {
    nodeId,
    action: verb,
    before,
    after,
    changes: partitionChanges(before, after),
  };
  return { status: 200, body: result };
}
