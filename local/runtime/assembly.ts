/**
 * Reads a synthesized cloud assembly (what `cdk synth` writes and `cdk deploy` sends) and turns the
 * resources the local runtime emulates into plain specs: functions with their bundled code and
 * resolved environment, Kafka event source mappings, Function URLs, Kafka topics and DynamoDB tables.
 * Every other resource type is counted in `notEmulated`, so the runtime can say what it left out.
 *
 * The parts live in template/: the manifest and templates as written (manifest.ts), intrinsic
 * functions evaluated for a local account (intrinsics.ts), and one translator per resource type
 * (resource-types.ts). The specs here are the assembly's own description; the runtime turns them into
 * what its pollers and pools take.
 */
import { IntrinsicEvaluator, type ResourceValues } from './template/intrinsics';
import {
  readStackTemplates,
  type CfnResource,
  type CfnTemplate,
  type StackTemplate,
} from './template/manifest';
import {
  countNotEmulated,
  physicalName,
  RESOURCE_TYPES,
  type AssemblyLookup,
  type AssemblyParts,
  type ResourceRef,
} from './template/resource-types';

export { LOCAL_ACCOUNT, LOCAL_REGION } from './template/intrinsics';
export { AssemblyError } from './template/manifest';
export { parseTopicConfigs } from './template/resource-types';

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

export type LocalStartingPosition = 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';

/** Where a mapping's failed records go: a Kafka topic, or an SQS, SNS or S3 ARN. */
export type LocalOnFailureDestination =
  | { readonly kind: 'kafka'; readonly topic: string }
  | { readonly kind: 'sqs' | 'sns' | 's3'; readonly arn: string };

/** A Kafka event source mapping as the template declares it, defaults applied. */
export interface LocalMappingSpec {
  /** `stack/logicalId`. */
  readonly id: string;
  /** The construct path without `/Resource`, for messages. */
  readonly name: string;
  /** `stack/logicalId` of its function. */
  readonly functionId: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly enabled: boolean;
  readonly topic: string;
  readonly consumerGroupId: string;
  readonly batchSize: number;
  readonly batchWindowMs: number;
  readonly startingPosition: LocalStartingPosition;
  /** Epoch ms, for AT_TIMESTAMP. */
  readonly startingTimestampMs?: number;
  /** FilterCriteria patterns, as JSON text. */
  readonly filters: readonly string[];
  /** Provisioned pollers unlock the retry and failure options below. */
  readonly provisioned: boolean;
  /** -1: until success (capped at 10 when an on-failure destination is set, as AWS does). */
  readonly retryAttempts: number;
  readonly bisectBatchOnError: boolean;
  /** -1: no limit. */
  readonly maxRecordAgeSeconds: number;
  readonly reportBatchItemFailures: boolean;
  readonly sourceKind: 'msk' | 'self-managed';
  /** The cluster's ARN (MSK only). */
  readonly clusterArn?: string;
  readonly onFailure?: LocalOnFailureDestination;
}

export interface LocalUrlSpec {
  readonly id: string;
  readonly functionId: string;
  readonly authType: string;
}

export interface LocalTopicSpec {
  readonly id: string;
  /**
   * For a custom resource topic, the function its ServiceToken names (`stack/logicalId`): the one that
   * creates the topic on AWS, with its role's permissions.
   */
  readonly serviceFunctionId?: string;
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

/** Reads the assembly in `dir` (a `cdk.out`). */
export function loadAssembly(dir: string): CloudAssemblyView {
  return new AssemblyReader(dir, readStackTemplates(dir)).read();
}

class AssemblyReader implements ResourceValues, AssemblyLookup {
  private readonly intrinsics: IntrinsicEvaluator;
  private readonly byStack = new Map<string, CfnTemplate>();

  constructor(
    readonly dir: string,
    private readonly stacks: readonly StackTemplate[],
  ) {
    for (const s of stacks) this.byStack.set(s.name, s.template);
    this.intrinsics = new IntrinsicEvaluator(stacks, this);
  }

  read(): CloudAssemblyView {
    const parts: AssemblyParts = {
      functions: [],
      mappings: [],
      urls: [],
      topics: [],
      tables: [],
      warnings: [],
      notEmulated: new Map(),
    };
    for (const { name: stack, template } of this.stacks) {
      for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
        // Evaluated for every resource, emulated or not: a malformed intrinsic fails the load as it
        // would fail a deploy.
        const props = this.properties(stack, resource);
        const translator = RESOURCE_TYPES.get(resource.Type);
        if (!translator) {
          countNotEmulated(parts, resource.Type);
          continue;
        }
        translator.translate({ stack, logicalId, resource, id: `${stack}/${logicalId}`, props }, this, parts);
      }
    }
    const { functions, urls } = parts;
    const mappings = parts.mappings.map((m) => {
      const fn = functions.find((f) => f.id === m.functionId);
      return { ...m, functionName: fn?.name ?? '', functionArn: fn?.arn ?? '' };
    });
    for (const m of mappings) {
      if (!m.functionName)
        parts.warnings.push(`${m.id}: its function is not run locally; the mapping is skipped`);
    }
    for (const url of urls) {
      if (!functions.some((f) => f.id === url.functionId))
        parts.warnings.push(`${url.id}: its function is not run locally`);
    }
    return {
      dir: this.dir,
      stacks: this.stacks.map((s) => s.name),
      functions,
      mappings: mappings.filter((m) => m.functionName),
      urls: urls.filter((u) => functions.some((f) => f.id === u.functionId)),
      topics: parts.topics,
      tables: parts.tables,
      notEmulated: parts.notEmulated,
      warnings: parts.warnings,
    };
  }

  /** A resource's properties with intrinsics evaluated. */
  private properties(stack: string, resource: CfnResource): Record<string, unknown> {
    return (this.intrinsics.resolve(stack, resource.Properties ?? {}) ?? {}) as Record<string, unknown>;
  }

  private resourceRef(stack: string, logicalId: string): ResourceRef | undefined {
    const resource = this.byStack.get(stack)?.Resources?.[logicalId];
    return resource && { stack, logicalId, resource };
  }

  ref(stack: string, logicalId: string): string | undefined {
    const r = this.resourceRef(stack, logicalId);
    if (!r) return undefined;
    return RESOURCE_TYPES.get(r.resource.Type)?.ref?.(r) ?? physicalName(r);
  }

  attribute(stack: string, logicalId: string, name: string): string | undefined {
    const r = this.resourceRef(stack, logicalId);
    return r && RESOURCE_TYPES.get(r.resource.Type)?.attribute?.(r, name);
  }

  functionRef(stack: string, value: unknown): string | undefined {
    if (value && typeof value === 'object') {
      const v = value as Record<string, unknown>;
      if (typeof v.Ref === 'string') return `${stack}/${v.Ref}`;
      const att = v['Fn::GetAtt'];
      if (Array.isArray(att)) return `${stack}/${String(att[0])}`;
    }
    const name = String(this.intrinsics.resolve(stack, value));
    for (const { name: s, template } of this.stacks) {
      for (const [logicalId, r] of Object.entries(template.Resources ?? {})) {
        if (r.Type !== 'AWS::Lambda::Function') continue;
        if (this.ref(s, logicalId) === name || this.attribute(s, logicalId, 'Arn') === name)
          return `${s}/${logicalId}`;
      }
    }
    return undefined;
  }
}
