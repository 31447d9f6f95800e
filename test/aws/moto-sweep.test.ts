/**
 * `kw sweep` against moto's CloudFormation and EC2: real stacks with real resources (a VPC, a
 * security group, a DynamoDB table), tagged as the CDK app tags them, swept by the command itself.
 * The command builds its SDK clients with the default config, so AWS_ENDPOINT_URL points it at moto:
 * no change to the sweeper was needed. What is deleted and what is kept is read back from moto.
 *
 * What moto cannot reproduce stays in test/cli/sweeper.test.ts (a fake at the SDK boundary): a
 * deletion that ends in DELETE_FAILED (moto deletes a stack in the DeleteStack call, or answers the
 * call with an error), and with it the wait for Lambda's network interfaces and the retries.
 */
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeSecurityGroupsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { sweepCommand } from '../../cli/sweep-command';
import { PROJECT_TAG } from '../../lib/stack-names';
import { capture } from '../support/command-io';
import { startMotoServer, useMotoEnv, type MotoServer } from '../support/moto-server';

const HOUR = 3_600_000;
const past = () => new Date(Date.now() - HOUR).toISOString();
const future = () => new Date(Date.now() + 24 * HOUR).toISOString();

const tags = (values: Record<string, string>) =>
  Object.entries(values).map(([Key, Value]) => ({ Key, Value }));
const projectTags = (stage: string, expiresAt: string) =>
  tags({ project: PROJECT_TAG, stage, 'expires-at': expiresAt, owner: 'workshop' });

/** A network stack: a VPC, exported as the CDK app's network stack exports its VPC. */
const networkTemplate = (stage: string) => ({
  Resources: { Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } } },
  Outputs: { VpcId: { Value: { Ref: 'Vpc' }, Export: { Name: `kw-${stage}-network:VpcId` } } },
});
/** A kafka stack: a security group in the imported VPC. */
const kafkaTemplate = (stage: string) => ({
  Resources: {
    ClusterSecurityGroup: {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: {
        GroupDescription: `kw-${stage} cluster`,
        VpcId: { 'Fn::ImportValue': `kw-${stage}-network:VpcId` },
      },
    },
  },
});
/** A pipeline stack: a DynamoDB table, as the ledger's. */
const pipelineTemplate = () => ({
  Resources: {
    Ledger: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      },
    },
  },
});

describe('kw sweep against moto', () => {
  let moto: MotoServer;
  let restoreEnv: () => void;
  let cfn: CloudFormationClient;
  let ec2: EC2Client;
  let dynamodb: DynamoDBClient;

  beforeAll(async () => {
    moto = await startMotoServer();
    restoreEnv = useMotoEnv(moto.env);
    cfn = new CloudFormationClient(moto.clientConfig);
    ec2 = new EC2Client(moto.clientConfig);
    dynamodb = new DynamoDBClient(moto.clientConfig);
  });
  afterAll(async () => {
    cfn?.destroy();
    ec2?.destroy();
    dynamodb?.destroy();
    restoreEnv?.();
    await moto?.stop();
  });
  beforeEach(() => moto.reset());

  const create = async (name: string, template: object, stackTags: { Key: string; Value: string }[]) => {
    await cfn.send(
      new CreateStackCommand({ StackName: name, TemplateBody: JSON.stringify(template), Tags: stackTags }),
    );
  };
  /** A stage's three stacks, in deployment order (each imports from the one before). */
  const deployStage = async (stage: string, expiresAt: string) => {
    await create(`kw-${stage}-network`, networkTemplate(stage), projectTags(stage, expiresAt));
    await create(`kw-${stage}-kafka`, kafkaTemplate(stage), projectTags(stage, expiresAt));
    await create(`kw-${stage}-pipeline`, pipelineTemplate(), projectTags(stage, expiresAt));
  };
  const liveStacks = async () =>
    ((await cfn.send(new DescribeStacksCommand({}))).Stacks ?? [])
      .filter((s) => s.StackStatus !== 'DELETE_COMPLETE')
      .map((s) => s.StackName)
      .sort();
  /** The physical ids of a stack's resources, by logical id, while it exists. */
  const physicalIds = async (stack: string) =>
    Object.fromEntries(
      ((await cfn.send(new DescribeStackResourcesCommand({ StackName: stack }))).StackResources ?? []).map(
        (r) => [r.LogicalResourceId, r.PhysicalResourceId!],
      ),
    );
  const vpcExists = async (id: string) =>
    ((await ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? []).some((v) => v.VpcId === id);
  const securityGroupExists = async (id: string) =>
    ((await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? []).some(
      (g) => g.GroupId === id,
    );
  const tableExists = async (name: string) =>
    dynamodb.send(new DescribeTableCommand({ TableName: name })).then(
      () => true,
      (error: Error) => (error.name === 'ResourceNotFoundException' ? false : Promise.reject(error)),
    );

  /** Expired, fresh and unreadable stages of this project, and expired stacks that are not its own. */
  const deployMixedAccount = async () => {
    await deployStage('old', past());
    await deployStage('new', future());
    await create('kw-odd-pipeline', pipelineTemplate(), projectTags('odd', 'someday'));
    await create('someone-elses-stack', pipelineTemplate(), tags({ owner: 'them', 'expires-at': past() }));
    await create(
      'kw-other-pipeline',
      pipelineTemplate(),
      tags({ project: 'another-project', stage: 'other', 'expires-at': past() }),
    );
  };

  it('GIVEN expired, fresh, unreadable and foreign stacks in moto THEN kw sweep deletes only the expired stage, dependants first, with its resources', async () => {
    await deployMixedAccount();
    const old = {
      vpc: (await physicalIds('kw-old-network')).Vpc,
      securityGroup: (await physicalIds('kw-old-kafka')).ClusterSecurityGroup,
      table: (await physicalIds('kw-old-pipeline')).Ledger,
    };
    const fresh = {
      vpc: (await physicalIds('kw-new-network')).Vpc,
      table: (await physicalIds('kw-new-pipeline')).Ledger,
    };
    expect(await vpcExists(old.vpc)).toBe(true);
    expect(await securityGroupExists(old.securityGroup)).toBe(true);
    expect(await tableExists(old.table)).toBe(true);

    const io = capture();
    const code = await sweepCommand.run([], io);

    expect(io.stderr).toBe('');
    expect(code).toBe(0);
    expect(await liveStacks()).toEqual([
      'kw-new-kafka',
      'kw-new-network',
      'kw-new-pipeline',
      'kw-odd-pipeline',
      'kw-other-pipeline',
      'someone-elses-stack',
    ]);
    // The expired stage's resources are gone from EC2 and DynamoDB; the fresh stage's are not.
    expect(await vpcExists(old.vpc)).toBe(false);
    expect(await securityGroupExists(old.securityGroup)).toBe(false);
    expect(await tableExists(old.table)).toBe(false);
    expect(await vpcExists(fresh.vpc)).toBe(true);
    expect(await tableExists(fresh.table)).toBe(true);
    // Pipeline before kafka before network: each stack goes before the stacks it imports from.
    expect(io.outLines.filter((l) => l.startsWith('deleting '))).toEqual([
      'deleting kw-old-pipeline (attempt 1/5)',
      'deleting kw-old-kafka (attempt 1/5)',
      'deleting kw-old-network (attempt 1/5)',
    ]);
    expect(io.outLines).toContain('deleted 3, failed 0');
    expect(io.stdout).toMatch(
      /skip {3}kw-odd-pipeline \(stage odd, CREATE_COMPLETE\): no readable expires-at tag \(someday\): left alone/,
    );
    expect(io.stdout).toMatch(/keep {3}kw-new-pipeline \(stage new, CREATE_COMPLETE\): expires /);
    // Stacks without this project's tag are not even listed.
    expect(io.stdout).not.toMatch(/someone-elses-stack|kw-other-pipeline/);
  });

  it('GIVEN a dry run THEN kw sweep lists the plan and moto still has every stack', async () => {
    await deployMixedAccount();
    const before = await liveStacks();

    const io = capture();
    expect(await sweepCommand.run(['--dry-run'], io)).toBe(0);

    expect(io.outLines).toContain('dry run: 3 stack(s) would be deleted; nothing was');
    expect(await liveStacks()).toEqual(before);
  });

  it('GIVEN --stage and a later --now THEN kw sweep deletes that stage only, even though it is not yet expired', async () => {
    await deployStage('old', past());
    await deployStage('new', future());

    const io = capture();
    const later = new Date(Date.now() + 48 * HOUR).toISOString();
    expect(await sweepCommand.run(['--stage', 'new', '--now', later], io)).toBe(0);

    expect(await liveStacks()).toEqual(['kw-old-kafka', 'kw-old-network', 'kw-old-pipeline']);
    expect(io.outLines).toContain('deleted 3, failed 0');
  });

  it('GIVEN no stacks of this project THEN kw sweep says so and moto keeps the others', async () => {
    await create('someone-elses-stack', pipelineTemplate(), tags({ owner: 'them', 'expires-at': past() }));

    const io = capture();
    expect(await sweepCommand.run([], io)).toBe(0);

    expect(io.outLines).toEqual(['no stacks of this project in us-east-1', 'deleted 0, failed 0']);
    expect(await liveStacks()).toEqual(['someone-elses-stack']);
  });
});
