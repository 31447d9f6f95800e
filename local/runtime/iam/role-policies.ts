/**
 * The identity policies of each IAM role in a synthesized app, as concrete documents for a local
 * evaluator: inline `Policies` of AWS::IAM::Role, AWS::IAM::Policy, AWS::IAM::RolePolicy and
 * AWS::IAM::ManagedPolicy resources attached to it, and its `ManagedPolicyArns`. Intrinsics are
 * evaluated for the local account and region, with the MSK cluster under the local ARN the embedded
 * broker takes (local-arns.ts). A value with no local value stays in its statement as an
 * `<unresolved: ...>` string, which no ARN or action matches, and is listed in `unresolved`: a
 * statement is never dropped, and never widened.
 */
import type { NamedPolicy, PolicyDocument, PolicyStatement } from '../../broker/auth/iam/types';
import { readStackTemplates, type CfnResource, type StackTemplate } from '../template/manifest';
import { PolicyResourceValues, type LocalCluster } from './local-arns';
import { IntrinsicEvaluator, Unresolvable } from '../template/intrinsics';

/** Why AWS-managed policies are listed by name only. */
export const AWS_MANAGED_POLICY_NOTE =
  'AWS-managed policies are recorded by name only: none of them (AWSLambdaBasicExecutionRole and ' +
  'AWSLambdaMSKExecutionRole included) grants any kafka-cluster action, so they add nothing to ' +
  'Kafka authorization; other actions they grant are not evaluated locally';

/** The policies a role carries. */
export interface RolePolicySet {
  readonly roleArn: string;
  /** `stack/logicalId` of the AWS::IAM::Role. */
  readonly roleId: string;
  /** A short name for the role's local credentials profile: its (first) function's, e.g. `ingest`. */
  readonly profile: string;
  /** `stack/logicalId` of the functions that run with the role, in template order. */
  readonly functionIds: readonly string[];
  /** Identity policies with intrinsics evaluated, named as the template names them. */
  readonly policies: readonly NamedPolicy[];
  /** AWS-managed policies attached, by name (`service-role/AWSLambdaBasicExecutionRole`): see {@link AWS_MANAGED_POLICY_NOTE}. */
  readonly awsManagedPolicies: readonly string[];
}

/** A value of a policy (or of a role's attachments) with no local value. */
export interface UnresolvedPolicyValue {
  /** `stack/logicalId` of the resource that states it. */
  readonly resourceId: string;
  /** The policy's name, when known. */
  readonly policy?: string;
  /** Where in the policy: `Statement[2].Resource[0]`, `ManagedPolicyArns[1]`, `Role`... */
  readonly path: string;
  /** Allow or Deny, for statement values: an unresolved Deny may deny less locally than on AWS. */
  readonly effect?: 'Allow' | 'Deny';
  readonly detail: string;
}

export interface AppRolePolicies {
  /** The app's MSK clusters and their local identities (none for a self-managed cluster). */
  readonly clusters: readonly LocalCluster[];
  /** Every role of the app, by role ARN. */
  readonly roles: ReadonlyMap<string, RolePolicySet>;
  /** `stack/logicalId` of each function → its role's ARN. */
  readonly functionRoles: ReadonlyMap<string, string>;
  readonly unresolved: readonly UnresolvedPolicyValue[];
  /** What the reader leaves out on purpose, for the runtime to say. */
  readonly notes: readonly string[];
}

/** Reads the assembly in `dir` (a `cdk.out`) and gives its roles' policies. */
export function loadRolePolicies(dir: string): AppRolePolicies {
  return rolePolicies(readStackTemplates(dir));
}

interface Located {
  readonly stack: string;
  readonly logicalId: string;
  readonly resource: CfnResource;
}

const AWS_MANAGED_ARN = /^arn:aws[a-z-]*:iam::aws:policy\/(.+)$/;

/** The roles' policies of the stacks of one app. */
export function rolePolicies(stacks: readonly StackTemplate[]): AppRolePolicies {
  return new RolePolicyReader(stacks).read();
}

class RolePolicyReader {
  private readonly values: PolicyResourceValues;
  private readonly intrinsics: IntrinsicEvaluator;
  private readonly unresolved: UnresolvedPolicyValue[] = [];
  private readonly all: Located[] = [];

  constructor(stacks: readonly StackTemplate[]) {
    this.values = new PolicyResourceValues(stacks);
    this.intrinsics = new IntrinsicEvaluator(stacks, this.values, { strict: true });
    this.values.bind(this.intrinsics);
    for (const { name: stack, template } of stacks) {
      for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
        this.all.push({ stack, logicalId, resource });
      }
    }
  }

  read(): AppRolePolicies {
    const ofType = (type: string) => this.all.filter((l) => l.resource.Type === type);
    const roles = ofType('AWS::IAM::Role').map((role) => ({
      role,
      arn: this.values.attribute(role.stack, role.logicalId, 'Arn'),
      name: this.values.ref(role.stack, role.logicalId) ?? '',
      policies: [] as NamedPolicy[],
      awsManaged: [] as string[],
      functionIds: [] as string[],
    }));
    const byName = new Map(roles.map((r) => [r.name, r]));
    const byArn = new Map(roles.map((r) => [r.arn, r]));

    for (const r of roles) {
      const props = r.role.resource.Properties ?? {};
      ((props.Policies ?? []) as { PolicyName?: unknown; PolicyDocument?: unknown }[]).forEach((p, i) => {
        const name = this.text(r.role, p.PolicyName, `Policies[${i}].PolicyName`) ?? `Policies[${i}]`;
        r.policies.push(this.policy(r.role, name, p.PolicyDocument));
      });
    }

    const managed = new Map<string, NamedPolicy>();
    for (const l of ofType('AWS::IAM::ManagedPolicy')) {
      const arn = this.values.ref(l.stack, l.logicalId) ?? '';
      const policy = this.policy(l, arn.replace(/^.*:policy\//, ''), l.resource.Properties?.PolicyDocument);
      managed.set(arn, policy);
      this.attach(l, policy, byName);
    }
    for (const l of ofType('AWS::IAM::Policy')) {
      const name = this.text(l, l.resource.Properties?.PolicyName, 'PolicyName') ?? l.logicalId;
      this.attach(l, this.policy(l, name, l.resource.Properties?.PolicyDocument), byName);
    }
    for (const l of ofType('AWS::IAM::RolePolicy')) {
      const props = l.resource.Properties ?? {};
      const name = this.text(l, props.PolicyName, 'PolicyName') ?? l.logicalId;
      const roleName = this.text(l, props.RoleName, 'RoleName');
      const role = roleName === undefined ? undefined : byName.get(roleName);
      if (role) role.policies.push(this.policy(l, name, props.PolicyDocument));
      else if (roleName !== undefined) this.report(l, 'RoleName', `role ${roleName} is not in the app`, name);
    }

    for (const r of roles) {
      const arns = (r.role.resource.Properties?.ManagedPolicyArns ?? []) as unknown[];
      arns.forEach((value, i) => {
        const arn = this.text(r.role, value, `ManagedPolicyArns[${i}]`);
        if (arn === undefined) return;
        const awsManaged = AWS_MANAGED_ARN.exec(arn)?.[1];
        const own = managed.get(arn);
        if (awsManaged) r.awsManaged.push(awsManaged);
        else if (own) {
          if (!r.policies.includes(own)) r.policies.push(own);
        } else this.report(r.role, `ManagedPolicyArns[${i}]`, `managed policy ${arn} is not in the app`);
      });
    }

    const functionRoles = new Map<string, string>();
    const shortNames = new Map<string, string>();
    for (const fn of ofType('AWS::Lambda::Function')) {
      const id = `${fn.stack}/${fn.logicalId}`;
      const arn = this.text(fn, fn.resource.Properties?.Role, 'Role');
      if (arn === undefined) continue;
      functionRoles.set(id, arn);
      shortNames.set(id, shortName(fn));
      const role = byArn.get(arn);
      if (role) role.functionIds.push(id);
      else this.report(fn, 'Role', `role ${arn} is not in the app: the function has no known permissions`);
    }

    const taken = new Set<string>();
    const unique = (name: string) => {
      let candidate = name;
      for (let n = 2; taken.has(candidate); n++) candidate = `${name}-${n}`;
      taken.add(candidate);
      return candidate;
    };
    const sets = new Map<string, RolePolicySet>();
    for (const r of roles) {
      const first = r.functionIds[0];
      const profile = unique(first ? shortNames.get(first)! : shortName(r.role).replace(/-role$/, ''));
      sets.set(r.arn, {
        roleArn: r.arn,
        roleId: `${r.role.stack}/${r.role.logicalId}`,
        profile,
        functionIds: r.functionIds,
        policies: r.policies,
        awsManagedPolicies: r.awsManaged,
      });
    }
    const anyAwsManaged = roles.some((r) => r.awsManaged.length > 0);
    return {
      clusters: [...this.values.clusters.values()],
      roles: sets,
      functionRoles,
      unresolved: this.unresolved,
      notes: anyAwsManaged ? [AWS_MANAGED_POLICY_NOTE] : [],
    };
  }

  /** Adds `policy` to each role its `Roles` property names. */
  private attach(l: Located, policy: NamedPolicy, byName: Map<string, { policies: NamedPolicy[] }>): void {
    ((l.resource.Properties?.Roles ?? []) as unknown[]).forEach((value, i) => {
      const name = this.text(l, value, `Roles[${i}]`, policy.name);
      if (name === undefined) return;
      const role = byName.get(name);
      if (role) role.policies.push(policy);
      else this.report(l, `Roles[${i}]`, `role ${name} is not in the app`, policy.name);
    });
  }

  /** A string value, or undefined after reporting why it has none. */
  private text(l: Located, value: unknown, path: string, policy?: string): string | undefined {
    try {
      return this.intrinsics.string(l.stack, value);
    } catch (error) {
      if (!(error instanceof Unresolvable)) throw error;
      this.report(l, path, error.message, policy);
      return undefined;
    }
  }

  private report(l: Located, path: string, detail: string, policy?: string, effect?: 'Allow' | 'Deny'): void {
    this.unresolved.push({ resourceId: `${l.stack}/${l.logicalId}`, policy, path, effect, detail });
  }

  /** A policy document with each value evaluated on its own, so one failure marks only itself. */
  private policy(l: Located, name: string, document: unknown): NamedPolicy {
    const doc = (document ?? {}) as { Version?: unknown; Statement?: unknown };
    const raw = Array.isArray(doc.Statement)
      ? doc.Statement
      : doc.Statement === undefined
        ? []
        : [doc.Statement];
    const statements = raw.map((s, i) =>
      this.statement(l, name, s as Record<string, unknown>, `Statement[${i}]`),
    );
    const out: PolicyDocument = {
      ...(typeof doc.Version === 'string' ? { Version: doc.Version } : {}),
      Statement: statements,
    };
    return { name, document: out };
  }

  private statement(l: Located, policy: string, s: Record<string, unknown>, at: string): PolicyStatement {
    const effect = s.Effect === 'Deny' ? 'Deny' : 'Allow';
    const value = (raw: unknown, path: string): string => {
      try {
        return this.intrinsics.string(l.stack, raw);
      } catch (error) {
        if (!(error instanceof Unresolvable)) throw error;
        this.report(l, path, error.message, policy, effect);
        return `<unresolved: ${error.message}>`;
      }
    };
    const field = (key: string): string | string[] | undefined => {
      const raw = s[key];
      if (raw === undefined) return undefined;
      if (Array.isArray(raw)) return raw.map((v, i) => value(v, `${at}.${key}[${i}]`));
      // A single intrinsic may give a list (Fn::Split): keep its items.
      try {
        const resolved = this.intrinsics.resolve(l.stack, raw);
        if (Array.isArray(resolved) && resolved.every((v) => typeof v === 'string'))
          return resolved as string[];
      } catch (error) {
        if (!(error instanceof Unresolvable)) throw error;
      }
      return value(raw, `${at}.${key}`);
    };
    const out: Record<string, unknown> = { Effect: effect };
    if (typeof s.Sid === 'string') out.Sid = s.Sid;
    for (const key of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) {
      const v = field(key);
      if (v !== undefined) out[key] = v;
    }
    if (s.Condition !== undefined)
      out.Condition = this.condition(l, policy, effect, s.Condition, `${at}.Condition`);
    return out as unknown as PolicyStatement;
  }

  private condition(
    l: Located,
    policy: string,
    effect: 'Allow' | 'Deny',
    raw: unknown,
    at: string,
  ): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const [operator, keys] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
      out[operator] = {};
      for (const [key, v] of Object.entries((keys ?? {}) as Record<string, unknown>)) {
        const one = (x: unknown, path: string): unknown => {
          try {
            return this.intrinsics.resolve(l.stack, x);
          } catch (error) {
            if (!(error instanceof Unresolvable)) throw error;
            this.report(l, path, error.message, policy, effect);
            return `<unresolved: ${error.message}>`;
          }
        };
        out[operator][key] = Array.isArray(v)
          ? v.map((x, i) => one(x, `${at}.${operator}.${key}[${i}]`))
          : one(v, `${at}.${operator}.${key}`);
      }
    }
    return out;
  }
}

/**
 * A resource's short name from its construct path: the segments after the stack, kebab-case,
 * without a trailing `Function`: `kw-dev-pipeline/Ingest/Resource` → `ingest`,
 * `…/Topics/AdminFunction/Resource` → `topics-admin`. Without a path, the logical id minus CDK's hash.
 */
export function shortName({ logicalId, resource }: Located): string {
  const cdkPath = resource.Metadata?.['aws:cdk:path'];
  const segments =
    typeof cdkPath === 'string'
      ? cdkPath
          .split('/')
          .slice(1)
          .filter((s) => s !== 'Resource' && s !== 'Default')
      : [logicalId.replace(/[0-9A-F]{8}$/, '')];
  const kebab = segments
    .map((s) =>
      s
        .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
        .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
        .replace(/[^A-Za-z0-9]+/g, '-')
        .toLowerCase(),
    )
    .join('-')
    .replace(/^-+|-+$/g, '');
  return kebab.replace(/-function$/, '') || logicalId.toLowerCase();
}
