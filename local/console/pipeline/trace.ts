/**
 * Where each order has been: the hops the source saw it make (the ingest answer, the records of each
 * mapping's batches, dead letters, the table), kept for the newest 1,000 orders. Pure: the source
 * notes what it sees, and asks for an order's trace along the pipeline's path (graph.ts tracePath).
 */
import type { OrderTrace, TraceHop } from '../api';

interface Seen {
  at: number;
  detail: string;
}

/** What is known of one order: hops by name. */
interface OrderState {
  readonly hops: Map<string, Seen>;
}

export interface NoteOptions {
  /** Replace an earlier sighting (a precise time found later); otherwise the first one stays and only the detail changes. */
  readonly replace?: boolean;
}

export class TraceBook {
  private readonly orders = new Map<string, OrderState>();

  constructor(readonly capacity = 1000) {}

  get size(): number {
    return this.orders.size;
  }

  /** Records that `orderId` made `hop` at `at`. */
  note(orderId: string, hop: string, at: number, detail: string, options: NoteOptions = {}): void {
    let state = this.orders.get(orderId);
    if (!state) {
      state = { hops: new Map() };
      this.orders.set(orderId, state);
      // Maps keep insertion order: the first key is the order seen longest ago.
      if (this.orders.size > this.capacity) this.orders.delete(this.orders.keys().next().value!);
    }
    const before = state.hops.get(hop);
    if (!before || options.replace) state.hops.set(hop, { at, detail });
    else before.detail = detail;
  }

  has(orderId: string): boolean {
    return this.orders.has(orderId);
  }

  seen(orderId: string, hop: string): { at: number; detail: string } | undefined {
    const s = this.orders.get(orderId)?.hops.get(hop);
    return s && { ...s };
  }

  /** The newest `n` order ids, newest first. */
  recent(n: number): string[] {
    return [...this.orders.keys()].slice(-n).reverse();
  }

  /**
   * The order's trace along `path` (hop names in time order), then hops off the path it was seen
   * making (a dead-letter topic). A hop the order was not seen making shows with `at: null`, except
   * the URL's answer for an order that never went through it (written to the topic directly) and, for
   * an order that went to a dead-letter topic, the hops after the one it failed at.
   */
  trace(orderId: string, path: readonly string[], answeredHops: readonly string[] = []): OrderTrace {
    const hops = this.orders.get(orderId)?.hops ?? new Map<string, Seen>();
    const offPath = [...hops.keys()].filter((h) => !path.includes(h));
    const deadLettered = offPath.length > 0;
    let names = path.filter((name) => {
      if (hops.has(name)) return true;
      if (answeredHops.includes(name) && hops.size > 0) return false;
      return true;
    });
    if (deadLettered) {
      const lastSeen = Math.max(...names.map((n, i) => (hops.has(n) ? i : -1)));
      names = names.filter((n, i) => i <= lastSeen || hops.has(n));
    }
    names = [...names, ...offPath];
    let previous: number | null = null;
    let first: number | null = null;
    let last: number | null = null;
    const out: TraceHop[] = names.map((name) => {
      const s = hops.get(name);
      if (!s) return { name, at: null, ms: null, detail: '' };
      const ms = previous === null ? null : s.at - previous;
      previous = s.at;
      first ??= s.at;
      last = s.at;
      return { name, at: s.at, ms, detail: s.detail };
    });
    return { orderId, hops: out, totalMs: first !== null && last !== null ? last - first : null };
  }
}
