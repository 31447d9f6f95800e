/**
 * The self-destruct function. CloudFormation is the AWS control plane, which tests cannot reach: it is
 * mocked at the SDK boundary with aws-sdk-client-mock, as a fake that deletes stacks over time and,
 * like CloudFormation, fails a deletion while another stack still imports from the stack.
 */
import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStacksCommand,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { missingStackError } from '../support/cloudformation';
import {
  selfDestruct,
  settingsFromEnv,
  type SelfDestructSettings,
} from '../../functions/self-destruct/self-destruct';

const MINUTE = 60_000;
const DEPLOYED = new Date('2026-11-24T10:00:00Z');
const EXPIRES = new Date('2026-11-24T13:00:00Z');
const arn = (name: string) => `arn:aws:cloudformation:eu-west-1:111111111111:stack/${name}/0a1b2c3d`;

interface FakeStack {
  readonly name: string;
  status: StackStatus;
  /** Stacks that import this one's outputs. */
  readonly importedBy: readonly string[];
  /** Minutes a deletion takes. */
  readonly deleteMinutes: number;
  /** Deletions that end in DELETE_FAILED although nothing imports the stack (lingering ENIs). */
  refusals: number;
  /** The CloudFormation service role it was deployed with; the CDK's deployments have one. */
  roleArn?: string;
  terminationProtection?: boolean;
  deleteEndsAt?: number;
}

/** A fake CloudFormation whose deletions take time, driven by the test's clock. */
function fakeCloudFormation(stacks: FakeStack[], clock: { now: number }) {
  const cfn = mockClient(CloudFormationClient);
  const byName = new Map(stacks.map((s) => [s.name, s]));
  const deleteCalls: { name: string; at: number }[] = [];
  const lookup = (id: string) => byName.get(id.startsWith('arn:') ? id.split('/')[1] : id);
  const isLive = (s: FakeStack | undefined) => s !== undefined && s.status !== 'DELETE_COMPLETE';

  /** Settles deletions whose time has come, as CloudFormation would have meanwhile. */
  const settle = () => {
    for (const s of stacks) {
      if (s.status !== 'DELETE_IN_PROGRESS' || s.deleteEndsAt! > clock.now) continue;
      const importer = s.importedBy.find((name) => isLive(byName.get(name)));
      if (importer !== undefined || s.refusals > 0) {
        if (importer === undefined) s.refusals--;
        s.status = 'DELETE_FAILED';
      } else {
        s.status = 'DELETE_COMPLETE';
      }
    }
  };

  cfn.on(DescribeStacksCommand).callsFake(({ StackName }: { StackName: string }) => {
    settle();
    const s = lookup(StackName);
    // By name, a deleted stack is unknown; by id (ARN) it is still described, as DELETE_COMPLETE.
    if (!s || (!StackName.startsWith('arn:') && s.status === 'DELETE_COMPLETE')) {
      throw missingStackError(StackName);
    }
    return {
      Stacks: [
        {
          StackName: s.name,
          StackStatus: s.status,
          CreationTime: DEPLOYED,
          RoleARN: s.roleArn,
          EnableTerminationProtection: s.terminationProtection ?? false,
        },
      ],
    };
  });
  cfn.on(DeleteStackCommand).callsFake(({ StackName }: { StackName: string }) => {
    settle();
    const s = lookup(StackName)!;
    deleteCalls.push({ name: s.name, at: clock.now });
    if (s.status !== 'DELETE_IN_PROGRESS' && s.status !== 'DELETE_COMPLETE') {
      s.status = 'DELETE_IN_PROGRESS';
      s.deleteEndsAt = clock.now + s.deleteMinutes * MINUTE;
    }
    return {};
  });
  return { cfn, deleteCalls, settle, client: cfn as unknown as CloudFormationClient };
}

/** The three stacks of an MSK deployment, as the CDK app wires them. */
function workshopStacks(refusals = { network: 0 }): FakeStack[] {
  const role = 'arn:aws:iam::111111111111:role/cdk-hnb659fds-cfn-exec-role-111111111111-eu-west-1';
  const stack = (name: string, importedBy: string[], deleteMinutes: number, refused = 0): FakeStack => ({
    name,
    status: 'CREATE_COMPLETE',
    importedBy,
    deleteMinutes,
    refusals: refused,
    roleArn: role,
  });
  return [
    stack('kw-sb-network', ['kw-sb-kafka', 'kw-sb-pipeline'], 5, refusals.network),
    stack('kw-sb-kafka', ['kw-sb-pipeline'], 10),
    stack('kw-sb-pipeline', [], 20),
  ];
}

/** What the app gives each stack's function: the stacks deployed after it. */
const SETTINGS: Record<string, SelfDestructSettings> = {
  'kw-sb-network': {
    stack: arn('kw-sb-network'),
    expiresAt: EXPIRES,
    waitFor: ['kw-sb-kafka', 'kw-sb-pipeline'],
  },
  'kw-sb-kafka': { stack: arn('kw-sb-kafka'), expiresAt: EXPIRES, waitFor: ['kw-sb-pipeline'] },
  'kw-sb-pipeline': { stack: arn('kw-sb-pipeline'), expiresAt: EXPIRES, waitFor: [] },
};

describe('self-destruct', () => {
  afterEach(() => mockClient(CloudFormationClient).restore());

  it('does nothing before the stack expires', async () => {
    const clock = { now: DEPLOYED.getTime() };
    const { client, cfn, deleteCalls } = fakeCloudFormation(workshopStacks(), clock);
    const outcome = await selfDestruct(client, SETTINGS['kw-sb-pipeline'], new Date(EXPIRES.getTime() - 1));
    expect(outcome).toEqual({ action: 'not-yet', reason: 'expires at 2026-11-24T13:00:00.000Z' });
    expect(deleteCalls).toEqual([]);
    expect(cfn.calls()).toHaveLength(0);
  });

  it('waits while a stack that imports from it exists, then deletes only its own stack, by id', async () => {
    const clock = { now: EXPIRES.getTime() };
    const { client, cfn, deleteCalls } = fakeCloudFormation(workshopStacks(), clock);
    const kafka = await selfDestruct(client, SETTINGS['kw-sb-kafka'], EXPIRES);
    expect(kafka).toEqual({
      action: 'wait',
      reason: 'kw-sb-pipeline still exists (CREATE_COMPLETE) and imports from this stack',
    });
    expect(deleteCalls).toEqual([]);

    const pipeline = await selfDestruct(client, SETTINGS['kw-sb-pipeline'], EXPIRES);
    expect(pipeline.action).toBe('delete-requested');
    expect(cfn.commandCalls(DeleteStackCommand).map((c) => c.args[0].input)).toEqual([
      { StackName: arn('kw-sb-pipeline') },
    ]);
    // While the pipeline is being deleted, kafka still waits, and the pipeline does not ask twice.
    clock.now += 15 * MINUTE;
    expect((await selfDestruct(client, SETTINGS['kw-sb-kafka'], new Date(clock.now))).reason).toBe(
      'kw-sb-pipeline still exists (DELETE_IN_PROGRESS) and imports from this stack',
    );
    expect(await selfDestruct(client, SETTINGS['kw-sb-pipeline'], new Date(clock.now))).toEqual({
      action: 'deleting',
      reason: 'the stack is DELETE_IN_PROGRESS',
    });
    clock.now += 15 * MINUTE;
    expect((await selfDestruct(client, SETTINGS['kw-sb-kafka'], new Date(clock.now))).action).toBe(
      'delete-requested',
    );
    expect(deleteCalls.map((c) => c.name)).toEqual(['kw-sb-pipeline', 'kw-sb-kafka']);
  });

  it('waits while its own stack is being updated, and retries a deletion that failed', async () => {
    const clock = { now: EXPIRES.getTime() };
    const stacks = workshopStacks();
    const pipeline = stacks[2];
    const { client, deleteCalls } = fakeCloudFormation(stacks, clock);
    pipeline.status = 'UPDATE_IN_PROGRESS';
    expect(await selfDestruct(client, SETTINGS['kw-sb-pipeline'], EXPIRES)).toEqual({
      action: 'wait',
      reason: 'the stack is UPDATE_IN_PROGRESS; deletion has to wait until it settles',
    });
    pipeline.status = 'DELETE_FAILED';
    expect(await selfDestruct(client, SETTINGS['kw-sb-pipeline'], EXPIRES)).toEqual({
      action: 'delete-requested',
      reason: 'expired at 2026-11-24T13:00:00.000Z; the stack was DELETE_FAILED',
    });
    expect(deleteCalls).toHaveLength(1);
  });

  it('does not wait for a later stack that holds nothing: a rolled-back creation or an unexecuted change set', async () => {
    for (const status of ['ROLLBACK_COMPLETE', 'REVIEW_IN_PROGRESS'] as const) {
      const stacks = workshopStacks();
      stacks[2].status = status;
      const { client, deleteCalls } = fakeCloudFormation(stacks, { now: EXPIRES.getTime() });
      expect((await selfDestruct(client, SETTINGS['kw-sb-kafka'], EXPIRES)).action).toBe('delete-requested');
      expect(deleteCalls.map((c) => c.name)).toEqual(['kw-sb-kafka']);
      mockClient(CloudFormationClient).restore();
    }
    // but a stack whose rollback failed may still hold resources that import from this one
    const stacks = workshopStacks();
    stacks[2].status = 'ROLLBACK_FAILED';
    const { client } = fakeCloudFormation(stacks, { now: EXPIRES.getTime() });
    expect((await selfDestruct(client, SETTINGS['kw-sb-kafka'], EXPIRES)).action).toBe('wait');
  });

  it('does not ask for a deletion that cannot work: termination protection, or no service role', async () => {
    const stacks = workshopStacks();
    const pipeline = stacks[2];
    const { client, deleteCalls } = fakeCloudFormation(stacks, { now: EXPIRES.getTime() });
    pipeline.terminationProtection = true;
    expect(await selfDestruct(client, SETTINGS['kw-sb-pipeline'], EXPIRES)).toEqual({
      action: 'cannot',
      reason: 'termination protection is on; turn it off to let the stack go',
    });
    pipeline.terminationProtection = false;
    pipeline.roleArn = undefined;
    expect(await selfDestruct(client, SETTINGS['kw-sb-pipeline'], EXPIRES)).toEqual({
      action: 'cannot',
      reason:
        'the stack has no service role to delete its resources with (deploy it with the CDK bootstrap roles)',
    });
    expect(deleteCalls).toEqual([]);
  });

  it('passes on errors other than a missing stack, such as a denied call', async () => {
    const cfn = mockClient(CloudFormationClient);
    cfn
      .on(DescribeStacksCommand)
      .rejects(new Error('User is not authorized to perform: cloudformation:DescribeStacks'));
    await expect(
      selfDestruct(cfn as unknown as CloudFormationClient, SETTINGS['kw-sb-kafka'], EXPIRES),
    ).rejects.toThrow(/not authorized/);
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });

  it('GIVEN three stacks on a 15-minute schedule THEN they go pipeline, kafka, network, each after what imports it, and a refused deletion is retried', async () => {
    const clock = { now: DEPLOYED.getTime() };
    // The network stack refuses deletion twice, as a VPC does while Lambda's interfaces linger.
    const stacks = workshopStacks({ network: 2 });
    const { client, deleteCalls, settle } = fakeCloudFormation(stacks, clock);
    const failedAt: string[] = [];

    for (let tick = 0; tick < 40; tick++) {
      clock.now = DEPLOYED.getTime() + tick * 15 * MINUTE;
      settle();
      for (const s of stacks) {
        if (s.status === 'DELETE_FAILED') failedAt.push(s.name);
        // Each stack's function lives until its stack is gone: every other resource depends on it.
        if (s.status !== 'DELETE_COMPLETE') await selfDestruct(client, SETTINGS[s.name], new Date(clock.now));
      }
    }

    expect(stacks.map((s) => s.status)).toEqual(['DELETE_COMPLETE', 'DELETE_COMPLETE', 'DELETE_COMPLETE']);
    expect(deleteCalls.every((c) => c.at >= EXPIRES.getTime())).toBe(true);
    // No stack was asked to go while a stack importing from it was still there, so only the
    // refusals (not a missing dependency order) made deletions fail.
    expect(deleteCalls.map((c) => c.name)).toEqual([
      'kw-sb-pipeline',
      'kw-sb-kafka',
      'kw-sb-network',
      'kw-sb-network',
      'kw-sb-network',
    ]);
    expect(failedAt).toEqual(['kw-sb-network', 'kw-sb-network']);
    const minutesAfterExpiry = (at: number) => (at - EXPIRES.getTime()) / MINUTE;
    expect(deleteCalls.map((c) => minutesAfterExpiry(c.at))).toEqual([0, 30, 45, 60, 75]);
  });

  it('reads its settings from the environment and names what is wrong', () => {
    expect(
      settingsFromEnv({
        STACK_ID: arn('kw-sb-kafka'),
        EXPIRES_AT: '2026-11-24T13:00:00.000Z',
        WAIT_FOR_STACKS: 'kw-sb-pipeline',
      }),
    ).toEqual({ stack: arn('kw-sb-kafka'), expiresAt: EXPIRES, waitFor: ['kw-sb-pipeline'] });
    expect(
      settingsFromEnv({ STACK_ID: 'x', EXPIRES_AT: '2026-11-24T13:00:00Z', WAIT_FOR_STACKS: '' }).waitFor,
    ).toEqual([]);
    expect(() => settingsFromEnv({ EXPIRES_AT: '2026-11-24T13:00:00Z' })).toThrow('STACK_ID is not set');
    expect(() => settingsFromEnv({ STACK_ID: 'x', EXPIRES_AT: 'tomorrow' })).toThrow(
      'EXPIRES_AT "tomorrow" is not an ISO-8601 instant',
    );
  });
});
