/**
 * The stale-stack sweeper. CloudFormation and EC2 are the AWS control plane, which tests cannot
 * reach: they are mocked at the SDK boundary with aws-sdk-client-mock, as a small stateful fake.
 */
import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import {
  DeleteNetworkInterfaceCommand,
  DescribeNetworkInterfacesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { PROJECT_TAG } from '../../lib/stack-names';
import { planSweep, sweep, type SweepOptions } from '../../cli/sweep/sweeper';
import { missingStackError } from '../support/cloudformation';

const NOW = new Date('2026-11-24T12:00:00Z');
const PAST = '2026-11-24T08:00:00.000Z';
const FUTURE = '2026-11-24T20:00:00.000Z';

function stack(name: string, tags: Record<string, string>, status = 'CREATE_COMPLETE'): Stack {
  return {
    StackName: name,
    StackStatus: status as Stack['StackStatus'],
    CreationTime: new Date(),
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  };
}
const project = (stage: string, expiresAt?: string) => ({
  project: PROJECT_TAG,
  stage,
  ...(expiresAt ? { 'expires-at': expiresAt } : {}),
});

/** A fake CloudFormation: stacks by name; DeleteStack fails `failures[name]` times with `reason`. */
function fakeAws(stacks: Stack[], failures: Record<string, { times: number; reason: string }> = {}) {
  const cfn = mockClient(CloudFormationClient);
  const ec2 = mockClient(EC2Client);
  const live = new Map(stacks.map((s) => [s.StackName!, { ...s }]));
  const deletes: string[] = [];
  cfn.on(DescribeStacksCommand).callsFake((input: { StackName?: string; NextToken?: string }) => {
    if (input.StackName) {
      const s = live.get(input.StackName);
      if (!s) throw missingStackError(input.StackName);
      return { Stacks: [s] };
    }
    // Two pages, to exercise NextToken.
    const all = [...live.values()];
    const half = Math.ceil(all.length / 2);
    return input.NextToken
      ? { Stacks: all.slice(half) }
      : { Stacks: all.slice(0, half), NextToken: 'page-2' };
  });
  cfn.on(DescribeStackResourcesCommand).callsFake((input: { StackName: string }) => ({
    StackResources: input.StackName.endsWith('-network')
      ? [{ ResourceType: 'AWS::EC2::VPC', PhysicalResourceId: `vpc-${input.StackName}` }]
      : [],
  }));
  cfn.on(DeleteStackCommand).callsFake((input: { StackName: string }) => {
    deletes.push(input.StackName);
    const failure = failures[input.StackName];
    const s = live.get(input.StackName)!;
    if (failure && failure.times > 0) {
      failure.times--;
      s.StackStatus = 'DELETE_FAILED';
    } else live.delete(input.StackName);
    return {};
  });
  cfn.on(DescribeStackEventsCommand).callsFake((input: { StackName: string }) => ({
    StackEvents: [
      {
        LogicalResourceId: 'PrivateSubnet1',
        ResourceStatus: 'DELETE_FAILED',
        ResourceStatusReason: failures[input.StackName]?.reason,
      },
    ],
  }));
  return { cfn, ec2, deletes, live };
}

const options = (overrides: Partial<SweepOptions> = {}): SweepOptions & { lines: string[] } => {
  const lines: string[] = [];
  return {
    now: NOW,
    dryRun: false,
    backoffMs: 1,
    pollMs: 1,
    sleep: async () => undefined,
    log: (l) => lines.push(l),
    lines,
    ...overrides,
  };
};

describe('sweeper', () => {
  afterEach(() => {
    mockClient(CloudFormationClient).restore();
    mockClient(EC2Client).restore();
  });

  it('GIVEN expired, unexpired, untagged and unreadable stacks THEN only expired project stacks are planned for deletion, in dependency order', async () => {
    const { cfn } = fakeAws([
      stack('kw-old-network', project('old', PAST)),
      stack('kw-old-pipeline', project('old', PAST)),
      stack('kw-old-kafka', project('old', PAST)),
      stack('kw-new-pipeline', project('new', FUTURE)),
      stack('kw-odd-pipeline', project('odd', 'someday')),
      stack('someone-elses-stack', { owner: 'them', 'expires-at': PAST }),
      stack('kw-gone-pipeline', project('gone', PAST), 'DELETE_COMPLETE'),
    ]);
    const plan = await planSweep(cfn as unknown as CloudFormationClient, options());
    expect(plan.map((p) => [p.name, p.action])).toEqual([
      ['kw-new-pipeline', 'keep'],
      ['kw-odd-pipeline', 'skip'],
      ['kw-old-pipeline', 'delete'],
      ['kw-old-kafka', 'delete'],
      ['kw-old-network', 'delete'],
    ]);
    expect(plan.find((p) => p.name === 'kw-odd-pipeline')?.reason).toMatch(
      /no readable expires-at tag \(someday\): left alone/,
    );
  });

  it('GIVEN a dry run THEN it prints the plan and deletes nothing', async () => {
    const { cfn, ec2, deletes } = fakeAws([stack('kw-old-pipeline', project('old', PAST))]);
    const o = options({ dryRun: true });
    const result = await sweep(cfn as unknown as CloudFormationClient, ec2 as unknown as EC2Client, o);
    expect(deletes).toEqual([]);
    expect(result.deleted).toEqual([]);
    expect(o.lines).toContain('dry run: 1 stack(s) would be deleted; nothing was');
  });

  it('GIVEN expired stacks THEN they are deleted one at a time, dependants first, and others are never touched', async () => {
    const { cfn, ec2, deletes, live } = fakeAws([
      stack('kw-old-network', project('old', PAST)),
      stack('kw-old-kafka', project('old', PAST)),
      stack('kw-old-pipeline', project('old', PAST)),
      stack('kw-new-pipeline', project('new', FUTURE)),
      stack('someone-elses-stack', { 'expires-at': PAST }),
    ]);
    const result = await sweep(
      cfn as unknown as CloudFormationClient,
      ec2 as unknown as EC2Client,
      options({ stage: undefined }),
    );
    expect(deletes).toEqual(['kw-old-pipeline', 'kw-old-kafka', 'kw-old-network']);
    expect(result.deleted).toEqual(deletes);
    expect([...live.keys()].sort()).toEqual(['kw-new-pipeline', 'someone-elses-stack']);
  });

  it('GIVEN DELETE_FAILED with DependencyViolation THEN it waits for the Lambda ENIs, deletes released ones and retries', async () => {
    const { cfn, ec2, deletes } = fakeAws([stack('kw-old-network', project('old', PAST))], {
      'kw-old-network': {
        times: 1,
        reason: 'The subnet has dependencies and cannot be deleted (DependencyViolation)',
      },
    });
    let describeCalls = 0;
    ec2.on(DescribeNetworkInterfacesCommand).callsFake(() => {
      describeCalls++;
      return {
        NetworkInterfaces:
          describeCalls === 1
            ? [{ NetworkInterfaceId: 'eni-1', Status: 'in-use' }]
            : describeCalls === 2
              ? [{ NetworkInterfaceId: 'eni-1', Status: 'available' }]
              : [],
      };
    });
    ec2.on(DeleteNetworkInterfaceCommand).resolves({});
    const o = options();
    const result = await sweep(cfn as unknown as CloudFormationClient, ec2 as unknown as EC2Client, o);
    expect(result.deleted).toEqual(['kw-old-network']);
    expect(deletes).toEqual(['kw-old-network', 'kw-old-network']);
    const filters = ec2.commandCalls(DescribeNetworkInterfacesCommand)[0].args[0].input.Filters;
    expect(filters).toEqual([
      { Name: 'vpc-id', Values: ['vpc-kw-old-network'] },
      { Name: 'description', Values: ['AWS Lambda VPC ENI*'] },
    ]);
    expect(
      ec2.commandCalls(DeleteNetworkInterfaceCommand).map((c) => c.args[0].input.NetworkInterfaceId),
    ).toEqual(['eni-1']);
    expect(o.lines.join('\n')).toMatch(/1 Lambda interface\(s\) still in use; waiting/);
  });

  it('GIVEN a stack that keeps failing THEN it gives up after the attempts and does not touch what it depends on', async () => {
    const { cfn, ec2, deletes } = fakeAws(
      [stack('kw-old-pipeline', project('old', PAST)), stack('kw-old-network', project('old', PAST))],
      { 'kw-old-pipeline': { times: 99, reason: 'Resource is in use' } },
    );
    const result = await sweep(
      cfn as unknown as CloudFormationClient,
      ec2 as unknown as EC2Client,
      options({ maxAttempts: 3 }),
    );
    expect(deletes).toEqual(['kw-old-pipeline', 'kw-old-pipeline', 'kw-old-pipeline']);
    expect(result.failed).toEqual([
      {
        name: 'kw-old-pipeline',
        reason: 'still DELETE_FAILED after 3 attempts: PrivateSubnet1: Resource is in use',
      },
      { name: 'kw-old-network', reason: 'not attempted: a stack it depends on failed to delete first' },
    ]);
  });
});
