/** Argument handling every `kw` command shares: one shape for usage errors, and parseArgs without throws. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CommandIO } from './command';

/** A function that reports a usage problem of `command` and gives exit code 2. */
export function usageError(command: string, io: CommandIO): (why: string) => 2 {
  return (why) => {
    io.err(`kw ${command}: ${why}\nRun 'kw ${command} --help' for usage.`);
    return 2;
  };
}

/** node's parseArgs, with an unknown or malformed flag reported through `usage` (exit code 2). */
export function parseCommandArgs<T extends ParseArgsConfig>(
  config: T,
  usage: (why: string) => 2,
): ReturnType<typeof parseArgs<T>> | 2 {
  try {
    return parseArgs(config);
  } catch (error) {
    return usage((error as Error).message);
  }
}

/** A problem with the command line, thrown by the flag readers below: the command reports it as usage (exit code 2). */
export class UsageError extends Error {
  public override readonly name = 'UsageError';
}

/** A flag that must be a whole number ≥ `min`; undefined when not given, a UsageError naming the flag otherwise. */
export function wholeNumberFlag(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${flag} must be a whole number ≥ ${min}, got '${value}'`);
  return n;
}

/** A flag that must be an integer from `min` to `max`; a UsageError naming the flag and the range otherwise. */
export function integerFlag(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got '${value}'`);
  return n;
}

/**
 * The items of a repeatable `key=value` flag as pairs, in order; a UsageError for an item without a
 * key. `form` is how the message spells the shape (`key=value`, or `KEY=VALUE` for environment names).
 */
export function keyValueFlag(
  flag: string,
  values: readonly string[] | undefined,
  form = 'key=value',
): [string, string][] {
  return (values ?? []).map((item) => {
    const at = item.indexOf('=');
    if (at <= 0) throw new UsageError(`${flag} takes ${form}, got '${item}'`);
    return [item.slice(0, at), item.slice(at + 1)];
  });
}
