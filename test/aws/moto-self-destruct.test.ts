/**
 * The self-destruct function's handler (functions/self-destruct/index.ts, as Lambda runs it) against
 * moto's CloudFormation: three stacks wired as the CDK app wires them (network exports the VPC, kafka
 * imports it and exports its security group, the pipeline imports that), each with the handler's
 * settings in its environment. The handler builds its client with the SDK's default config, so
 * AWS_ENDPOINT_URL points it at moto. Every outcome is checked against what moto then holds.
 *
 * What moto cannot reproduce stays in test/functions/self-destruct.test.ts (a fake at the SDK
 * boundary): deletions that take time (moto deletes a stack within the DeleteStack call, so
 * DELETE_IN_PROGRESS and UPDATE_IN_PROGRESS are never seen), a deletion that ends in DELETE_FAILED
 * and is retried, stacks in ROLLBACK_COMPLETE or REVIEW_IN_PROGRESS, and a denied call.
 */
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
  ListStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { Context } from 'aws-lambda';
import { handler as selfDestructHandler } from '../../functions/self-destruct/index';
import { lambdaContext } from '../support/events';
import { MOTO_ACCOUNT, startMotoServer, useMotoEnv, type MotoServer } from '../support/moto-server';

type Handler = (event: unknown, context: Context) => Promise<{ action: string; reason: string }>;

/** The CDK bootstrap's CloudFormation execution role, which the app's deployments run with. */
const EXEC_ROLE = `arn:aws:iam::${MOTO_ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${MOTO_ACCOUNT}-us-east-1`;
const STACKS = ['kw-sb-network', 'kw-sb-kafka', 'kw-sb-pipeline'] as const;
type StackName = (typeof STACKS)[number];
/** What the app gives each stack's function: the stacks deployed after it. */
const WAIT_FOR: Record<StackName, string> = {
  'kw-sb-network': 'kw-sb-kafka,kw-sb-pipeline',
  'kw-sb-kafka': 'kw-sb-pipeline',
  'kw-sb-pipeline': '',
};
const TEMPLATES: Record<StackName, object> = {
  'kw-sb-network': {
    Resources: { Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.1.0.0/16' } } },
    Outputs: { VpcId: { Value: { Ref: 'Vpc' }, Export: { Name: 'kw-sb-network:VpcId' } } },
  },
  'kw-sb-kafka': {
    Resources: {
      ClientSecurityGroup: {
        Type: 'AWS::EC2::SecurityGroup',
        Properties: { GroupDescription: 'clients', VpcId: { 'Fn::ImportValue': 'kw-sb-network:VpcId' } },
      },
    },
    Outputs: {
      ClientSecurityGroup: {
        Value: { 'Fn::GetAtt': ['ClientSecurityGroup', 'GroupId'] },
        Export: { Name: 'kw-sb-kafka:ClientSecurityGroup' },
      },
    },
  },
  'kw-sb-pipeline': {
    Resources: {
      FunctionSecurityGroup: {
        Type: 'AWS::EC2::SecurityGroup',
        Properties: {
          GroupDescription: 'functions',
          VpcId: { 'Fn::ImportValue': 'kw-sb-network:VpcId' },
          SecurityGroupEgress: [
            {
              IpProtocol: 'tcp',
              FromPort: 9098,
              ToPort: 9098,
              DestinationSecurityGroupId: { 'Fn::ImportValue': 'kw-sb-kafka:ClientSecurityGroup' },
            },
          ],
        },
      },
    },
  },
};

describe('self-destruct against moto', () => {
  let moto: MotoServer;
  let restoreEnv: () => void;
  let cfn: CloudFormationClient;
  let ec2: EC2Client;
  let handler: Handler;
  const stackIds = new Map<string, string>();

  beforeAll(async () => {
    moto = await startMotoServer();
    restoreEnv = useMotoEnv({ ...moto.env, POWERTOOLS_LOG_LEVEL: 'SILENT' });
    cfn = new CloudFormationClient(moto.clientConfig);
    ec2 = new EC2Client(moto.clientConfig);
    // The module creates its CloudFormation client when loaded, before this runs: the SDK reads the
    // endpoint, region and keys from the environment at the client's first request, not before.
    handler = selfDestructHandler as unknown as Handler;
  });
  afterAll(async () => {
    cfn?.destroy();
    ec2?.destroy();
    restoreEnv?.();
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    stackIds.clear();
  });

  const deploy = async (options: { roleArn?: string; terminationProtection?: boolean } = {}) => {
    for (const name of STACKS) {
      const out = await cfn.send(
        new CreateStackCommand({
          StackName: name,
          TemplateBody: JSON.stringify(TEMPLATES[name]),
          RoleARN: options.roleArn ?? EXEC_ROLE,
          EnableTerminationProtection: name === 'kw-sb-pipeline' && options.terminationProtection,
        }),
      );
      stackIds.set(name, out.StackId!);
    }
  };
  /** One scheduled run of `name`'s function, with the environment the app gives it. */
  const run = async (name: StackName, expiresAt: string) => {
    process.env.STACK_ID = stackIds.get(name);
    process.env.EXPIRES_AT = expiresAt;
    process.env.WAIT_FOR_STACKS = WAIT_FOR[name];
    try {
      return await handler({}, { ...lambdaContext, functionName: `${name}-SelfDestruct` });
    } finally {
      delete process.env.STACK_ID;
      delete process.env.EXPIRES_AT;
      delete process.env.WAIT_FOR_STACKS;
    }
  };
  const liveStacks = async () =>
    ((await cfn.send(new DescribeStacksCommand({}))).Stacks ?? [])
      .filter((s) => s.StackStatus !== 'DELETE_COMPLETE')
      .map((s) => s.StackName)
      .sort();
  /** The stacks moto has deleted (moto gives no DeletionTime: the order is checked step by step). */
  const deleted = async () =>
    ((await cfn.send(new ListStacksCommand({ StackStatusFilter: ['DELETE_COMPLETE'] }))).StackSummaries ?? [])
      .map((s) => s.StackName)
      .sort();

  it('does nothing before the stack expires', async () => {
    await deploy();
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    for (const name of STACKS) expect((await run(name, tomorrow)).action).toBe('not-yet');
    expect(await liveStacks()).toEqual(['kw-sb-kafka', 'kw-sb-network', 'kw-sb-pipeline']);
  });

  it('GIVEN three expired stacks THEN each waits for the stacks that import it, and they go pipeline, kafka, network', async () => {
    await deploy();
    const vpc = (await cfn.send(new DescribeStacksCommand({ StackName: 'kw-sb-network' }))).Stacks![0]
      .Outputs![0].OutputValue!;
    const expired = new Date(Date.now() - 60_000).toISOString();

    // First schedule tick, the functions in the order of deployment: only the pipeline may go.
    expect(await run('kw-sb-network', expired)).toEqual({
      action: 'wait',
      reason: 'kw-sb-kafka still exists (CREATE_COMPLETE) and imports from this stack',
    });
    expect(await run('kw-sb-kafka', expired)).toEqual({
      action: 'wait',
      reason: 'kw-sb-pipeline still exists (CREATE_COMPLETE) and imports from this stack',
    });
    expect((await run('kw-sb-pipeline', expired)).action).toBe('delete-requested');
    expect(await liveStacks()).toEqual(['kw-sb-kafka', 'kw-sb-network']);

    // Next tick: kafka's importer is gone, so kafka goes; the network still waits for kafka's.
    expect(await run('kw-sb-network', expired)).toEqual({
      action: 'wait',
      reason: 'kw-sb-kafka still exists (CREATE_COMPLETE) and imports from this stack',
    });
    expect((await run('kw-sb-kafka', expired)).action).toBe('delete-requested');
    expect(await liveStacks()).toEqual(['kw-sb-network']);
    expect((await run('kw-sb-network', expired)).action).toBe('delete-requested');

    expect(await liveStacks()).toEqual([]);
    expect(await deleted()).toEqual(['kw-sb-kafka', 'kw-sb-network', 'kw-sb-pipeline']);
    expect(((await ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? []).map((v) => v.VpcId)).not.toContain(vpc);
    // A function that runs once more after its stack is gone (its last scheduled tick) does nothing.
    expect(await run('kw-sb-pipeline', expired)).toEqual({ action: 'deleting', reason: 'the stack is gone' });
  });

  it('does not ask for a deletion that cannot work: termination protection, or no service role', async () => {
    const expired = new Date(Date.now() - 60_000).toISOString();
    await deploy({ terminationProtection: true });
    expect(await run('kw-sb-pipeline', expired)).toEqual({
      action: 'cannot',
      reason: 'termination protection is on; turn it off to let the stack go',
    });
    expect(await liveStacks()).toEqual(['kw-sb-kafka', 'kw-sb-network', 'kw-sb-pipeline']);

    await moto.reset();
    await deploy({ roleArn: '' });
    expect(await run('kw-sb-pipeline', expired)).toEqual({
      action: 'cannot',
      reason:
        'the stack has no service role to delete its resources with (deploy it with the CDK bootstrap roles)',
    });
    expect(await liveStacks()).toEqual(['kw-sb-kafka', 'kw-sb-network', 'kw-sb-pipeline']);
  });
});
