/** Waiting in tests for something that happens on its own time: a consumer joining, a record landing. */

export interface UntilOptions {
  /** Give up after this long. @default 30 s */
  readonly timeoutMs?: number;
  /** Pause between probes. @default 100 ms */
  readonly intervalMs?: number;
}

/**
 * Probes until `probe` gives something other than undefined or false, and resolves to it; after the
 * timeout, throws "timed out waiting for <what>" (`what` may be worked out then, to show the state).
 */
export async function until<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string | (() => string),
  options: UntilOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
