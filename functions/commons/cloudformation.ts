/** CloudFormation lookups shared by the self-destruct function and `kw sweep`. */
import { DescribeStacksCommand, type CloudFormationClient, type Stack } from '@aws-sdk/client-cloudformation';

/**
 * True for the error DescribeStacks gives for a stack that does not exist, which is what a deleted
 * stack looks like by name: a `ValidationError` saying "Stack with id NAME does not exist" (the SDK
 * has no class of its own for it).
 */
export function isMissingStack(error: unknown): boolean {
  return error instanceof Error && error.name === 'ValidationError' && /does not exist/.test(error.message);
}

/**
 * One stack, or undefined once it is gone: not found by name, or DELETE_COMPLETE (how a deleted
 * stack is still described by its id).
 */
export async function describeStack(
  cfn: Pick<CloudFormationClient, 'send'>,
  stack: string,
): Promise<Stack | undefined> {
  try {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
    const found = Stacks?.[0];
    return found === undefined || found.StackStatus === 'DELETE_COMPLETE' ? undefined : found;
  } catch (error) {
    if (isMissingStack(error)) return undefined;
    throw error;
  }
}
