/**
 * CloudFormation's intrinsic functions, evaluated the way they would be after a deploy to a local
 * account (`000000000000`, region `us-east-1`): pseudo parameters, Ref and Fn::GetAtt of the
 * assembly's resources (what they give is the resource type's business, see resource-types.ts),
 * parameter defaults, Fn::ImportValue across stacks, Fn::Sub, Fn::Join, Fn::Select, Fn::Split and
 * Fn::Base64.
 *
 * Two ways to meet a value that cannot be evaluated. By default it becomes `<unresolved ...>` rather
 * than failing the whole assembly, which is right for an environment variable. `strict` throws
 * {@link Unresolvable} instead, for IAM policies (iam/role-policies.ts): a placeholder taken apart by
 * Fn::Split and Fn::Select would end up as `undefined` inside an ARN, a resource that silently
 * matches nothing (or, in a Deny, silently denies nothing), where the caller must learn which value
 * failed and why, and report it.
 */
import type { CfnTemplate, StackTemplate } from './manifest';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

/** A value of the template that has no local value (strict evaluation); the message says which and why. */
export class Unresolvable extends Error {
  public override readonly name = 'Unresolvable';
}

/** What Ref and Fn::GetAtt give for the assembly's resources. */
export interface ResourceValues {
  /** Ref of a resource of `stack`; undefined when the stack has no resource of that id. */
  ref(stack: string, logicalId: string): string | undefined;
  /**
   * Fn::GetAtt; undefined when the attribute is not known locally. Values meant for strict
   * evaluation may throw {@link Unresolvable} with a more precise reason instead.
   */
  attribute(stack: string, logicalId: string, name: string): string | undefined;
}

/** What the pseudo parameters stand for locally. */
export const PSEUDO_PARAMETERS: Readonly<Record<string, (stack: string) => string>> = {
  'AWS::Region': () => LOCAL_REGION,
  'AWS::AccountId': () => LOCAL_ACCOUNT,
  'AWS::Partition': () => 'aws',
  'AWS::StackName': (stack) => stack,
  'AWS::URLSuffix': () => 'amazonaws.com',
};

export class IntrinsicEvaluator {
  private readonly byStack = new Map<string, CfnTemplate>();
  private readonly strict: boolean;

  constructor(
    private readonly stacks: readonly StackTemplate[],
    private readonly resources: ResourceValues,
    options: { readonly strict?: boolean } = {},
  ) {
    for (const s of stacks) this.byStack.set(s.name, s.template);
    this.strict = options.strict ?? false;
  }

  /** `value` from a template of `stack` with every intrinsic in it evaluated. */
  resolve(stack: string, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(stack, v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
      return this.intrinsic(stack, entries[0][0], entries[0][1]);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(stack, v)]));
  }

  /** `value` resolved to a string (strict: anything but a string, number or boolean is unresolvable). */
  string(stack: string, value: unknown): string {
    const resolved = this.resolve(stack, value);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    return this.unresolved(
      `${JSON.stringify(value)} gives ${JSON.stringify(resolved)}, not a string`,
      String(resolved),
    );
  }

  /** Strict: throws `detail`; otherwise goes on with `fallback`. */
  private unresolved<T>(detail: string, fallback: T): T {
    if (this.strict) throw new Unresolvable(detail);
    return fallback;
  }

  private list(stack: string, value: unknown, fn: string): unknown[] {
    const resolved = this.resolve(stack, value);
    return Array.isArray(resolved)
      ? resolved
      : this.unresolved(`${fn} needs a list, got ${JSON.stringify(resolved)}`, []);
  }

  private intrinsic(stack: string, fn: string, arg: unknown): unknown {
    switch (fn) {
      case 'Ref':
        return this.ref(stack, String(arg));
      case 'Fn::GetAtt': {
        // The string form splits at the first dot only: `Db.Endpoint.Address`.
        const [logicalId, attr] = Array.isArray(arg)
          ? [String(arg[0]), this.string(stack, arg[1])]
          : [String(arg).split('.')[0], String(arg).split('.').slice(1).join('.')];
        return this.attribute(stack, logicalId, attr);
      }
      case 'Fn::ImportValue':
        return this.importValue(this.string(stack, arg));
      case 'Fn::Join': {
        const [sep, parts] = arg as [unknown, unknown];
        return this.list(stack, parts, fn)
          .map((p) =>
            typeof p === 'string' || typeof p === 'number'
              ? String(p)
              : this.unresolved(`Fn::Join of ${JSON.stringify(p)}`, String(p)),
          )
          .join(String(sep));
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = this.list(stack, list, fn);
        const i = Number(this.resolve(stack, index));
        return Number.isInteger(i) && i >= 0 && i < items.length
          ? items[i]
          : this.unresolved(`Fn::Select index ${String(i)} of ${JSON.stringify(items)}`, undefined);
      }
      case 'Fn::Split': {
        const [sep, text] = arg as [unknown, unknown];
        return this.string(stack, text).split(String(sep));
      }
      case 'Fn::Sub':
        return this.sub(stack, arg);
      case 'Fn::Base64':
        return Buffer.from(this.string(stack, arg)).toString('base64');
      default:
        // Fn::If needs conditions, Fn::GetAZs and Fn::Cidr a real network, the rest a transform.
        return this.unresolved(`${fn} is not evaluated locally`, `<unresolved ${fn}>`);
    }
  }

  private attribute(stack: string, logicalId: string, attr: string): string {
    return (
      this.resources.attribute(stack, logicalId, attr) ??
      this.unresolved(
        `Fn::GetAtt ${logicalId}.${attr} has no local value`,
        `<unresolved ${logicalId}.${attr}>`,
      )
    );
  }

  private ref(stack: string, name: string): unknown {
    if (Object.hasOwn(PSEUDO_PARAMETERS, name)) return PSEUDO_PARAMETERS[name](stack);
    const resource = this.resources.ref(stack, name);
    if (resource !== undefined) return resource;
    const parameter = this.byStack.get(stack)?.Parameters?.[name];
    if (parameter?.Default !== undefined)
      return this.strict ? this.string(stack, parameter.Default) : this.resolve(stack, parameter.Default);
    return this.unresolved(
      `Ref ${name}: no resource or parameter with a default in ${stack}`,
      `<unresolved Ref ${name}>`,
    );
  }

  private sub(stack: string, arg: unknown): string {
    const [text, vars] = Array.isArray(arg)
      ? [String(arg[0]), (arg[1] ?? {}) as Record<string, unknown>]
      : [String(arg), {}];
    return text.replace(/\$\{([^}]*)\}/g, (_m, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`; // `${!Literal}` stands for `${Literal}`
      if (Object.hasOwn(vars, name)) return this.string(stack, vars[name]);
      if (name.includes('.') && !name.startsWith('AWS::')) {
        const at = name.indexOf('.');
        return this.attribute(stack, name.slice(0, at), name.slice(at + 1));
      }
      return String(this.ref(stack, name));
    });
  }

  private importValue(name: string): unknown {
    for (const { name: stack, template } of this.stacks) {
      for (const output of Object.values(template.Outputs ?? {})) {
        if (output.Export && this.string(stack, output.Export.Name) === name) {
          return this.resolve(stack, output.Value);
        }
      }
    }
    return this.unresolved(
      `Fn::ImportValue ${name}: no stack of the assembly exports it`,
      `<unresolved import ${name}>`,
    );
  }
}
