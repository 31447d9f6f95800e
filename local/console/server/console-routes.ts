/**
 * The console's API without the HTTP server (console-server.ts): which route a request is, its query
 * string or JSON body read into checked values, the call on the ClusterSource or PipelineSource, and
 * the status and JSON that answer it. The routes and shapes are those of ../api.ts.
 */
import {
  ConsoleRequestError,
  type BrowseQuery,
  type ClusterSource,
  type ConsoleInfo,
  type PipelineSource,
} from '../api';
import { recordHeader, recordPosition, RequestFields } from './request-fields';

/** What the console shows: the cluster, under `kw up` the pipeline, and what the page is told first. */
export interface ConsoleSources {
  readonly cluster: ClusterSource;
  /** Absent under `kw broker`: the pipeline routes answer 404. */
  readonly pipeline?: PipelineSource;
  readonly info: ConsoleInfo;
}

export interface ApiRequest {
  readonly method: string;
  /** The URL's path, still percent-encoded. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** The body as sent (POST); empty otherwise. */
  readonly body: string;
}

export interface Reply {
  readonly status: number;
  readonly body: unknown;
  /** The methods a path takes (the Allow header of a 405). */
  readonly allow?: string;
}

/** What a route's handler gets: the path's parts (decoded) and the request. */
interface Call {
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  readonly body: string;
}

interface Route {
  readonly method: 'GET' | 'POST';
  /** Matches the encoded path; each group is one path part. */
  readonly path: RegExp;
  readonly pipeline?: true;
  /** Reads its own query string (the others take none). */
  readonly query?: true;
  handle(sources: ConsoleSources, call: Call): unknown;
}

const PART = '([^/]+)';
const path = (pattern: string) => new RegExp(`^/api${pattern.replaceAll(':part', PART)}$`);

/** A partition number or broker id in a path. */
function pathNumber(text: string, what: string): number {
  if (!/^\d{1,9}$/.test(text))
    throw new ConsoleRequestError(400, `${what} must be a whole number, got '${text}'`);
  return Number(text);
}

function browseQuery(query: URLSearchParams): BrowseQuery {
  const q = RequestFields.query(query, [
    'partition',
    'from',
    'offset',
    'timestamp',
    'limit',
    'search',
    'cursor',
  ]);
  const from = q.choice('from', ['end', 'beginning', 'offset', 'timestamp'] as const);
  const offset = q.integer('offset', 0);
  const timestamp = q.integer('timestamp', 0);
  if (from === 'offset') q.required('offset', offset, ' with from=offset');
  if (from === 'timestamp') q.required('timestamp', timestamp, ' with from=timestamp');
  const browse: BrowseQuery = {
    partition: q.integer('partition', 0),
    from,
    offset,
    timestamp,
    limit: q.integer('limit', 1, 500),
    search: q.string('search', true),
    cursor: q.string('cursor'),
  };
  // Absent fields are left out rather than undefined, so a source can spread or compare the query.
  return Object.fromEntries(Object.entries(browse).filter(([, v]) => v !== undefined)) as BrowseQuery;
}

const ROUTES: readonly Route[] = [
  { method: 'GET', path: path('/info'), handle: (s) => s.info },
  { method: 'GET', path: path('/cluster'), handle: (s) => s.cluster.cluster() },
  {
    method: 'POST',
    path: path('/topics'),
    async handle(s, c) {
      const b = RequestFields.body(c.body, ['name', 'partitions', 'replicationFactor', 'configs']);
      const name = b.required('name', b.string('name'));
      const partitions = b.required('partitions', b.integer('partitions', 1, 100_000));
      const replicationFactor = b.integer('replicationFactor', 1, 32);
      const configs = b.stringMap('configs');
      await s.cluster.createTopic({
        name,
        partitions,
        ...(replicationFactor === undefined ? {} : { replicationFactor }),
        ...(configs === undefined ? {} : { configs }),
      });
      return { name };
    },
  },
  {
    method: 'GET',
    path: path('/topics/:part/configs'),
    handle: (s, c) => s.cluster.topicConfigs(c.params[0]),
  },
  {
    method: 'POST',
    path: path('/topics/:part/delete'),
    async handle(s, c) {
      RequestFields.body(c.body, []);
      await s.cluster.deleteTopic(c.params[0]);
      return { deleted: c.params[0] };
    },
  },
  {
    method: 'POST',
    path: path('/topics/:part/partitions'),
    async handle(s, c) {
      const b = RequestFields.body(c.body, ['count']);
      const count = b.required('count', b.integer('count', 1, 100_000), ' (the new number of partitions)');
      await s.cluster.addPartitions(c.params[0], count);
      return { partitions: count };
    },
  },
  {
    method: 'GET',
    path: path('/topics/:part/partitions/:part/tape'),
    handle: (s, c) => s.cluster.tape(c.params[0], pathNumber(c.params[1], 'the partition')),
  },
  {
    method: 'GET',
    path: path('/topics/:part/messages'),
    query: true,
    handle: (s, c) => s.cluster.browse(c.params[0], browseQuery(c.query)),
  },
  {
    method: 'POST',
    path: path('/topics/:part/messages'),
    handle(s, c) {
      const b = RequestFields.body(c.body, ['key', 'value', 'headers', 'partition']);
      const value = b.required('value', b.nullableString('value'), ' (a string, or null for a tombstone)');
      const key = b.nullableString('key');
      const headers = b.array('headers', recordHeader);
      const partition = b.integer('partition', 0);
      return s.cluster.produce(c.params[0], {
        value,
        ...(key === undefined ? {} : { key }),
        ...(headers === undefined ? {} : { headers }),
        ...(partition === undefined ? {} : { partition }),
      });
    },
  },
  {
    method: 'POST',
    path: path('/topics/:part/copy'),
    handle(s, c) {
      const b = RequestFields.body(c.body, ['to', 'records']);
      const to = b.required('to', b.string('to'));
      const records = b.required('records', b.array('records', recordPosition));
      if (records.length === 0)
        throw new ConsoleRequestError(400, "the body: 'records' names no record to copy");
      return s.cluster.copy(c.params[0], { to, records });
    },
  },
  { method: 'GET', path: path('/groups'), handle: (s) => s.cluster.groups() },
  {
    method: 'GET',
    path: path('/groups/:part'),
    handle: (s, c) => s.cluster.group(c.params[0]),
  },
  {
    method: 'POST',
    path: path('/groups/:part/reset-offsets'),
    handle(s, c) {
      const b = RequestFields.body(c.body, ['topic', 'to', 'offset', 'timestamp', 'partition']);
      const topic = b.required('topic', b.string('topic'));
      const to = b.required('to', b.choice('to', ['earliest', 'latest', 'offset', 'timestamp'] as const));
      const offset = b.integer('offset', 0);
      const timestamp = b.integer('timestamp', 0);
      const partition = b.integer('partition', 0);
      if (to === 'offset') b.required('offset', offset, ' with to=offset');
      if (to === 'timestamp') b.required('timestamp', timestamp, ' with to=timestamp');
      return s.cluster.resetOffsets(c.params[0], {
        topic,
        to,
        ...(offset === undefined ? {} : { offset }),
        ...(timestamp === undefined ? {} : { timestamp }),
        ...(partition === undefined ? {} : { partition }),
      });
    },
  },
  {
    method: 'POST',
    path: path('/brokers/:part/(stop|start)'),
    handle(s, c) {
      RequestFields.body(c.body, []);
      return s.cluster.brokerAction(
        pathNumber(c.params[0], 'the broker id'),
        c.params[1] as 'stop' | 'start',
      );
    },
  },
  {
    method: 'GET',
    path: path('/pipeline'),
    pipeline: true,
    handle: (s) => s.pipeline!.pipeline(),
  },
  {
    method: 'GET',
    path: path('/pipeline/trace/:part'),
    pipeline: true,
    handle: (s, c) => s.pipeline!.trace(c.params[0]),
  },
  {
    method: 'POST',
    path: path('/pipeline/orders'),
    pipeline: true,
    handle(s, c) {
      const b = RequestFields.body(c.body, ['count', 'poison']);
      const count = b.required('count', b.integer('count', 1, 1000));
      const poison = b.boolean('poison');
      return s.pipeline!.sendOrders({ count, ...(poison === undefined ? {} : { poison }) });
    },
  },
  {
    method: 'POST',
    path: path('/pipeline/slow'),
    pipeline: true,
    handle(s, c) {
      const b = RequestFields.body(c.body, ['function', 'delayMs']);
      const fn = b.required('function', b.string('function'));
      const delayMs = b.required('delayMs', b.integer('delayMs', 0, 30_000), ' (0 ends the drill)');
      return s.pipeline!.slow({ function: fn, delayMs });
    },
  },
  {
    method: 'POST',
    path: path('/pipeline/dlq/redrive'),
    pipeline: true,
    handle(s, c) {
      const b = RequestFields.body(c.body, ['partition', 'offset']);
      const partition = b.integer('partition', 0);
      const offset = b.integer('offset', 0);
      if ((partition === undefined) !== (offset === undefined)) {
        throw new ConsoleRequestError(
          400,
          "the body names one dead letter with both 'partition' and 'offset', or every one with neither",
        );
      }
      return s.pipeline!.redrive(partition === undefined ? {} : { partition, offset });
    },
  },
];

/** The answer of a pipeline route (and live view) under `kw broker`. */
export const NO_PIPELINE = 'no pipeline: this console runs under kw broker';

const failure = (status: number, message: string, allow?: string): Reply => ({
  status,
  body: { error: message },
  ...(allow ? { allow } : {}),
});

/** A path part as the source takes it: percent-decoded, non-empty. */
function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ConsoleRequestError(400, `'${part}' in the path is not valid percent-encoding`);
  }
}

/**
 * Answers one API request. Never throws: a ConsoleRequestError answers with its status, anything
 * else (a source that failed) with 500 and its message.
 */
export async function routeApi(sources: ConsoleSources, request: ApiRequest): Promise<Reply> {
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  const matching = ROUTES.filter((r) => r.path.test(request.path));
  if (matching.length === 0)
    return failure(404, `no route ${request.path}: the routes are in local/console/api.ts`);
  const route = matching.find((r) => r.method === method);
  if (!route) {
    const allow = [...new Set(matching.flatMap((r) => (r.method === 'GET' ? ['GET', 'HEAD'] : ['POST'])))];
    return failure(
      405,
      `${request.path} takes ${allow.join(' or ')}, not ${request.method}`,
      allow.join(', '),
    );
  }
  if (route.pipeline && !sources.pipeline) return failure(404, NO_PIPELINE);
  try {
    if (!route.query) RequestFields.query(request.query, []);
    const params = route.path.exec(request.path)!.slice(1).map(decodePart);
    const body = await route.handle(sources, { params, query: request.query, body: request.body });
    return { status: 200, body };
  } catch (error) {
    if (error instanceof ConsoleRequestError) return failure(error.status, error.message);
    return failure(500, (error as Error).message || String(error));
  }
}
