/**
 * CloudFormation's intrinsic functions, evaluated the way they would be after a deploy to a local
 * account (`000000000000`, region `us-east-1`): pseudo parameters, Ref and Fn::GetAtt of the
 * assembly's resources (what they give is the resource type's business, see resource-types.ts),
 * parameter defaults, Fn::ImportValue across stacks, Fn::Sub, Fn::Join, Fn::Select, Fn::Split and
 * Fn::Base64. A value that cannot be evaluated becomes `<unresolved ...>` rather than failing the
 * whole assembly.
 */
import type { CfnTemplate, StackTemplate } from './manifest';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

/** What Ref and Fn::GetAtt give for the assembly's resources. */
export interface ResourceValues {
  /** Ref of a resource of `stack`; undefined when the stack has no resource of that id. */
  ref(stack: string, logicalId: string): string | undefined;
  /** Fn::GetAtt; undefined when the attribute is not known locally. */
  attribute(stack: string, logicalId: string, name: string): string | undefined;
}

/** What the pseudo parameters stand for locally (the strict evaluator for IAM reads the same). */
export const PSEUDO_PARAMETERS: Readonly<Record<string, (stack: string) => string>> = {
  'AWS::Region': () => LOCAL_REGION,
  'AWS::AccountId': () => LOCAL_ACCOUNT,
  'AWS::Partition': () => 'aws',
  'AWS::StackName': (stack) => stack,
  'AWS::URLSuffix': () => 'amazonaws.com',
};

export class IntrinsicEvaluator {
  private readonly byStack = new Map<string, CfnTemplate>();

  constructor(
    private readonly stacks: readonly StackTemplate[],
    private readonly resources: ResourceValues,
  ) {
    for (const s of stacks) this.byStack.set(s.name, s.template);
  }

  /** `value` from a template of `stack` with every intrinsic in it evaluated. */
  resolve(stack: string, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(stack, v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0];
      const r = (v: unknown) => this.resolve(stack, v);
      switch (fn) {
        case 'Ref':
          return this.ref(stack, String(arg));
        case 'Fn::GetAtt': {
          // The string form splits at the first dot only: `Db.Endpoint.Address`.
          const [logicalId, attr] = Array.isArray(arg)
            ? arg.map(String)
            : [String(arg).split('.')[0], String(arg).split('.').slice(1).join('.')];
          return this.resources.attribute(stack, logicalId, attr) ?? `<unresolved ${logicalId}.${attr}>`;
        }
        case 'Fn::ImportValue':
          return this.importValue(String(r(arg)));
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, unknown[]];
          return (r(parts) as unknown[]).map(String).join(sep);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          return (r(list) as unknown[])[Number(r(index))];
        }
        case 'Fn::Split': {
          const [sep, text] = arg as [string, unknown];
          return String(r(text)).split(sep);
        }
        case 'Fn::Base64':
          return Buffer.from(String(r(arg))).toString('base64');
        case 'Fn::If':
        case 'Fn::FindInMap':
        case 'Fn::GetAZs':
        case 'Fn::Cidr':
        case 'Fn::Length':
        case 'Fn::ToJsonString':
          return `<unresolved ${fn}>`;
        case 'Fn::Sub':
          return this.sub(stack, arg);
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(stack, v)]));
  }

  private ref(stack: string, name: string): unknown {
    if (Object.hasOwn(PSEUDO_PARAMETERS, name)) return PSEUDO_PARAMETERS[name](stack);
    const resource = this.resources.ref(stack, name);
    if (resource !== undefined) return resource;
    const parameter = this.byStack.get(stack)?.Parameters?.[name];
    return parameter?.Default !== undefined
      ? this.resolve(stack, parameter.Default)
      : `<unresolved Ref ${name}>`;
  }

  private sub(stack: string, arg: unknown): string {
    const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
    return text.replace(/\$\{([^}]*)\}/g, (_m, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`; // `${!Literal}` stands for `${Literal}`
      if (name in vars) return String(this.resolve(stack, vars[name]));
      if (name.includes('.') && !name.startsWith('AWS::')) {
        const [logicalId, attr] = name.split('.');
        return String(this.resolve(stack, { 'Fn::GetAtt': [logicalId, attr] }));
      }
      return String(this.ref(stack, name));
    });
  }

  private importValue(name: string): unknown {
    for (const { name: stack, template } of this.stacks) {
      for (const output of Object.values(template.Outputs ?? {})) {
        if (output.Export && this.resolve(stack, output.Export.Name) === name) {
          return this.resolve(stack, output.Value);
        }
      }
    }
    return `<unresolved import ${name}>`;
  }
}
