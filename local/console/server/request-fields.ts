/**
 * Reading a request's JSON body or query string into checked values: each wrong field is a 400
 * (ConsoleRequestError) that names the field, what it takes and what it got, and a field the route
 * does not know is refused rather than ignored, so a misspelt one is not silently left at its default.
 */
import { ConsoleRequestError } from '../api';

const show = (value: unknown) => (typeof value === 'string' ? `'${value}'` : JSON.stringify(value));

/** The fields of one body or query string. */
export class RequestFields {
  private constructor(
    private readonly values: Readonly<Record<string, unknown>>,
    /** `the body` or `the query string`, for messages. */
    private readonly where: string,
    /** Query values are text: numbers and booleans are read from it. */
    private readonly text: boolean,
  ) {}

  /** A JSON object body with no fields but `known`; an empty body is `{}`. */
  static body(body: string, known: readonly string[]): RequestFields {
    let parsed: unknown = {};
    if (body.trim() !== '') {
      try {
        parsed = JSON.parse(body);
      } catch (error) {
        throw new ConsoleRequestError(400, `the body is not JSON: ${(error as Error).message}`);
      }
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConsoleRequestError(400, `the body must be a JSON object, got ${show(parsed)}`);
    }
    return new RequestFields(parsed as Record<string, unknown>, 'the body', false).only(known);
  }

  /** A query string with no parameters but `known`, each given at most once. */
  static query(query: URLSearchParams, known: readonly string[]): RequestFields {
    const values: Record<string, string> = {};
    for (const [name, value] of query) {
      if (name in values) throw new ConsoleRequestError(400, `the query string gives '${name}' twice`);
      values[name] = value;
    }
    return new RequestFields(values, 'the query string', true).only(known);
  }

  private only(known: readonly string[]): this {
    const unknown = Object.keys(this.values).filter((name) => !known.includes(name));
    if (unknown.length > 0) {
      const takes =
        known.length === 0
          ? `no ${this.text ? 'parameters' : 'fields'}`
          : `only ${known.map((k) => `'${k}'`).join(', ')}`;
      throw new ConsoleRequestError(400, `${this.where} has '${unknown[0]}': this route takes ${takes}`);
    }
    return this;
  }

  private wrong(name: string, expected: string): ConsoleRequestError {
    return new ConsoleRequestError(
      400,
      `${this.where}: '${name}' must be ${expected}, got ${show(this.values[name])}`,
    );
  }

  /** Whether the field is there (null counts as there). */
  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  /** An integer from `min` to `max`; undefined when absent. */
  integer(name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const raw = this.values[name];
    if (raw === undefined) return undefined;
    const value = this.text && typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      throw this.wrong(
        name,
        max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`,
      );
    }
    return value;
  }

  /** A string (non-empty unless `empty`); undefined when absent. */
  string(name: string, empty = false): string | undefined {
    const value = this.values[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || (!empty && value === '')) {
      throw this.wrong(name, empty ? 'a string' : 'a non-empty string');
    }
    return value;
  }

  /** A string or null (a record's key or value); undefined when absent. */
  nullableString(name: string): string | null | undefined {
    const value = this.values[name];
    if (value === null) return null;
    return this.string(name, true);
  }

  /** true or false; undefined when absent. */
  boolean(name: string): boolean | undefined {
    const raw = this.values[name];
    if (raw === undefined) return undefined;
    const value = this.text && (raw === 'true' || raw === 'false') ? raw === 'true' : raw;
    if (typeof value !== 'boolean') throw this.wrong(name, 'true or false');
    return value;
  }

  /** One of `choices`; undefined when absent. */
  choice<const C extends string>(name: string, choices: readonly C[]): C | undefined {
    const value = this.values[name];
    if (value === undefined) return undefined;
    if (!(choices as readonly unknown[]).includes(value))
      throw this.wrong(name, `one of ${choices.join(', ')}`);
    return value as C;
  }

  /** A JSON array whose items `item` checks (each item is told its position); undefined when absent. */
  array<T>(name: string, item: (value: unknown, at: string) => T): T[] | undefined {
    const value = this.values[name];
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) throw this.wrong(name, 'an array');
    return value.map((v, i) => item(v, `${this.where}: '${name}[${i}]'`));
  }

  /** A JSON object of string values; undefined when absent. */
  stringMap(name: string): Record<string, string> | undefined {
    const value = this.values[name];
    if (value === undefined) return undefined;
    if (
      typeof value !== 'object' ||
      value === null ||
      Array.isArray(value) ||
      !Object.values(value).every((v) => typeof v === 'string')
    ) {
      throw this.wrong(name, 'an object of string values');
    }
    return { ...(value as Record<string, string>) };
  }

  /** The value of a field the route cannot do without. */
  required<T>(name: string, value: T | undefined, why = ''): T {
    if (value === undefined) throw new ConsoleRequestError(400, `${this.where} needs '${name}'${why}`);
    return value;
  }
}

/** An array item that must be an object of exactly `keys`, each passing `good`; 400 naming it otherwise. */
function item(
  value: unknown,
  at: string,
  keys: readonly string[],
  good: (v: unknown) => boolean,
  expected: string,
): Record<string, unknown> {
  const fields = typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
  const entries = Object.entries(fields ?? {});
  if (!fields || entries.length !== keys.length || !entries.every(([k, v]) => keys.includes(k) && good(v))) {
    throw new ConsoleRequestError(400, `${at} must be ${expected}, got ${show(value)}`);
  }
  return fields as Record<string, unknown>;
}

/** A record's place: `{partition, offset}`. */
export function recordPosition(value: unknown, at: string): { partition: number; offset: number } {
  const fields = item(
    value,
    at,
    ['partition', 'offset'],
    (v) => Number.isSafeInteger(v) && (v as number) >= 0,
    '{partition, offset} (integers ≥ 0)',
  );
  return { partition: fields.partition as number, offset: fields.offset as number };
}

/** A record header as the produce form sends it: `{key, value}` strings. */
export function recordHeader(value: unknown, at: string): { key: string; value: string } {
  const fields = item(value, at, ['key', 'value'], (v) => typeof v === 'string', '{key, value} (strings)');
  return { key: fields.key as string, value: fields.value as string };
}
