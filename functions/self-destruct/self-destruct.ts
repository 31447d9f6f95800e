/**
 * Deletes the stack this function belongs to once its expiry has passed: a sandbox that cleans up
 * after itself even when nobody runs `npm run destroy` or the sweeper.
 *
 * It runs on a schedule and decides afresh each time, so every failure is retried on the next run:
 * - before `expiresAt`: nothing;
 * - while a stack that imports from this one still exists (the pipeline imports the kafka and network
 *   stacks' outputs): wait, because CloudFormation refuses to delete an export in use;
 * - when the stack has termination protection, or no service role to delete its resources with:
 *   nothing, and say why;
 * - while the stack is being created, updated or deleted: wait;
 * - otherwise, including after a failed deletion (DELETE_FAILED, e.g. Lambda's network interfaces
 *   still held a subnet): DeleteStack again.
 * It never deletes any stack but its own.
 */
import { DeleteStackCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { describeStack } from '../commons/cloudformation';

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
  | { readonly action: 'delete-requested'; readonly reason: string }
  /** Deleting would fail however often it is tried; someone has to look. */
  | { readonly action: 'cannot'; readonly reason: string };

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

/**
 * Statuses of a stack that holds no resources, and so imports nothing: a creation that rolled back,
 * or a change set never executed. Such a stack has no self-destruct of its own; `kw sweep` removes it.
 */
const HOLDS_NOTHING = new Set(['ROLLBACK_COMPLETE', 'REVIEW_IN_PROGRESS']);

/** One scheduled run: decides what to do now and does it. */
export async function selfDestruct(
  cfn: Pick<CloudFormationClient, 'send'>,
  settings: SelfDestructSettings,
  now: Date,
): Promise<SelfDestructOutcome> {
  if (now.getTime() < settings.expiresAt.getTime()) {
    return { action: 'not-yet', reason: `expires at ${settings.expiresAt.toISOString()}` };
  }
  for (const name of settings.waitFor) {
    const status = (await describeStack(cfn, name))?.StackStatus;
    if (status !== undefined && !HOLDS_NOTHING.has(status)) {
      return { action: 'wait', reason: `${name} still exists (${status}) and imports from this stack` };
    }
  }
  const own = await describeStack(cfn, settings.stack);
  const status = own?.StackStatus;
  if (own === undefined || status === 'DELETE_IN_PROGRESS') {
    return { action: 'deleting', reason: `the stack is ${status ?? 'gone'}` };
  }
  if (status === undefined || status.endsWith('_IN_PROGRESS')) {
    return { action: 'wait', reason: `the stack is ${status}; deletion has to wait until it settles` };
  }
  if (own.EnableTerminationProtection) {
    return { action: 'cannot', reason: 'termination protection is on; turn it off to let the stack go' };
  }
  if (!own.RoleARN) {
    // DeleteStack would run with this function's credentials, which may delete nothing: every
    // resource would fail and leave the stack in DELETE_FAILED.
    return {
      action: 'cannot',
      reason:
        'the stack has no service role to delete its resources with (deploy it with the CDK bootstrap roles)',
    };
  }
  await cfn.send(new DeleteStackCommand({ StackName: settings.stack }));
  return {
    action: 'delete-requested',
    reason: `expired at ${settings.expiresAt.toISOString()}; the stack was ${status}`,
  };
}
