/**
 * Event filtering for Kafka mappings (FilterCriteria): EventBridge-style patterns applied to the
 * record's `value`. A JSON value is matched as an object, anything else as a UTF-8 string; a record
 * matches when any of the mapping's patterns matches. Unsupported pattern operators are refused when
 * the mapping starts, never silently treated as "match".
 *
 * Supported: exact values, `prefix` and `suffix` (also `{"equals-ignore-case": ...}` inside),
 * `anything-but` (a value, a list, or `prefix` / `suffix` / `equals-ignore-case`), `numeric` (`<`,
 * `<=`, `=`, `>=`, `>` pairs), `exists`, `equals-ignore-case`. Arrays in the value are flattened, as
 * EventBridge does: `{"items":{"sku":["tea"]}}` matches when any item's sku is "tea".
 */

/** Matches the values found at a path (arrays flattened, as EventBridge does) and whether it exists. */
type Matcher = (values: readonly unknown[], present: boolean) => boolean;
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
    return compiled.some((match) => match([data], true));
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

/** The values under `key` in each of `values`: arrays are flattened, as EventBridge matches them. */
function valuesAt(values: readonly unknown[], key: string): { values: unknown[]; present: boolean } {
  const out: unknown[] = [];
  let present = false;
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (isObject(v) && key in v) {
      present = true;
      const child = v[key];
      if (Array.isArray(child)) out.push(...child);
      else out.push(child);
    }
  };
  values.forEach(visit);
  return { values: out, present };
}

/** A node is either an object of fields (all must match) or an array of alternatives. */
function compileNode(node: unknown, source: string): Matcher {
  if (Array.isArray(node)) {
    const alternatives = node.map((m) => compileMatcher(m, source));
    return (values, present) =>
      alternatives.some((alt) =>
        values.length === 0 ? alt(undefined, false) : values.some((v) => alt(v, present)),
      );
  }
  if (isObject(node)) {
    const fields = Object.entries(node).map(([key, child]) => [key, compileNode(child, source)] as const);
    return (values) =>
      fields.every(([key, match]) => {
        const found = valuesAt(values, key);
        return match(found.values, found.present);
      });
  }
  throw new FilterPatternError(
    `filter pattern ${source}: leaf values must be arrays, found ${JSON.stringify(node)}`,
  );
}

/** Tests one value found at a path. */
type Leaf = (value: unknown, present: boolean) => boolean;

/** A string comparison, optionally `{"equals-ignore-case": ...}`-wrapped, for prefix and suffix. */
function textTest(op: string, arg: unknown, source: string): (value: string) => boolean {
  let expected: string;
  let fold = false;
  if (typeof arg === 'string') expected = arg;
  else if (isObject(arg) && Object.keys(arg).length === 1 && typeof arg['equals-ignore-case'] === 'string') {
    expected = arg['equals-ignore-case'];
    fold = true;
  } else {
    throw new FilterPatternError(
      `filter pattern ${source}: ${op} takes a string, found ${JSON.stringify(arg)}`,
    );
  }
  const want = fold ? expected.toLowerCase() : expected;
  return (value) => {
    const have = fold ? value.toLowerCase() : value;
    return op === 'prefix' ? have.startsWith(want) : op === 'suffix' ? have.endsWith(want) : have === want;
  };
}

function compileMatcher(m: unknown, source: string): Leaf {
  if (m === null || typeof m !== 'object') return (value, present) => present && value === m;
  if (!isObject(m)) throw new FilterPatternError(`filter pattern ${source}: unexpected ${JSON.stringify(m)}`);
  const entries = Object.entries(m);
  if (entries.length !== 1) {
    throw new FilterPatternError(
      `filter pattern ${source}: a matcher takes one operator, found ${JSON.stringify(m)}`,
    );
  }
  const [op, arg] = entries[0];
  switch (op) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case': {
      const test = textTest(op, op === 'equals-ignore-case' ? { 'equals-ignore-case': arg } : arg, source);
      return (value, present) => present && typeof value === 'string' && test(value);
    }
    case 'exists':
      if (typeof arg !== 'boolean') {
        throw new FilterPatternError(`filter pattern ${source}: exists takes true or false`);
      }
      return (_value, present) => present === arg;
    case 'anything-but': {
      if (isObject(arg)) {
        const [inner, innerArg] = Object.entries(arg)[0] ?? [];
        if (Object.keys(arg).length !== 1 || !['prefix', 'suffix', 'equals-ignore-case'].includes(inner)) {
          throw new FilterPatternError(
            `filter pattern ${source}: anything-but takes a value, a list, or one of prefix, suffix, equals-ignore-case`,
          );
        }
        const lists = Array.isArray(innerArg) ? innerArg : [innerArg];
        const tests = lists.map((a) =>
          textTest(inner, inner === 'equals-ignore-case' ? { 'equals-ignore-case': a } : a, source),
        );
        return (value, present) => present && !(typeof value === 'string' && tests.some((t) => t(value)));
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
