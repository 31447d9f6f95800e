/**
 * Event filtering for Kafka mappings (FilterCriteria): EventBridge-style patterns applied to the
 * record's `value`. A JSON value is matched as an object, anything else as a UTF-8 string; a record
 * matches when any of the mapping's patterns matches. Unsupported pattern operators are refused when
 * the mapping starts, never silently treated as "match".
 *
 * Supported: exact values, `prefix`, `suffix`, `anything-but` (value, list or `{prefix}`), `numeric`
 * (`<`, `<=`, `=`, `>=`, `>` pairs), `exists`, `equals-ignore-case`.
 */

type Matcher = (value: unknown, present: boolean) => boolean;
/** A compiled pattern: true when the record's value matches. */
export type RecordFilter = (value: Buffer | null) => boolean;

/** A pattern that cannot be compiled; the message names the pattern and the problem. */
export class FilterPatternError extends Error {
  public override readonly name = 'FilterPatternError';
}

/** Compiles the mapping's filter patterns (JSON strings); no patterns means every record matches. */
export function compileFilters(patterns: readonly string[]): RecordFilter | undefined {
  if (patterns.length === 0) return undefined;
  const compiled = patterns.map((text) => {
    let pattern: unknown;
    try {
      pattern = JSON.parse(text);
    } catch {
      throw new FilterPatternError(`filter pattern is not JSON: ${text}`);
    }
    if (!isObject(pattern)) throw new FilterPatternError(`filter pattern must be an object: ${text}`);
    const keys = Object.keys(pattern);
    if (keys.some((k) => k !== 'value')) {
      throw new FilterPatternError(
        `filter pattern ${text}: Kafka mappings filter on "value" only (found ${keys.join(', ')})`,
      );
    }
    return compileNode(pattern.value, text);
  });
  return (bytes) => {
    const data = parseValue(bytes);
    return compiled.some((match) => match(data, true));
  };
}

function parseValue(bytes: Buffer | null): unknown {
  if (bytes === null) return null;
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A node is either an object of fields (all must match) or an array of alternatives. */
function compileNode(node: unknown, source: string): Matcher {
  if (Array.isArray(node)) {
    const alternatives = node.map((m) => compileMatcher(m, source));
    // An array in the data matches when any element matches any alternative.
    return (value, present) => {
      const candidates = Array.isArray(value) ? value : [value];
      return alternatives.some((alt) =>
        candidates.length === 0 ? alt(undefined, false) : candidates.some((c) => alt(c, present)),
      );
    };
  }
  if (isObject(node)) {
    const fields = Object.entries(node).map(([key, child]) => [key, compileNode(child, source)] as const);
    return (value) =>
      fields.every(([key, match]) => {
        const present = isObject(value) && key in value;
        return match(present ? (value as Record<string, unknown>)[key] : undefined, present);
      });
  }
  throw new FilterPatternError(
    `filter pattern ${source}: leaf values must be arrays, found ${JSON.stringify(node)}`,
  );
}

function compileMatcher(m: unknown, source: string): Matcher {
  if (m === null || typeof m !== 'object') return (value, present) => present && value === m;
  if (!isObject(m)) throw new FilterPatternError(`filter pattern ${source}: unexpected ${JSON.stringify(m)}`);
  const [op, arg] = Object.entries(m)[0] ?? [];
  switch (op) {
    case 'prefix':
      return (value, present) => present && typeof value === 'string' && value.startsWith(String(arg));
    case 'suffix':
      return (value, present) => present && typeof value === 'string' && value.endsWith(String(arg));
    case 'equals-ignore-case':
      return (value, present) =>
        present && typeof value === 'string' && value.toLowerCase() === String(arg).toLowerCase();
    case 'exists':
      return (_value, present) => present === Boolean(arg);
    case 'anything-but': {
      if (isObject(arg) && 'prefix' in arg) {
        return (value, present) =>
          present && !(typeof value === 'string' && value.startsWith(String(arg.prefix)));
      }
      const excluded = Array.isArray(arg) ? arg : [arg];
      return (value, present) => present && !excluded.includes(value);
    }
    case 'numeric': {
      if (!Array.isArray(arg) || arg.length % 2 !== 0) {
        throw new FilterPatternError(`filter pattern ${source}: numeric takes operator/number pairs`);
      }
      const checks: ((n: number) => boolean)[] = [];
      for (let i = 0; i < arg.length; i += 2) {
        const bound = Number(arg[i + 1]);
        const compare = NUMERIC[String(arg[i])];
        if (!compare || Number.isNaN(bound)) {
          throw new FilterPatternError(
            `filter pattern ${source}: bad numeric condition ${JSON.stringify(arg)}`,
          );
        }
        checks.push((n) => compare(n, bound));
      }
      return (value, present) => present && typeof value === 'number' && checks.every((c) => c(value));
    }
    default:
      throw new FilterPatternError(
        `filter pattern ${source}: operator ${JSON.stringify(op)} is not supported locally (supported: prefix, suffix, anything-but, numeric, exists, equals-ignore-case)`,
      );
  }
}

const NUMERIC: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '=': (a, b) => a === b,
  '>=': (a, b) => a >= b,
  '>': (a, b) => a > b,
};
