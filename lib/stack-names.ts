/**
 * What identifies this project's stacks. The CDK app uses it to name and tag them, and the tools that
 * find and delete them (`kw sweep`, the sandbox smoke test) use it too, without loading aws-cdk-lib.
 */

/** Value of the `project` tag; teardown tooling only ever touches stacks that carry it. */
export const PROJECT_TAG = 'serverless-kafka-workshop';

/** The stacks of one stage in deployment order: each may import from those before it. */
export const STACK_ROLES = ['network', 'kafka', 'pipeline'] as const;
export type StackRole = (typeof STACK_ROLES)[number];

/** Stack names for a stage, so tools and docs can name them without synthesizing. */
export function stackNames(stage: string): Record<StackRole, string> {
  return { network: `kw-${stage}-network`, kafka: `kw-${stage}-kafka`, pipeline: `kw-${stage}-pipeline` };
}
