/**
 * The cloud assembly's manifest (`manifest.json` in a `cdk.out`) and the CloudFormation templates of
 * the stacks it lists, read as they are: no intrinsic is resolved here.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** Raised when a directory is not a readable cloud assembly. */
export class AssemblyError extends Error {
  public override readonly name = 'AssemblyError';
}

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  Condition?: string;
}

export interface CfnTemplate {
  Parameters?: Record<string, { Default?: unknown }>;
  Resources?: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown }; Description?: string }>;
}

export interface StackTemplate {
  /** The stack name CloudFormation would get (`AWS::StackName`). */
  readonly name: string;
  readonly template: CfnTemplate;
}

interface Manifest {
  artifacts?: Record<string, { type: string; properties?: { templateFile?: string; stackName?: string } }>;
}

/** The stacks of the assembly in `dir`, in the manifest's order; throws AssemblyError when there are none. */
export function readStackTemplates(dir: string): StackTemplate[] {
  const manifestPath = path.join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new AssemblyError(
      `${dir} is not a cloud assembly (no manifest.json): run 'npx cdk synth' or pass --assembly`,
    );
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
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
  return stacks;
}
