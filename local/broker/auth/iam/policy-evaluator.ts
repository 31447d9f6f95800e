/**
 * IAM identity-policy evaluation, as AWS documents it for a request with no resource, session or
 * organization policies: an explicit Deny wins, then any Allow, else the request is implicitly denied.
 *
 * A statement applies when its action, its resource and its Condition all match:
 * - Action / NotAction: `service:Action` patterns with `*` and `?`, compared case-insensitively;
 * - Resource / NotResource: `*`, or ARN patterns compared segment by segment, as IAM does: wildcards
 *   stay within partition, service, region and account (compared case-insensitively), the resource
 *   type before the first `/` or `:` of the resource part is literal, and the rest is case-sensitive
 *   (a `*` there spans `/`); a pattern with fewer than six segments is padded with `*` segments;
 *   `${*}`, `${?}` and `${$}` stand for the literal characters;
 * - Condition: only what a local broker knows for certain is decided (see CONDITION_KEYS and
 *   CONDITION_OPERATORS); anything else makes the statement undecidable, and analyzePolicies reports
 *   it. The one condition key MSK defines, `aws:ResourceTag/<key>` on the cluster (msk-iam.md §2), is
 *   undecidable here: the broker has no cluster tags.
 *
 * Pure: the caller resolves the principal's policies (the synthesized template's role policies).
 */
import type { Authorizer, Decision, NamedPolicy, PolicyStatement, Principal } from './types';

/** A statement the evaluator cannot decide or will never apply, and why: reported when the broker starts. */
export interface StatementProblem {
  readonly policy: string;
  readonly sid?: string;
  readonly reason: string;
}

export interface PolicyAnalysis {
  /** Statements with a Condition the evaluator cannot decide: an Allow among them never allows, a Deny always denies. */
  readonly undecidable: readonly StatementProblem[];
  /** Statements AWS would refuse (no Action, no Resource, both forms, a non-ARN resource): they match nothing. */
  readonly invalid: readonly StatementProblem[];
}

/** What a request's condition keys are, as far as the broker knows them. */
interface RequestContext {
  readonly principalArn: string;
}

/**
 * Condition keys decided locally: both are always present for an IAM principal and follow from its
 * ARN. Keys are case-insensitive in IAM.
 */
const CONDITION_KEYS: Readonly<Record<string, (context: RequestContext) => string>> = {
  'aws:principalarn': (c) => c.principalArn,
  'aws:principalaccount': (c) => c.principalArn.split(':')[4] ?? '',
};

type ValueTest = (actual: string, expected: string) => boolean;

/** Condition operators decided locally (each also with the `IfExists` suffix), and `Null`. */
const CONDITION_OPERATORS: Readonly<Record<string, { readonly test: ValueTest; readonly negated: boolean }>> =
  {
    StringEquals: { test: (a, e) => a === e, negated: false },
    StringNotEquals: { test: (a, e) => a === e, negated: true },
    StringEqualsIgnoreCase: { test: (a, e) => a.toLowerCase() === e.toLowerCase(), negated: false },
    StringNotEqualsIgnoreCase: { test: (a, e) => a.toLowerCase() === e.toLowerCase(), negated: true },
    StringLike: { test: (a, e) => wildcardRegex(e, '').test(a), negated: false },
    StringNotLike: { test: (a, e) => wildcardRegex(e, '').test(a), negated: true },
    ArnEquals: { test: (a, e) => arnMatcher(e)(a), negated: false },
    ArnLike: { test: (a, e) => arnMatcher(e)(a), negated: false },
    ArnNotEquals: { test: (a, e) => arnMatcher(e)(a), negated: true },
    ArnNotLike: { test: (a, e) => arnMatcher(e)(a), negated: true },
  };

const list = (value: string | readonly string[] | undefined): readonly string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : value;

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * An IAM pattern as a regular expression: `*` any run of characters, `?` one character, and the
 * escapes `${*}`, `${?}`, `${$}` the literal characters.
 */
function wildcardRegex(pattern: string, flags: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const escape = /^\$\{([*?$])\}/.exec(pattern.slice(i));
    if (escape) {
      source += escapeRegex(escape[1]);
      i += escape[0].length - 1;
    } else if (pattern[i] === '*') source += '.*';
    else if (pattern[i] === '?') source += '.';
    else source += escapeRegex(pattern[i]);
  }
  return new RegExp(`^${source}$`, `s${flags}`);
}

/** A policy variable other than the three escapes: its value comes from a request context the broker lacks. */
const POLICY_VARIABLE = /\$\{(?![*?$]\})[^}]*\}/;

/** Splits an ARN into its five leading segments and the resource part (which may hold `:`). */
function arnSegments(arn: string): string[] {
  const parts = arn.split(':');
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/** The resource type of a resource pattern, literal in IAM: up to and including its first `/` or `:`. */
function resourceType(resource: string): string {
  const separator = resource.search(/[/:]/);
  return separator < 0 ? '' : resource.slice(0, separator + 1);
}

/** A matcher for one Resource entry (`*` or an ARN pattern); assumes the entry is valid. */
function arnMatcher(pattern: string): (arn: string) => boolean {
  if (pattern === '*') return () => true;
  const segments = pattern.split(':');
  while (segments.length < 6) segments.push('*');
  const [arn, partition, service, region, account, resource] = arnSegments(segments.join(':'));
  const leading = [arn, partition, service, region, account].map((s) => wildcardRegex(s, 'i'));
  const type = resourceType(resource);
  const rest = wildcardRegex(resource.slice(type.length), '');
  return (candidate) => {
    const parts = arnSegments(candidate);
    if (parts.length < 6 || !leading.every((re, i) => re.test(parts[i]))) return false;
    return parts[5].startsWith(type) && rest.test(parts[5].slice(type.length));
  };
}

/** A compiled statement: what it matches, and its Condition as a test or as the reason it cannot be decided. */
interface Compiled {
  readonly policy: string;
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  readonly action: (action: string) => boolean;
  readonly resource: (arn: string) => boolean;
  readonly condition: ((context: RequestContext) => boolean) | { readonly undecidable: string };
}

/** Why a statement is one AWS would refuse, or undefined. */
function invalidity(statement: PolicyStatement): string | undefined {
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny')
    return `Effect must be Allow or Deny, not ${String(statement.Effect)}`;
  if ((statement.Action === undefined) === (statement.NotAction === undefined))
    return 'a statement needs exactly one of Action and NotAction';
  if ((statement.Resource === undefined) === (statement.NotResource === undefined))
    return 'a statement needs exactly one of Resource and NotResource';
  const badAction = list(statement.Action ?? statement.NotAction).find((a) => a !== '*' && !a.includes(':'));
  if (badAction !== undefined) return `action "${badAction}" is not service:Action`;
  const badResource = list(statement.Resource ?? statement.NotResource).find(
    (r) => r !== '*' && !r.startsWith('arn:'),
  );
  if (badResource !== undefined) return `resource "${badResource}" is neither * nor an ARN`;
  return undefined;
}

/** One operator's test of one key against its values; the operator's name is already checked. */
function conditionTest(
  operator: string,
  key: string,
  values: readonly string[],
): (context: RequestContext) => boolean {
  const read = CONDITION_KEYS[key.toLowerCase()];
  if (operator === 'Null') {
    // Every decidable key is always present: Null is true only when it asks "absent?" with false.
    return () => values.some((v) => v === 'false');
  }
  const ifExists = operator.endsWith('IfExists');
  const { test, negated } = CONDITION_OPERATORS[ifExists ? operator.slice(0, -'IfExists'.length) : operator];
  return (context) => {
    const actual = read(context);
    const matched = values.some((expected) => test(actual, expected));
    return negated ? !matched : matched;
  };
}

/** A statement's Condition as one test, or why it cannot be decided locally. */
function compileCondition(statement: PolicyStatement, version: string | undefined): Compiled['condition'] {
  const tests: Array<(context: RequestContext) => boolean> = [];
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    const base = operator.endsWith('IfExists') ? operator.slice(0, -'IfExists'.length) : operator;
    if (operator !== 'Null' && !(base in CONDITION_OPERATORS)) {
      return { undecidable: `condition operator ${operator} is not decided locally` };
    }
    for (const [key, raw] of Object.entries(keys)) {
      if (!(key.toLowerCase() in CONDITION_KEYS)) {
        const why = key.toLowerCase().startsWith('aws:resourcetag/')
          ? 'the local broker has no cluster tags'
          : 'the local broker does not know its value';
        return { undecidable: `condition key ${key} (${operator}): ${why}` };
      }
      const values = (Array.isArray(raw) ? raw : [raw]).map(String);
      if (version === '2012-10-17' && values.some((v) => POLICY_VARIABLE.test(v))) {
        return { undecidable: `condition ${operator} on ${key} uses a policy variable` };
      }
      tests.push(conditionTest(operator, key, values));
    }
  }
  return (context) => tests.every((t) => t(context));
}

function compile(policy: NamedPolicy): { compiled: Compiled[]; analysis: PolicyAnalysis } {
  const declared = policy.document.Statement;
  const statements: readonly PolicyStatement[] = Array.isArray(declared)
    ? declared
    : [declared as PolicyStatement];
  const compiled: Compiled[] = [];
  const undecidable: StatementProblem[] = [];
  const invalid: StatementProblem[] = [];
  for (const statement of statements) {
    const at = { policy: policy.name, ...(statement.Sid === undefined ? {} : { sid: statement.Sid }) };
    const problem = invalidity(statement);
    if (problem) {
      invalid.push({ ...at, reason: problem });
      continue;
    }
    const actions = list(statement.Action ?? statement.NotAction).map((a) => wildcardRegex(a, 'i'));
    const actionListed = (action: string) => actions.some((re) => re.test(action));
    const resources = list(statement.Resource ?? statement.NotResource);
    let condition = compileCondition(statement, policy.document.Version);
    // Policy variables in a resource (2012-10-17 only; before that they are literal text) need the
    // request context, as conditions do.
    if (policy.document.Version === '2012-10-17' && resources.some((r) => POLICY_VARIABLE.test(r))) {
      condition = { undecidable: 'a resource uses a policy variable' };
    }
    if (typeof condition !== 'function') undecidable.push({ ...at, reason: condition.undecidable });
    const matchers = resources.map(arnMatcher);
    const resourceListed = (arn: string) => matchers.some((m) => m(arn));
    compiled.push({
      ...at,
      effect: statement.Effect,
      action: statement.Action !== undefined ? actionListed : (a) => !actionListed(a),
      resource: statement.Resource !== undefined ? resourceListed : (r) => !resourceListed(r),
      condition,
    });
  }
  return { compiled, analysis: { undecidable, invalid } };
}

/** The statements among `policies` that the evaluator cannot decide, or that match nothing. */
export function analyzePolicies(policies: readonly NamedPolicy[]): PolicyAnalysis {
  const analyses = policies.map((p) => compile(p).analysis);
  return {
    undecidable: analyses.flatMap((a) => a.undecidable),
    invalid: analyses.flatMap((a) => a.invalid),
  };
}

/** Evaluates compiled statements for one request. */
function evaluate(
  statements: readonly Compiled[],
  principalArn: string,
  action: string,
  resource: string,
): Decision {
  let allow: Decision | undefined;
  for (const s of statements) {
    if (!s.action(action) || !s.resource(resource)) continue;
    const condition = s.condition;
    if (s.effect === 'Deny') {
      // An undecidable Deny denies: on AWS it may well apply, and a denial shown locally is a
      // question to look into, where a permission let through would surface only after a deploy.
      if (typeof condition !== 'function' || condition({ principalArn })) {
        return { allowed: false, reason: 'explicit-deny', by: s.policy, ...(s.sid ? { sid: s.sid } : {}) };
      }
    } else if (!allow && typeof condition === 'function' && condition({ principalArn })) {
      // An undecidable Allow never allows: the permission it grants may not hold on AWS.
      allow = { allowed: true, by: s.policy, ...(s.sid ? { sid: s.sid } : {}) };
    }
  }
  return allow ?? { allowed: false, reason: 'implicit-deny' };
}

/** Evaluates `policies` (one principal's) for one request, without a cache: for tests and one-off checks. */
export function evaluatePolicies(
  policies: readonly NamedPolicy[],
  principalArn: string,
  action: string,
  resource: string,
): Decision {
  return evaluate(
    policies.flatMap((p) => compile(p).compiled),
    principalArn,
    action,
    resource,
  );
}

/**
 * The role an assumed-role session ARN (`arn:aws:sts::<account>:assumed-role/<role>/<session>`)
 * stands for among `roles`: the role ARN of that account whose name (after any path) matches.
 */
function roleOfSession(arn: string, roles: readonly string[]): string | undefined {
  const session = /^arn:([^:]+):sts::(\d+):assumed-role\/([^/]+)\/[^/]+$/.exec(arn);
  if (!session) return undefined;
  const [, partition, account, role] = session;
  return roles.find((r) => r.startsWith(`arn:${partition}:iam::${account}:role/`) && r.endsWith(`/${role}`));
}

/** Decisions kept per authorizer: the policies never change, and the broker asks the same few questions. */
const CACHE_LIMIT = 10_000;

/**
 * An Authorizer over each principal's identity policies (keyed by role or user ARN; an assumed-role
 * session ARN finds its role). A principal with no entry is implicitly denied everything.
 */
export function createAuthorizer(rolePolicies: ReadonlyMap<string, readonly NamedPolicy[]>): Authorizer {
  const compiled = new Map(
    [...rolePolicies].map(([arn, policies]) => [arn, policies.flatMap((p) => compile(p).compiled)]),
  );
  const roles = [...compiled.keys()];
  const cache = new Map<string, Decision>();
  return {
    authorize(principal: Principal, action: string, resource: string): Decision {
      const key = `${principal.arn}\n${action}\n${resource}`;
      const cached = cache.get(key);
      if (cached) return cached;
      const statements =
        compiled.get(principal.arn) ?? compiled.get(roleOfSession(principal.arn, roles) ?? '');
      const decision: Decision = statements
        ? evaluate(statements, principal.arn, action, resource)
        : { allowed: false, reason: 'implicit-deny' };
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(key, decision);
      return decision;
    },
  };
}
