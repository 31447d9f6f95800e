/**
 * Argument handling every `kw` command shares: one shape for usage errors, parseArgs without throws,
 * and the flag readers that turn a flag's text into a checked value or a UsageError naming the flag.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CommandIO } from './command';

/**
 * A function that reports a usage problem of `command` and gives exit code 2.
 * @param help how the line pointing at `kw <command> --help` ends; false leaves the line out
 */
export function usageError(
  command: string,
  io: CommandIO,
  help: string | false = 'for usage',
): (why: string) => 2 {
  return (why) => {
    io.err(
      help === false ? `kw ${command}: ${why}` : `kw ${command}: ${why}\nRun 'kw ${command} --help' ${help}.`,
    );
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

/** Where commands that reach Kafka connect when neither --bootstrap nor $KW_BOOTSTRAP says. */
export const DEFAULT_BOOTSTRAP = '127.0.0.1:9092';

/** A problem with the command line, thrown by the flag readers below: the command reports it as usage (exit code 2). */
export class UsageError extends Error {
  public override readonly name: string = 'UsageError';
}

/** A flag whose value is not one it takes; `flag` and `value` (as given) are there for commands that word it their own way. */
export class FlagValueError extends UsageError {
  public override readonly name = 'FlagValueError';

  constructor(
    public readonly flag: string,
    public readonly value: string,
    expected: string,
  ) {
    super(`${flag} must be ${expected}, got '${value}'`);
  }
}

/** Reports a UsageError through `usage` (exit code 2); any other error is not the user's, so it is thrown on. */
export function reportUsage(error: unknown, usage: (why: string) => 2): 2 {
  if (error instanceof UsageError) return usage(error.message);
  throw error;
}

/** Positionals left over after a command took the ones it knows: a UsageError when there are any. */
export function noExtraArguments(extra: readonly string[]): void {
  if (extra.length > 0) throw new UsageError(`unexpected '${extra.join(' ')}'`);
}

/**
 * A flag that must be a whole number ≥ `min`; undefined when not given, a FlagValueError otherwise.
 * @param expected what the message says the value must be
 */
export function wholeNumberFlag(flag: string, value: string, min: number, expected?: string): number;
export function wholeNumberFlag(
  flag: string,
  value: string | undefined,
  min: number,
  expected?: string,
): number | undefined;
export function wholeNumberFlag(
  flag: string,
  value: string | undefined,
  min: number,
  expected = `a whole number ≥ ${min}`,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new FlagValueError(flag, value, expected);
  return n;
}

/**
 * A flag that must be an integer from `min` to `max`; a FlagValueError naming the flag and the range otherwise.
 * @param expected what the message says the value must be
 */
export function integerFlag(
  flag: string,
  value: string,
  min: number,
  max: number,
  expected = `an integer from ${min} to ${max}`,
): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new FlagValueError(flag, value, expected);
  return n;
}

/** A TCP port (0 picks a free one), worded as a port; kw broker's --port keeps integerFlag's wording. */
export function portFlag(flag: string, value: string): number {
  return integerFlag(flag, value, 0, 65535, 'a port from 0 to 65535');
}

/** A flag that must be a finite number from `min` to `max` (fractions allowed). */
export function numberFlag(flag: string, value: string, min: number, max = Infinity): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new FlagValueError(
      flag,
      value,
      max === Infinity ? `a number ≥ ${min}` : `a number from ${min} to ${max}`,
    );
  }
  return n;
}

/**
 * A flag that must be one of `choices`.
 * @param expected what the message says the value must be: by default the choices as `a, b or c`
 */
export function choiceFlag<const C extends string>(
  flag: string,
  value: string,
  choices: readonly C[],
  expected = choices.length > 1
    ? `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}`
    : choices.join(''),
): C {
  if (!(choices as readonly string[]).includes(value)) throw new FlagValueError(flag, value, expected);
  return value as C;
}

/** A flag that must be a time Date.parse reads (ISO 8601), as milliseconds since the epoch. */
export function timeFlag(flag: string, value: string): number {
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new FlagValueError(flag, value, 'an ISO 8601 time');
  return at;
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
