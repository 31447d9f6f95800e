/**
 * Reads a synthesized cloud assembly (what `cdk synth` writes and `cdk deploy` sends) and turns the
 * resources the local runtime emulates into plain specs: functions with their bundled code and
 * resolved environment, Kafka event source mappings, Function URLs, Kafka topics and DynamoDB tables.
 * Every other resource type is counted in `notEmulated`, so the runtime can say what it left out.
 *
 * CloudFormation intrinsics are resolved the way they would be after a deploy to a local account
 * (`000000000000`, region `us-east-1`): Ref and Fn::GetAtt of emulated resources, Fn::ImportValue
 * across stacks, Fn::Sub, Fn::Join, Fn::Select, Fn::Split. A value that cannot be resolved becomes
 * `<unresolved ...>` rather than failing the whole assembly.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EventSource } from './esm/event';
import type { MappingSpec, StartingPosition } from './esm/mapping-poller';
import type { OnFailureTarget } from './esm/on-failure';
import { parseOnFailureDestination } from './esm/on-failure';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

/** Raised when a directory is not a readable cloud assembly. */
export class AssemblyError extends Error {
  public override readonly name = 'AssemblyError';
}

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  Condition?: string;
}

interface CfnTemplate {
  Parameters?: Record<string, { Default?: unknown }>;
  Resources?: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown }; Description?: string }>;
}

export interface LocalFunctionSpec {
  /** `stack/logicalId`, unique across the assembly. */
  readonly id: string;
  /** The construct path without `/Resource`, e.g. `kw-dev-pipeline/Ingest`. */
  readonly displayName: string;
  readonly name: string;
  readonly arn: string;
  readonly codeDir: string;
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** The template's environment, intrinsics resolved. */
  readonly environment: Readonly<Record<string, string>>;
}

export type LocalMappingSpec = Omit<MappingSpec, 'source'> & {
  readonly id: string;
  readonly functionId: string;
  readonly enabled: boolean;
  readonly sourceKind: EventSource['kind'];
  readonly clusterArn?: string;
  readonly onFailure?: OnFailureTarget;
};

export interface LocalUrlSpec {
  readonly id: string;
  readonly functionId: string;
  readonly authType: string;
}

export interface LocalTopicSpec {
  readonly id: string;
  readonly name: string;
  readonly partitions: number;
  /** As the template states it; -1 leaves it to the cluster's default. */
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
}

export interface LocalTableSpec {
  readonly id: string;
  readonly name: string;
  readonly properties: Readonly<Record<string, unknown>>;
}

export interface CloudAssemblyView {
  readonly dir: string;
  readonly stacks: readonly string[];
  readonly functions: readonly LocalFunctionSpec[];
  readonly mappings: readonly LocalMappingSpec[];
  readonly urls: readonly LocalUrlSpec[];
  readonly topics: readonly LocalTopicSpec[];
  readonly tables: readonly LocalTableSpec[];
  /** Resource types present but not emulated, with how many of each. */
  readonly notEmulated: ReadonlyMap<string, number>;
  /** Problems with emulated resources (an unsupported runtime, a missing asset...). */
  readonly warnings: readonly string[];
}

interface StackTemplate {
  readonly name: string;
  readonly template: CfnTemplate;
}

/** Reads the assembly in `dir` (a `cdk.out`). */
export function loadAssembly(dir: string): CloudAssemblyView {
  const manifestPath = path.join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new AssemblyError(
      `${dir} is not a cloud assembly (no manifest.json): run 'npx cdk synth' or pass --assembly`,
    );
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string; stackName?: string } }>;
  };
  const stacks: StackTemplate[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    stacks.push({
      name: artifact.properties.stackName ?? id,
      template: JSON.parse(
        readFileSync(path.join(dir, artifact.properties.templateFile), 'utf8'),
      ) as CfnTemplate,
    });
  }
  if (stacks.length === 0) throw new AssemblyError(`${dir} holds no CloudFormation stacks`);
  return new AssemblyReader(dir, stacks).read();
}

/** CloudFormation's physical name for a resource without an explicit one (minus the random suffix). */
function physicalName(stack: string, logicalId: string): string {
  return `${stack}-${logicalId}`.slice(0, 64);
}

class AssemblyReader {
  private readonly byStack = new Map<string, CfnTemplate>();
  private readonly warnings: string[] = [];
  private readonly notEmulated = new Map<string, number>();

  constructor(
    private readonly dir: string,
    private readonly stacks: StackTemplate[],
  ) {
    for (const s of stacks) this.byStack.set(s.name, s.template);
  }

  read(): CloudAssemblyView {
    const functions: LocalFunctionSpec[] = [];
    const mappings: LocalMappingSpec[] = [];
    const urls: LocalUrlSpec[] = [];
    const topics: LocalTopicSpec[] = [];
    const tables: LocalTableSpec[] = [];
    const notEmulated = this.notEmulated;
    for (const { name: stack, template } of this.stacks) {
      for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
        const id = `${stack}/${logicalId}`;
        const props = (this.resolve(stack, resource.Properties ?? {}) ?? {}) as Record<string, unknown>;
        switch (resource.Type) {
          case 'AWS::Lambda::Function': {
            const fn = this.functionSpec(stack, logicalId, resource, props);
            if (fn) functions.push(fn);
            break;
          }
          case 'AWS::Lambda::EventSourceMapping': {
            const m = this.mappingSpec(stack, logicalId, resource, props);
            if (m) mappings.push(m);
            break;
          }
          case 'AWS::Lambda::Url':
            urls.push({
              id,
              functionId: this.functionRef(stack, resource.Properties?.TargetFunctionArn) ?? '',
              authType: String(props.AuthType ?? 'NONE'),
            });
            break;
          case 'AWS::MSK::Topic':
            topics.push({
              id,
              name: String(props.TopicName),
              partitions: Number(props.PartitionCount ?? 1),
              replicationFactor: Number(props.ReplicationFactor ?? -1),
              configs: parseTopicConfigs(props.Configs),
            });
            break;
          case 'Custom::KafkaTopic':
            topics.push({
              id,
              name: String(props.TopicName),
              partitions: Number(props.Partitions ?? 1),
              replicationFactor: Number(props.ReplicationFactor ?? -1),
              configs: Object.fromEntries(
                Object.entries((props.Configs ?? {}) as Record<string, unknown>).map(([k, v]) => [
                  k,
                  String(v),
                ]),
              ),
            });
            break;
          case 'AWS::DynamoDB::Table':
            tables.push({ id, name: this.refOf(stack, logicalId), properties: props });
            if (props.StreamSpecification) this.warnings.push(`${id}: DynamoDB streams are not emulated`);
            break;
          case 'AWS::MSK::Cluster':
          case 'AWS::MSK::ServerlessCluster':
            break; // stands for the embedded broker
          default:
            notEmulated.set(resource.Type, (notEmulated.get(resource.Type) ?? 0) + 1);
        }
      }
    }
    const resolvedMappings = mappings.map((m) => {
      const fn = functions.find((f) => f.id === m.functionId);
      return { ...m, functionName: fn?.name ?? '', functionArn: fn?.arn ?? '' };
    });
    for (const m of resolvedMappings) {
      if (!m.functionName)
        this.warnings.push(`${m.id}: its function is not run locally; the mapping is skipped`);
    }
    for (const url of urls) {
      if (!functions.some((f) => f.id === url.functionId))
        this.warnings.push(`${url.id}: its function is not run locally`);
    }
    return {
      dir: this.dir,
      stacks: this.stacks.map((s) => s.name),
      functions,
      mappings: resolvedMappings.filter((m) => m.functionName),
      urls: urls.filter((u) => functions.some((f) => f.id === u.functionId)),
      topics,
      tables,
      notEmulated,
      warnings: this.warnings,
    };
  }

  private resource(stack: string, logicalId: string): CfnResource | undefined {
    return this.byStack.get(stack)?.Resources?.[logicalId];
  }

  /** The value `Ref` gives for a resource of this assembly. */
  private refOf(stack: string, logicalId: string): string {
    const r = this.resource(stack, logicalId);
    const props = r?.Properties ?? {};
    switch (r?.Type) {
      case 'AWS::Lambda::Function':
        return typeof props.FunctionName === 'string' ? props.FunctionName : physicalName(stack, logicalId);
      case 'AWS::DynamoDB::Table':
        return typeof props.TableName === 'string' ? props.TableName : physicalName(stack, logicalId);
      case 'AWS::MSK::Cluster':
      case 'AWS::MSK::ServerlessCluster':
        return this.getAtt(stack, logicalId, 'Arn') ?? logicalId;
      default:
        return physicalName(stack, logicalId);
    }
  }

  private getAtt(stack: string, logicalId: string, attr: string): string | undefined {
    const r = this.resource(stack, logicalId);
    const props = r?.Properties ?? {};
    if (r?.Type === 'AWS::Lambda::Function' && attr === 'Arn') {
      return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${this.refOf(stack, logicalId)}`;
    }
    if ((r?.Type === 'AWS::MSK::Cluster' || r?.Type === 'AWS::MSK::ServerlessCluster') && attr === 'Arn') {
      const name = typeof props.ClusterName === 'string' ? props.ClusterName : logicalId;
      return `arn:aws:kafka:${LOCAL_REGION}:${LOCAL_ACCOUNT}:cluster/${name}/local`;
    }
    if (r?.Type === 'AWS::DynamoDB::Table' && attr === 'Arn') {
      return `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${this.refOf(stack, logicalId)}`;
    }
    return undefined;
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

  private resolve(stack: string, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(stack, v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0];
      const r = (v: unknown) => this.resolve(stack, v);
      switch (fn) {
        case 'Ref': {
          const name = String(arg);
          if (name === 'AWS::Region') return LOCAL_REGION;
          if (name === 'AWS::AccountId') return LOCAL_ACCOUNT;
          if (name === 'AWS::Partition') return 'aws';
          if (name === 'AWS::StackName') return stack;
          if (name === 'AWS::URLSuffix') return 'amazonaws.com';
          if (this.resource(stack, name)) return this.refOf(stack, name);
          const parameter = this.byStack.get(stack)?.Parameters?.[name];
          return parameter?.Default !== undefined ? r(parameter.Default) : `<unresolved Ref ${name}>`;
        }
        case 'Fn::GetAtt': {
          // The string form splits at the first dot only: `Db.Endpoint.Address`.
          const [logicalId, attr] = Array.isArray(arg)
            ? arg.map(String)
            : [String(arg).split('.')[0], String(arg).split('.').slice(1).join('.')];
          return this.getAtt(stack, logicalId, attr) ?? `<unresolved ${logicalId}.${attr}>`;
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
        case 'Fn::Sub': {
          const [text, vars] = Array.isArray(arg)
            ? (arg as [string, Record<string, unknown>])
            : [String(arg), {}];
          return text.replace(/\$\{([^}]*)\}/g, (_m, name: string) => {
            if (name.startsWith('!')) return `\${${name.slice(1)}}`; // `${!Literal}` stands for `${Literal}`
            if (name in vars) return String(r(vars[name]));
            if (name.includes('.') && !name.startsWith('AWS::')) {
              const [logicalId, attr] = name.split('.');
              return String(r({ 'Fn::GetAtt': [logicalId, attr] }));
            }
            return String(r({ Ref: name }));
          });
        }
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(stack, v)]));
  }

  /** `stack/logicalId` of the function a Ref, GetAtt or name points at. */
  private functionRef(stack: string, value: unknown): string | undefined {
    if (value && typeof value === 'object') {
      const v = value as Record<string, unknown>;
      if (typeof v.Ref === 'string') return `${stack}/${v.Ref}`;
      const att = v['Fn::GetAtt'];
      if (Array.isArray(att)) return `${stack}/${String(att[0])}`;
    }
    const name = String(this.resolve(stack, value));
    for (const { name: s, template } of this.stacks) {
      for (const [logicalId, r] of Object.entries(template.Resources ?? {})) {
        if (r.Type !== 'AWS::Lambda::Function') continue;
        if (this.refOf(s, logicalId) === name || this.getAtt(s, logicalId, 'Arn') === name)
          return `${s}/${logicalId}`;
      }
    }
    return undefined;
  }

  private functionSpec(
    stack: string,
    logicalId: string,
    resource: CfnResource,
    props: Record<string, unknown>,
  ): LocalFunctionSpec | undefined {
    const id = `${stack}/${logicalId}`;
    const runtime = String(props.Runtime ?? '');
    if (!runtime.startsWith('nodejs')) {
      this.warnings.push(
        `${id}: runtime ${runtime || '(container image)'} is not run locally (Node.js runtimes only)`,
      );
      return undefined;
    }
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string') {
      this.warnings.push(`${id}: no bundled asset in the assembly (inline code is not run locally)`);
      return undefined;
    }
    const codeDir = path.resolve(this.dir, assetPath);
    if (!existsSync(codeDir)) {
      this.warnings.push(`${id}: asset ${assetPath} is missing from ${this.dir}`);
      return undefined;
    }
    const variables = ((props.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables ?? {}) as Record<string, unknown>;
    const cdkPath = String(resource.Metadata?.['aws:cdk:path'] ?? id);
    return {
      id,
      displayName: cdkPath.replace(/\/Resource$/, ''),
      name: this.refOf(stack, logicalId),
      arn: this.getAtt(stack, logicalId, 'Arn')!,
      codeDir,
      handler: String(props.Handler ?? 'index.handler'),
      runtime,
      timeoutSeconds: Number(props.Timeout ?? 3),
      memoryMb: Number(props.MemorySize ?? 128),
      environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
    };
  }

  private mappingSpec(
    stack: string,
    logicalId: string,
    resource: CfnResource,
    props: Record<string, unknown>,
  ): LocalMappingSpec | undefined {
    const id = `${stack}/${logicalId}`;
    const selfManaged = props.SelfManagedEventSource !== undefined;
    const arn = typeof props.EventSourceArn === 'string' ? props.EventSourceArn : undefined;
    if (!selfManaged && !arn?.startsWith('arn:aws:kafka:')) {
      const label = 'AWS::Lambda::EventSourceMapping (not Kafka)';
      this.notEmulated.set(label, (this.notEmulated.get(label) ?? 0) + 1);
      return undefined;
    }
    const topics = (props.Topics ?? []) as string[];
    const functionId = this.functionRef(stack, resource.Properties?.FunctionName);
    if (!functionId || topics.length !== 1) {
      this.warnings.push(`${id}: needs one topic and a function of this assembly; skipped`);
      return undefined;
    }
    const groupConfig = (props.AmazonManagedKafkaEventSourceConfig ??
      props.SelfManagedKafkaEventSourceConfig) as { ConsumerGroupId?: string } | undefined;
    const filters = (
      (props.FilterCriteria as { Filters?: { Pattern?: string }[] } | undefined)?.Filters ?? []
    ).map((f) => String(f.Pattern));
    const destination = (props.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined)
      ?.OnFailure?.Destination;
    const timestamp = props.StartingPositionTimestamp;
    return {
      id,
      name: String(resource.Metadata?.['aws:cdk:path'] ?? id).replace(/\/Resource$/, ''),
      functionId,
      functionName: '',
      functionArn: '',
      enabled: props.Enabled !== false && props.Enabled !== 'false',
      topic: topics[0],
      consumerGroupId: groupConfig?.ConsumerGroupId ?? logicalId,
      batchSize: Number(props.BatchSize ?? 100),
      batchWindowMs: Math.round(Number(props.MaximumBatchingWindowInSeconds ?? 0.5) * 1000),
      startingPosition: String(props.StartingPosition ?? 'LATEST') as StartingPosition,
      startingTimestampMs: timestamp === undefined ? undefined : Number(timestamp) * 1000,
      filters,
      provisioned: props.ProvisionedPollerConfig !== undefined,
      retryAttempts: Number(props.MaximumRetryAttempts ?? -1),
      bisectBatchOnError:
        props.BisectBatchOnFunctionError === true || props.BisectBatchOnFunctionError === 'true',
      maxRecordAgeSeconds: Number(props.MaximumRecordAgeInSeconds ?? -1),
      reportBatchItemFailures: ((props.FunctionResponseTypes ?? []) as string[]).includes(
        'ReportBatchItemFailures',
      ),
      sourceKind: selfManaged ? 'self-managed' : 'msk',
      clusterArn: arn,
      onFailure: destination ? parseOnFailureDestination(destination) : undefined,
    };
  }
}

/** AWS::MSK::Topic `Configs`: base64 of `key=value` lines. */
export function parseTopicConfigs(configs: unknown): Record<string, string> {
  if (typeof configs !== 'string' || configs.length === 0) return {};
  const out: Record<string, string> = {};
  for (const line of Buffer.from(configs, 'base64').toString('utf8').split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return out;
}
