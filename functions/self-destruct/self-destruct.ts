/**
 * Deletes the stack this function belongs to once its expiry has passed: a sandbox that cleans up
 * after itself even when nobody runs `npm run destroy` or the sweeper.
 *
 * It runs on a schedule and decides afresh each time, so every failure is retried on the next run:
 * - before `expiresAt`: nothing;
 * - while a stack that imports from this one still exists (the pipeline imports the kafka and network
 *   stacks' outputs): wait, because CloudFormation refuses to delete an export in use;
 * - while the stack is being created, updated or deleted: wait;
 * - otherwise, including after a failed deletion (DELETE_FAILED, e.g. Lambda's network interfaces
 *   still held a subnet): DeleteStack again.
 * It never deletes any stack but its own.
 */
import {
  DeleteStackCommand,
  DescribeStacksCommand,
  type CloudFormationClient,
} from '@aws-sdk/client-cloudformation';

export interface SelfDestructSettings {
  /** This stack's id (ARN) or name. */
  readonly stack: string;
  /** When the stack may go. */
  readonly expiresAt: Date;
  /** Stacks that must be gone first, by name. */
  readonly waitFor: readonly string[];
}

export type SelfDestructOutcome =
  | { readonly action: 'not-yet'; readonly reason: string }
  | { readonly action: 'wait'; readonly reason: string }
  | { readonly action: 'deleting'; readonly reason: string }
  | { readonly action: 'delete-requested'; readonly reason: string };

/** Reads the settings from the function's environment; throws naming what is missing or wrong. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): SelfDestructSettings {
  const stack = env.STACK_ID ?? '';
  const expiresAt = new Date(env.EXPIRES_AT ?? '');
  if (stack === '') throw new Error('STACK_ID is not set');
  if (Number.isNaN(expiresAt.getTime())) {
    throw new Error(`EXPIRES_AT "${env.EXPIRES_AT ?? ''}" is not an ISO-8601 instant`);
  }
  const waitFor = (env.WAIT_FOR_STACKS ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return { stack, expiresAt, waitFor };
}

/** A stack's status, or undefined when it does not exist (DescribeStacks by name fails for those). */
async function stackStatus(cfn: CloudFormationClient, stack: string): Promise<string | undefined> {
  try {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
    const status = Stacks?.[0]?.StackStatus;
    return status === 'DELETE_COMPLETE' ? undefined : status;
  } catch (error) {
    if (error instanceof Error && /does not exist/.test(error.message)) return undefined;
    throw error;
  }
}

/** One scheduled run: decides what to do now and does it. */
export async function selfDestruct(
  cfn: CloudFormationClient,
  settings: SelfDestructSettings,
  now: Date,
): Promise<SelfDestructOutcome> {
  if (now.getTime() < settings.expiresAt.getTime()) {
    return { action: 'not-yet', reason: `expires at ${settings.expiresAt.toISOString()}` };
  }
  for (const name of settings.waitFor) {
    const status = await stackStatus(cfn, name);
    if (status !== undefined) {
      return { action: 'wait', reason: `${name} still exists (${status}) and imports from this stack` };
    }
  }
  const own = await stackStatus(cfn, settings.stack);
  if (own === undefined || own === 'DELETE_IN_PROGRESS') {
    return { action: 'deleting', reason: `the stack is ${own ?? 'gone'}` };
  }
  if (own.endsWith('_IN_PROGRESS')) {
    return { action: 'wait', reason: `the stack is ${own}; deletion has to wait until it settles` };
  }
  await cfn.send(new DeleteStackCommand({ StackName: settings.stack }));
  return {
    action: 'delete-requested',
    reason: `expired at ${settings.expiresAt.toISOString()}; the stack was ${own}`,
  };
}
