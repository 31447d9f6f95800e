/**
 * Deletes this project's CloudFormation stacks whose `expires-at` tag has passed, so a CI run or a
 * learner that forgot `npm run destroy` does not leave a cluster running.
 *
 * Safety first: a stack is touched only if it carries `project=serverless-kafka-workshop`; a stack
 * without a readable `expires-at` is reported and left alone; `dryRun` lists the plan and deletes
 * nothing. Stacks of one stage go in dependency order (pipeline, then kafka, then network), each
 * waited for before the next. A deletion that fails because Lambda's network interfaces still hold
 * the VPC (DependencyViolation, for 20+ minutes after the functions are gone) waits for those
 * interfaces, deletes the ones left `available`, and retries with backoff.
 */
import {
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  type CloudFormationClient,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import {
  DeleteNetworkInterfaceCommand,
  DescribeNetworkInterfacesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { describeStack } from '../../functions/commons/cloudformation';
import { PROJECT_TAG, STACK_ROLES } from '../../lib/stack-names';

export interface SweepOptions {
  readonly now: Date;
  readonly dryRun: boolean;
  /** Only stacks of this stage. */
  readonly stage?: string;
  /** Deletion attempts per stack. @default 5 */
  readonly maxAttempts?: number;
  /** First pause between attempts; doubles each time. @default 30 s */
  readonly backoffMs?: number;
  /** How often to poll a deletion or ENIs. @default 10 s */
  readonly pollMs?: number;
  /** Longest wait for one deletion. @default 60 min */
  readonly deleteTimeoutMs?: number;
  readonly log: (line: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface PlannedStack {
  readonly name: string;
  readonly stage: string;
  readonly status: string;
  readonly expiresAt?: string;
  readonly action: 'delete' | 'keep' | 'skip';
  /** Why it is kept or skipped. */
  readonly reason: string;
}

export interface SweepResult {
  readonly plan: readonly PlannedStack[];
  readonly deleted: readonly string[];
  readonly failed: readonly { name: string; reason: string }[];
}

/** Deletion order within a stage: the reverse of deployment, so importers go before what they import. */
const ORDER = [...STACK_ROLES].reverse();

const tag = (stack: Stack, key: string) => stack.Tags?.find((t) => t.Key === key)?.Value;

/** Every stack of the account and region (DescribeStacks pages through NextToken). */
async function allStacks(cfn: Pick<CloudFormationClient, 'send'>): Promise<Stack[]> {
  const stacks: Stack[] = [];
  let token: string | undefined;
  do {
    const page = await cfn.send(new DescribeStacksCommand({ NextToken: token }));
    stacks.push(...(page.Stacks ?? []));
    token = page.NextToken;
  } while (token);
  return stacks;
}

/** What would be done with each of this project's stacks; other stacks are not listed at all. */
export async function planSweep(
  cfn: Pick<CloudFormationClient, 'send'>,
  options: SweepOptions,
): Promise<PlannedStack[]> {
  const plan: PlannedStack[] = [];
  for (const stack of await allStacks(cfn)) {
    if (tag(stack, 'project') !== PROJECT_TAG) continue;
    const name = stack.StackName ?? '?';
    const stage = tag(stack, 'stage') ?? '?';
    const status = stack.StackStatus ?? '?';
    const expiresAt = tag(stack, 'expires-at');
    const base = { name, stage, status, expiresAt };
    if (options.stage && stage !== options.stage) continue;
    if (status === 'DELETE_COMPLETE') continue;
    if (status === 'DELETE_IN_PROGRESS') {
      plan.push({ ...base, action: 'skip', reason: 'already being deleted' });
      continue;
    }
    const when = expiresAt ? Date.parse(expiresAt) : NaN;
    if (Number.isNaN(when)) {
      plan.push({
        ...base,
        action: 'skip',
        reason: `no readable expires-at tag (${expiresAt ?? 'none'}): left alone`,
      });
    } else if (when > options.now.getTime()) {
      plan.push({ ...base, action: 'keep', reason: `expires ${expiresAt}` });
    } else {
      plan.push({ ...base, action: 'delete', reason: `expired ${expiresAt}` });
    }
  }
  const rank = (p: PlannedStack) => {
    const role = ORDER.findIndex((r) => p.name.endsWith(`-${r}`));
    return role < 0 ? -1 : role; // unknown roles first: they may depend on anything
  };
  return plan.sort(
    (a, b) => a.stage.localeCompare(b.stage) || rank(a) - rank(b) || a.name.localeCompare(b.name),
  );
}

/** Runs the plan: deletes expired stacks in order, retrying DELETE_FAILED after Lambda ENIs clear. */
export async function sweep(
  cfn: Pick<CloudFormationClient, 'send'>,
  ec2: Pick<EC2Client, 'send'>,
  options: SweepOptions,
): Promise<SweepResult> {
  const plan = await planSweep(cfn, options);
  for (const p of plan)
    options.log(`${p.action.padEnd(6)} ${p.name} (stage ${p.stage}, ${p.status}): ${p.reason}`);
  const deleted: string[] = [];
  const failed: { name: string; reason: string }[] = [];
  if (options.dryRun) {
    options.log(
      `dry run: ${plan.filter((p) => p.action === 'delete').length} stack(s) would be deleted; nothing was`,
    );
    return { plan, deleted, failed };
  }
  const blockedStages = new Set<string>();
  for (const p of plan.filter((x) => x.action === 'delete')) {
    if (blockedStages.has(p.stage)) {
      failed.push({ name: p.name, reason: 'not attempted: a stack it depends on failed to delete first' });
      continue;
    }
    try {
      await deleteWithRetries(cfn, ec2, p.name, options);
      deleted.push(p.name);
    } catch (error) {
      failed.push({ name: p.name, reason: (error as Error).message });
      blockedStages.add(p.stage);
      options.log(`FAILED ${p.name}: ${(error as Error).message}`);
    }
  }
  return { plan, deleted, failed };
}

async function deleteWithRetries(
  cfn: Pick<CloudFormationClient, 'send'>,
  ec2: Pick<EC2Client, 'send'>,
  name: string,
  options: SweepOptions,
): Promise<void> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const attempts = options.maxAttempts ?? 5;
  let backoff = options.backoffMs ?? 30_000;
  const vpcs = await vpcIds(cfn, name);
  for (let attempt = 1; ; attempt++) {
    options.log(`deleting ${name} (attempt ${attempt}/${attempts})`);
    await cfn.send(new DeleteStackCommand({ StackName: name }));
    const outcome = await waitForDeletion(cfn, name, options, sleep);
    if (outcome.status === 'DELETE_COMPLETE') {
      options.log(`deleted ${name}`);
      return;
    }
    if (attempt >= attempts)
      throw new Error(`still ${outcome.status} after ${attempts} attempts: ${outcome.reason}`);
    options.log(`${name}: ${outcome.status}: ${outcome.reason}; retrying in ${Math.round(backoff / 1000)} s`);
    if (/DependencyViolation|network interface/i.test(outcome.reason))
      await clearLambdaEnis(ec2, vpcs, options, sleep);
    await sleep(backoff);
    backoff *= 2;
  }
}

/** The VPCs a stack created (to find the Lambda interfaces that keep it from being deleted). */
async function vpcIds(cfn: Pick<CloudFormationClient, 'send'>, name: string): Promise<string[]> {
  const out = await cfn.send(new DescribeStackResourcesCommand({ StackName: name }));
  return (out.StackResources ?? [])
    .filter((r) => r.ResourceType === 'AWS::EC2::VPC' && r.PhysicalResourceId)
    .map((r) => r.PhysicalResourceId!);
}

async function waitForDeletion(
  cfn: Pick<CloudFormationClient, 'send'>,
  name: string,
  options: SweepOptions,
  sleep: (ms: number) => Promise<void>,
): Promise<{ status: string; reason: string }> {
  const deadline = Date.now() + (options.deleteTimeoutMs ?? 60 * 60_000);
  for (;;) {
    const status = (await describeStack(cfn, name))?.StackStatus ?? 'DELETE_COMPLETE';
    if (status === 'DELETE_COMPLETE') return { status, reason: '' };
    if (status === 'DELETE_FAILED') {
      const events = await cfn.send(new DescribeStackEventsCommand({ StackName: name }));
      const reasons = (events.StackEvents ?? [])
        .filter((e) => e.ResourceStatus === 'DELETE_FAILED' && e.ResourceStatusReason)
        .map((e) => `${e.LogicalResourceId}: ${e.ResourceStatusReason}`);
      return { status, reason: reasons.slice(0, 3).join('; ') || 'no reason given' };
    }
    if (Date.now() > deadline) return { status, reason: 'timed out waiting' };
    await sleep(options.pollMs ?? 10_000);
  }
}

/**
 * Waits for the Lambda-managed interfaces in `vpcs` to be released and deletes those left
 * `available` (Lambda lets go of them up to 20+ minutes after its functions are deleted).
 */
async function clearLambdaEnis(
  ec2: Pick<EC2Client, 'send'>,
  vpcs: string[],
  options: SweepOptions,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  if (vpcs.length === 0) return;
  const filters = [
    { Name: 'vpc-id', Values: vpcs },
    { Name: 'description', Values: ['AWS Lambda VPC ENI*'] },
  ];
  for (let round = 0; round < 30; round++) {
    const out = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: filters }));
    const enis = out.NetworkInterfaces ?? [];
    if (enis.length === 0) return;
    for (const eni of enis.filter((e) => e.Status === 'available')) {
      options.log(`deleting released Lambda interface ${eni.NetworkInterfaceId}`);
      await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni.NetworkInterfaceId }));
    }
    if (enis.every((e) => e.Status === 'available')) return;
    options.log(
      `${enis.filter((e) => e.Status !== 'available').length} Lambda interface(s) still in use; waiting`,
    );
    await sleep(options.pollMs ?? 10_000);
  }
}
