/**
 * `GET /api/live`: the views a page watches, pushed as Server-Sent Events. Each view is read at most
 * once a second however many pages watch it, and only while one does; a page is sent a view when it
 * connects and then only when it changed, so an idle cluster costs a read a second and no traffic.
 */
import { ConsoleRequestError, type LiveView } from '../api';
import { NO_PIPELINE, type ConsoleSources } from './console-routes';

/** One open event stream (console-server.ts writes it to the response). */
export interface LiveClient {
  /** Writes `event: <event>` and `data: <data>` (data is one line of JSON). */
  send(event: string, data: string): void;
  /** Writes a comment line, which keeps proxies and the browser from timing the stream out. */
  comment(text: string): void;
  end(): void;
}

export interface LiveHubOptions {
  /** How often a watched view is read. @default 1000 ms */
  readonly intervalMs?: number;
  /** How often every stream gets a `: ping` comment. @default 15000 ms */
  readonly pingMs?: number;
}

/** Views one stream may watch: each costs a read a second. */
const MAX_VIEWS = 20;

/** The views of a `?view=…&view=…` query; a 400 for one the console does not have, 404 for the pipeline under `kw broker`. */
export function parseLiveViews(
  query: URLSearchParams,
  sources: Pick<ConsoleSources, 'pipeline'>,
): LiveView[] {
  const other = [...query.keys()].find((name) => name !== 'view');
  if (other !== undefined)
    throw new ConsoleRequestError(400, `/api/live takes only 'view' parameters, not '${other}'`);
  const views = [...new Set(query.getAll('view'))];
  if (views.length === 0) {
    throw new ConsoleRequestError(400, 'name the views to watch: /api/live?view=cluster&view=groups');
  }
  if (views.length > MAX_VIEWS) throw new ConsoleRequestError(400, `at most ${MAX_VIEWS} views per stream`);
  for (const view of views) {
    // The view is the event's name: a line break in it would end the event line early.
    const known =
      !/[\r\n]/.test(view) &&
      (['cluster', 'groups', 'pipeline'].includes(view) ||
        /^group:.+$/s.test(view) ||
        /^tape:[^:]+:\d{1,9}$/.test(view));
    if (!known) {
      throw new ConsoleRequestError(
        400,
        `no view '${view}': views are cluster, groups, pipeline, group:<id>, tape:<topic>:<partition>`,
      );
    }
    if (view === 'pipeline' && !sources.pipeline) throw new ConsoleRequestError(404, NO_PIPELINE);
  }
  return views as LiveView[];
}

/** Reads one view from the sources. */
export function readView(sources: ConsoleSources, view: LiveView): Promise<unknown> {
  if (view === 'cluster') return sources.cluster.cluster();
  if (view === 'groups') return sources.cluster.groups();
  if (view === 'pipeline') return Promise.resolve(sources.pipeline!.pipeline());
  if (view.startsWith('group:')) return sources.cluster.group(view.slice('group:'.length));
  const [, topic, partition] = /^tape:([^:]+):(\d+)$/.exec(view)!;
  return sources.cluster.tape(topic, Number(partition));
}

/**
 * What decides whether a view changed: its JSON without the top-level `at` (when it was read), which
 * differs on every read of an unchanged cluster.
 */
function comparable(value: unknown): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('at' in value)) {
    return JSON.stringify(value);
  }
  return JSON.stringify({ ...value, at: 0 });
}

interface Watched {
  readonly clients: Set<LiveClient>;
  readonly timer: NodeJS.Timeout;
  /** The last event sent, and what it is compared by. */
  last?: { readonly event: string; readonly data: string; readonly key: string };
  reading: boolean;
}

/** The views being watched and the streams watching them. */
export class LiveHub {
  private readonly watched = new Map<LiveView, Watched>();
  private readonly clients = new Set<LiveClient>();
  private readonly ping: NodeJS.Timeout;
  private readonly intervalMs: number;

  constructor(
    private readonly read: (view: LiveView) => Promise<unknown>,
    options: LiveHubOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.ping = setInterval(() => this.clients.forEach((c) => c.comment('ping')), options.pingMs ?? 15_000);
    this.ping.unref();
  }

  /** Starts sending `views` to `client`; the returned function stops (call it when the stream closes). */
  watch(views: readonly LiveView[], client: LiveClient): () => void {
    this.clients.add(client);
    for (const view of views) {
      const existing = this.watched.get(view);
      if (existing) {
        existing.clients.add(client);
        if (existing.last) client.send(existing.last.event, existing.last.data);
        continue;
      }
      const timer = setInterval(() => void this.refresh(view), this.intervalMs);
      timer.unref();
      this.watched.set(view, { clients: new Set([client]), timer, reading: false });
      void this.refresh(view);
    }
    return () => this.unwatch(client);
  }

  /** Ends every stream (the server is closing). */
  close(): void {
    clearInterval(this.ping);
    for (const w of this.watched.values()) clearInterval(w.timer);
    this.watched.clear();
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  private unwatch(client: LiveClient): void {
    this.clients.delete(client);
    for (const [view, w] of this.watched) {
      w.clients.delete(client);
      if (w.clients.size > 0) continue;
      clearInterval(w.timer);
      this.watched.delete(view);
    }
  }

  /** Reads a view (unless a read is still running) and sends it to its watchers if it changed. */
  private async refresh(view: LiveView): Promise<void> {
    const w = this.watched.get(view);
    if (!w || w.reading) return;
    w.reading = true;
    let next: NonNullable<Watched['last']>;
    try {
      const value = await this.read(view);
      next = { event: view, data: JSON.stringify(value), key: comparable(value) };
    } catch (error) {
      const data = JSON.stringify({ view, error: (error as Error).message || String(error) });
      next = { event: 'error', data, key: data };
    } finally {
      w.reading = false;
    }
    // The last watcher may have gone while the view was read.
    if (this.watched.get(view) !== w || w.last?.key === next.key) return;
    w.last = next;
    for (const client of w.clients) client.send(next.event, next.data);
  }
}
