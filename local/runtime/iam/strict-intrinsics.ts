/**
 * CloudFormation's intrinsic functions evaluated strictly, for IAM policies: a value that cannot be
 * evaluated throws {@link Unresolvable} instead of becoming a placeholder. The runtime's evaluator
 * (template/intrinsics.ts) keeps going with `<unresolved ...>` text, which is right for an
 * environment variable but not for a policy: a placeholder taken apart by Fn::Split and Fn::Select
 * ends up as `undefined` inside an ARN, a resource that silently matches nothing (or, in a Deny,
 * silently denies nothing). Here the caller learns which value failed and why, and reports it.
 */
import { PSEUDO_PARAMETERS } from '../template/intrinsics';
import type { CfnTemplate, StackTemplate } from '../template/manifest';

/** A value of the template that has no local value; `detail` says which part and why. */
export class Unresolvable extends Error {
  public override readonly name = 'Unresolvable';
}

/** What Ref and Fn::GetAtt give for the assembly's resources; throw {@link Unresolvable} when unknown. */
export interface StrictResourceValues {
  /** Ref of a resource; undefined when `stack` has no resource `logicalId`. */
  ref(stack: string, logicalId: string): string | undefined;
  attribute(stack: string, logicalId: string, name: string): string;
}

export class StrictIntrinsics {
  private readonly byStack = new Map<string, CfnTemplate>();

  constructor(
    private readonly stacks: readonly StackTemplate[],
    private readonly resources: StrictResourceValues,
  ) {
    for (const s of stacks) this.byStack.set(s.name, s.template);
  }

  /** `value` of a template of `stack`, every intrinsic in it evaluated. */
  resolve(stack: string, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(stack, v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
      return this.intrinsic(stack, entries[0][0], entries[0][1]);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(stack, v)]));
  }

  /** `value` resolved to a string; anything else is unresolvable. */
  string(stack: string, value: unknown): string {
    const resolved = this.resolve(stack, value);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    throw new Unresolvable(`${JSON.stringify(value)} gives ${JSON.stringify(resolved)}, not a string`);
  }

  private list(stack: string, value: unknown, fn: string): unknown[] {
    const resolved = this.resolve(stack, value);
    if (!Array.isArray(resolved))
      throw new Unresolvable(`${fn} needs a list, got ${JSON.stringify(resolved)}`);
    return resolved;
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
        return this.resources.attribute(stack, logicalId, attr);
      }
      case 'Fn::ImportValue':
        return this.importValue(this.string(stack, arg));
      case 'Fn::Join': {
        const [sep, parts] = arg as [unknown, unknown];
        return this.list(stack, parts, fn)
          .map((p) => {
            if (typeof p !== 'string' && typeof p !== 'number') {
              throw new Unresolvable(`Fn::Join of ${JSON.stringify(p)}`);
            }
            return String(p);
          })
          .join(String(sep));
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = this.list(stack, list, fn);
        const i = Number(this.resolve(stack, index));
        if (!Number.isInteger(i) || i < 0 || i >= items.length) {
          throw new Unresolvable(`Fn::Select index ${String(i)} of ${JSON.stringify(items)}`);
        }
        return items[i];
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
        throw new Unresolvable(`${fn} is not evaluated locally`);
    }
  }

  private ref(stack: string, name: string): string {
    if (Object.hasOwn(PSEUDO_PARAMETERS, name)) return PSEUDO_PARAMETERS[name](stack);
    const resource = this.resources.ref(stack, name);
    if (resource !== undefined) return resource;
    const parameter = this.byStack.get(stack)?.Parameters?.[name];
    if (parameter?.Default !== undefined) return this.string(stack, parameter.Default);
    throw new Unresolvable(`Ref ${name}: no resource or parameter with a default in ${stack}`);
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
        return this.resources.attribute(stack, name.slice(0, at), name.slice(at + 1));
      }
      return this.ref(stack, name);
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
    throw new Unresolvable(`Fn::ImportValue ${name}: no stack of the assembly exports it`);
  }
}
