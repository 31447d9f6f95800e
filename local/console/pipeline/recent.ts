/**
 * Bounded memory for the live view: the newest items of a stream, and rates over the last seconds.
 * The pipeline source keeps every figure it shows in these, so a run of hours holds as much as one of
 * minutes.
 */

/** The newest `capacity` items, oldest first. */
export class Ring<T> {
  private readonly items: T[] = [];
  private start = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`ring capacity ${capacity}: need ≥ 1`);
  }

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return;
    }
    // Full: overwrite the oldest in place instead of shifting the array.
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
  }

  /** Oldest first. */
  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }

  /** The newest `n`, oldest first. */
  newest(n: number): T[] {
    const all = this.toArray();
    return n >= all.length ? all : all.slice(all.length - n);
  }
}

/** A counter's value at a moment. */
interface Sample {
  readonly at: number;
  readonly value: number;
}

/**
 * Rate of a growing counter over a window: samples are taken (once a second) and the rate is the
 * growth since the oldest sample inside the window, per second. Before a second sample there is none.
 */
export class RateWindow {
  private readonly samples: Ring<Sample>;

  constructor(
    readonly windowMs = 10_000,
    sampleEveryMs = 1000,
  ) {
    // One sample more than the window holds, so the oldest is at least windowMs old once running.
    this.samples = new Ring(Math.ceil(windowMs / sampleEveryMs) + 2);
  }

  sample(at: number, value: number): void {
    this.samples.push({ at, value });
  }

  /** Growth per second between the sample nearest windowMs before `now` and `value` at `now`. */
  ratePerSec(now: number, value: number): number {
    const from = this.samples.toArray().find((s) => s.at >= now - this.windowMs - 500);
    if (!from || now - from.at < 1) return 0;
    return Math.max(0, ((value - from.value) * 1000) / (now - from.at));
  }
}
