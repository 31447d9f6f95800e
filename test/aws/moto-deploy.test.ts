/**
 * The synthesized default target (network, kafka, pipeline) deployed to moto's CloudFormation and
 * torn down again: what moto creates of each stack, per resource type, what it cannot and why, and
 * what is left after the teardown (the always-teardown promise, as far as moto can keep it).
 *
 * 1. The CDK CLI itself, as a user runs it: `cdk bootstrap`, `cdk deploy --all`, `cdk destroy --all`,
 *    pointed at moto with AWS_ENDPOINT_URL. `--method=direct` (CreateStack) because moto registers a
 *    stack's exports only on CreateStack, not when a change set is executed: with change sets the
 *    kafka stack does not find the network stack's exports.
 * 2. The same templates through the SDK (CreateStack in dependency order, DeleteStack in reverse),
 *    with the assets published by `cdk publish-assets`. So that moto gets past outputs it cannot
 *    evaluate and shows what it makes of the rest, each `Fn::GetAtt` of a resource whose type moto
 *    has no model for is replaced by a placeholder string (nothing else is changed).
 *
 * Each test prints a per-stack, per-resource-type table (console.log) for the CI log, and asserts
 * that the stage's stacks are gone after the teardown and that nothing is left whose type moto's
 * CloudFormation deletes.
 */
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { DescribeTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeFlowLogsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { STACK_ROLES, stackNames } from '../../lib/stack-names';
import { awsTool } from '../support/aws-tools';
import { MOTO_ACCOUNT, MOTO_REGION, startMotoServer, type MotoServer } from '../support/moto-server';

jest.setTimeout(300_000);

const ROOT = path.join(__dirname, '..', '..');
const CDK = path.join(ROOT, 'node_modules', '.bin', 'cdk');
const STACKS = STACK_ROLES.map((role) => stackNames('dev')[role]);

interface Template {
  Resources: Record<string, { Type: string; Properties?: unknown }>;
  Outputs?: Record<string, unknown>;
}

/** The process environment minus every AWS_ variable: no credentials of the machine reach the CLI. */
function withoutAws(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
}

/** Runs the CDK CLI; resolves with its exit code and output (never rejects on a non-zero exit). */
function cdk(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(CDK, [...args, '--no-notices'], {
      cwd: ROOT,
      env: { ...env, CDK_DISABLE_VERSION_CHECK: '1', AWS_EC2_METADATA_DISABLED: 'true', CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

interface TypeSupport {
  /** moto's CloudFormation has a model for the type (Custom:: types go to their Lambda). */
  readonly create: boolean;
  /** ...and the model deletes the resource when its stack is deleted. */
  readonly delete: boolean;
}

/** What moto's CloudFormation does with each type, asked of moto itself (its venv's Python). */
async function motoSupport(types: string[]): Promise<Map<string, TypeSupport>> {
  const script = [
    'import json, sys',
    'from moto.cloudformation.parsing import get_model_map',
    'models = get_model_map()',
    'def deletes(t):',
    "    return t in models and not hasattr(models[t].delete_from_cloudformation_json, '__isabstractmethod__')",
    "print(json.dumps({t: {'create': t.startswith('Custom::') or t in models, 'delete': deletes(t)} for t in json.loads(sys.argv[1])}))",
  ].join('\n');
  const { stdout } = await promisify(execFile)(awsTool('python'), ['-c', script, JSON.stringify(types)]);
  return new Map(Object.entries(JSON.parse(stdout) as Record<string, TypeSupport>));
}

/**
 * The template with every `Fn::GetAtt` of a resource moto cannot create replaced by a placeholder
 * shaped like an ARN (the pipeline takes the cluster id out of the cluster ARN with Split and Select).
 */
function withPlaceholders(template: Template, support: Map<string, TypeSupport>): Template {
  const replace = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(replace);
    if (value === null || typeof value !== 'object') return value;
    const getAtt = (value as Record<string, unknown>)['Fn::GetAtt'];
    if (Array.isArray(getAtt)) {
      const [logicalId, attribute] = getAtt as [string, string];
      const type = template.Resources[logicalId]?.Type;
      if (type !== undefined && support.get(type)?.create === false)
        return `arn:aws:not-in-moto:${MOTO_REGION}:${MOTO_ACCOUNT}:${logicalId}/${attribute}/placeholder`;
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v)]));
  };
  return replace(template) as Template;
}

/** The types whose resources `inventory` sees, so a teardown can be checked for them. */
const INVENTORIED = new Set([
  'AWS::EC2::VPC',
  'AWS::EC2::Subnet',
  'AWS::EC2::SecurityGroup',
  'AWS::EC2::RouteTable',
  'AWS::EC2::VPCEndpoint',
  'AWS::EC2::FlowLog',
  'AWS::DynamoDB::Table',
  'AWS::Lambda::Function',
  'AWS::IAM::Role',
  'AWS::Logs::LogGroup',
]);

/**
 * A request to a moto service the project has no SDK client for (Lambda, IAM, CloudWatch Logs):
 * moto picks the service from the Authorization header's credential scope and checks no signature.
 */
async function motoRequest(moto: MotoServer, service: string, pathname: string, init: RequestInit = {}) {
  const res = await fetch(`${moto.endpoint}${pathname}`, {
    ...init,
    headers: {
      ...(init.headers as Record<string, string>),
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${MOTO_REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
  });
  if (!res.ok) throw new Error(`moto ${service} ${pathname} answered ${res.status}: ${await res.text()}`);
  return res.text();
}

/** The ids and names of what moto holds of the inventoried types (the default VPC's left out). */
async function inventory(moto: MotoServer, ec2: EC2Client, dynamodb: DynamoDBClient): Promise<Set<string>> {
  const vpcs = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? [];
  const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
  const groups = (await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? [];
  const routeTables = (await ec2.send(new DescribeRouteTablesCommand({}))).RouteTables ?? [];
  const endpoints = (await ec2.send(new DescribeVpcEndpointsCommand({}))).VpcEndpoints ?? [];
  const flowLogs = (await ec2.send(new DescribeFlowLogsCommand({}))).FlowLogs ?? [];
  const tables = (await dynamodb.send(new ListTablesCommand({}))).TableNames ?? [];
  const functions = JSON.parse(await motoRequest(moto, 'lambda', '/2015-03-31/functions/')) as {
    Functions: { FunctionName: string }[];
  };
  const roles = await motoRequest(moto, 'iam', '/', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'Action=ListRoles&Version=2010-05-08',
  });
  const logGroups = JSON.parse(
    await motoRequest(moto, 'logs', '/', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'Logs_20140328.DescribeLogGroups',
      },
      body: '{}',
    }),
  ) as { logGroups: { logGroupName: string }[] };
  return new Set([
    ...vpcs.filter((v) => !v.IsDefault).map((v) => v.VpcId!),
    ...subnets.filter((s) => !s.DefaultForAz).map((s) => s.SubnetId!),
    ...groups.filter((g) => g.GroupName !== 'default').map((g) => g.GroupId!),
    ...routeTables.filter((t) => !t.Associations?.some((a) => a.Main)).map((t) => t.RouteTableId!),
    ...endpoints.map((e) => e.VpcEndpointId!),
    ...flowLogs.map((f) => f.FlowLogId!),
    ...tables,
    ...functions.Functions.map((f) => f.FunctionName),
    ...[...roles.matchAll(/<RoleName>([^<]+)<\/RoleName>/g)].map((m) => m[1]),
    ...logGroups.logGroups.map((g) => g.logGroupName),
  ]);
}

interface Deployed {
  readonly logicalId: string;
  readonly type: string;
  /** Undefined when moto did not create it; '' when created without an id moto reports. */
  readonly physicalId?: string;
}

interface StackOutcome {
  readonly stack: string;
  /** Why moto did not create the stack, or only part of it; empty when it did. */
  readonly refusal: string;
  readonly resources: Deployed[];
  readonly status?: string;
}

/**
 * What moto made of a stack's template, resource by resource: from DescribeStackResources, or, when
 * moto cannot list the stack (it failed half way), from the named resources it holds (moto names
 * them STACK-LOGICALID-SUFFIX).
 */
async function outcomeOf(
  cfn: CloudFormationClient,
  stack: string,
  template: Template,
  held: Set<string>,
  refusal: string,
): Promise<StackOutcome> {
  const status = await cfn.send(new DescribeStacksCommand({ StackName: stack })).then(
    (out) => out.Stacks?.[0]?.StackStatus,
    () => undefined,
  );
  const listing =
    status === undefined
      ? []
      : await cfn.send(new DescribeStackResourcesCommand({ StackName: stack })).then(
          (out) => out.StackResources ?? [],
          () => undefined,
        );
  const complete = new Map(
    (listing ?? [])
      .filter((r) => r.ResourceStatus === 'CREATE_COMPLETE')
      .map((r) => [r.LogicalResourceId, r]),
  );
  const resources = Object.entries(template.Resources).map(([logicalId, { Type: type }]): Deployed => {
    if (listing) {
      const found = complete.get(logicalId);
      return found ? { logicalId, type, physicalId: found.PhysicalResourceId ?? '' } : { logicalId, type };
    }
    const name = [...held].find((id) => id.startsWith(`${stack}-${logicalId}-`));
    return name ? { logicalId, type, physicalId: name } : { logicalId, type };
  });
  const unlisted =
    status !== undefined && listing === undefined ? '; moto cannot list its resources either' : '';
  return { stack, refusal: refusal ? `${refusal}${unlisted}` : '', resources, status };
}

interface TypeRow {
  stack: string;
  type: string;
  inTemplate: number;
  created: number;
  notCreated: number;
  why: string;
  /** '-' when the type is not inventoried. */
  left: string;
  whyLeft: string;
}

/** Per stack and resource type: created by moto or not (and why), and left after the teardown. */
function tabulate(
  outcomes: StackOutcome[],
  support: Map<string, TypeSupport>,
  motoOutput: string,
  heldAfter: Set<string>,
): TypeRow[] {
  return outcomes.flatMap((outcome) =>
    [...new Set(outcome.resources.map((r) => r.type))].map((type) => {
      const all = outcome.resources.filter((r) => r.type === type);
      const made = all.filter((r) => r.physicalId !== undefined);
      let why = '';
      if (made.length < all.length) {
        if (support.get(type)?.create === false)
          why = motoOutput.includes(`Tried to parse ${type} but it's not supported`)
            ? `moto: "Tried to parse ${type} but it's not supported by moto's CloudFormation implementation"`
            : `moto has no CloudFormation model for ${type}`;
        else if (type.startsWith('Custom::') && outcome.status?.endsWith('_IN_PROGRESS'))
          why = motoOutput.includes('docker.errors.DockerException')
            ? `custom resource: moto invokes its Lambda in Docker, which is not running here (DockerException), so nothing answers; stack ${outcome.status}`
            : `custom resource: its Lambda has not answered; stack ${outcome.status}`;
        if (outcome.refusal) why = why ? `${why}; ${outcome.refusal}` : outcome.refusal;
      }
      const checkable = made.filter((r) => r.physicalId && INVENTORIED.has(type));
      const left = checkable.filter((r) => heldAfter.has(r.physicalId!));
      let whyLeft = '';
      if (left.length > 0)
        whyLeft =
          support.get(type)?.delete === false
            ? `moto's CloudFormation has no delete for ${type}`
            : 'moto could not delete it: it holds resources of the types above that moto left';
      return {
        stack: outcome.stack,
        type,
        inTemplate: all.length,
        created: made.length,
        notCreated: all.length - made.length,
        why,
        left: checkable.length === 0 ? '-' : String(left.length),
        whyLeft,
      };
    }),
  );
}

function printTable(title: string, rows: TypeRow[]): void {
  const header = [
    'stack',
    'resource type',
    'in template',
    'created',
    'not created',
    'why not',
    'left after teardown',
    'why left',
  ];
  const cells = rows.map((r) => [
    r.stack,
    r.type,
    String(r.inTemplate),
    String(r.created),
    String(r.notCreated),
    r.why,
    r.left,
    r.whyLeft,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
  const sum = (pick: (r: TypeRow) => number) => rows.reduce((n, r) => n + pick(r), 0);
  console.log(
    [
      title,
      line(header),
      line(widths.map((w) => '-'.repeat(w))),
      ...cells.map(line),
      `total: ${sum((r) => r.inTemplate)} resources in the templates, ${sum((r) => r.created)} created by moto, ` +
        `${sum((r) => r.notCreated)} not; ${sum((r) => (r.left === '-' ? 0 : Number(r.left)))} of the checked ones ` +
        `left after the teardown ('-': type not checked)`,
    ].join('\n'),
  );
}

/**
 * Rows with resources left although moto's CloudFormation deletes their type. A VPC is the exception
 * that proves it: moto keeps it because the route tables and endpoints in it (types it never
 * deletes) hold it, and says DependencyViolation.
 */
function unexpectedlyLeft(rows: TypeRow[], support: Map<string, TypeSupport>): TypeRow[] {
  return rows.filter(
    (r) =>
      r.left !== '-' &&
      Number(r.left) > 0 &&
      support.get(r.type)?.delete === true &&
      r.type !== 'AWS::EC2::VPC',
  );
}

/** The first line of moto's answer for an SDK error (moto sometimes answers a query call with JSON). */
function motoMessage(error: unknown): string {
  const e = error as Error & { $response?: { body?: unknown; statusCode?: number } };
  const body = typeof e.$response?.body === 'string' ? e.$response.body : '';
  const json = /"message": "([^"]+)"/.exec(body)?.[1];
  const type = /"__type": "([^"]+)"/.exec(body)?.[1];
  if (json) return `${type ?? 'error'}: ${json}`;
  return `${e.name}: ${e.message.split('\n')[0]}`;
}

describe('the default target deployed to moto', () => {
  let moto: MotoServer;
  let assembly: string;
  let cfn: CloudFormationClient;
  let ec2: EC2Client;
  let dynamodb: DynamoDBClient;
  let support: Map<string, TypeSupport>;
  const templates: Record<string, Template> = {};

  beforeAll(async () => {
    moto = await startMotoServer();
    // Moto answers some requests it cannot handle with HTTP 500 after changing its state: no retries.
    const config = { ...moto.clientConfig, maxAttempts: 1 };
    cfn = new CloudFormationClient(config);
    ec2 = new EC2Client(config);
    dynamodb = new DynamoDBClient(config);
    // The default target, synthesized here without AWS credentials, as scripts/synth-all.ts does.
    assembly = mkdtempSync(path.join(tmpdir(), 'kw-moto-synth-'));
    const synth = await cdk(['synth', '--quiet', '-o', assembly], withoutAws());
    if (synth.code !== 0) throw new Error(`cdk synth failed:\n${synth.output}`);
    for (const stack of STACKS)
      templates[stack] = JSON.parse(
        readFileSync(path.join(assembly, `${stack}.template.json`), 'utf8'),
      ) as Template;
    support = await motoSupport([
      ...new Set(STACKS.flatMap((s) => Object.values(templates[s].Resources).map((r) => r.Type))),
    ]);
  });
  afterAll(async () => {
    cfn?.destroy();
    ec2?.destroy();
    dynamodb?.destroy();
    await moto?.stop();
    if (assembly) rmSync(assembly, { recursive: true, force: true });
  });
  beforeEach(() => moto.reset());

  const motoEnv = () => ({ ...withoutAws(), ...moto.env });
  const liveStages = async () =>
    ((await cfn.send(new DescribeStacksCommand({}))).Stacks ?? [])
      .filter((s: Stack) => s.StackStatus !== 'DELETE_COMPLETE' && STACKS.includes(s.StackName!))
      .map((s) => s.StackName);
  const bootstrap = async () => {
    const run = await cdk(['bootstrap', `aws://${MOTO_ACCOUNT}/${MOTO_REGION}`, '-a', assembly], motoEnv());
    expect(run.output).toContain(`Environment aws://${MOTO_ACCOUNT}/${MOTO_REGION} bootstrapped`);
    expect(run.code).toBe(0);
  };

  it('cdk bootstrap, cdk deploy --all --method=direct and cdk destroy --all against moto', async () => {
    await bootstrap();

    const deploy = await cdk(
      [
        'deploy',
        '--all',
        '--method=direct',
        '--require-approval',
        'never',
        '--progress',
        'events',
        '-a',
        assembly,
      ],
      motoEnv(),
    );
    const held = await inventory(moto, ec2, dynamodb);
    const outcomes: StackOutcome[] = [];
    for (const stack of STACKS) {
      const failed = new RegExp(`${stack} failed to deploy[^\\n]*\\n[^\\n]*`).exec(deploy.output)?.[0];
      let refusal = '';
      if (failed) {
        refusal = `cdk deploy: ${failed.replace(/\s+/g, ' ')}`;
        const cause = /AttributeError: 'NoneType' object has no attribute 'has_cfn_attr'/.exec(moto.output());
        if (cause)
          refusal += ` (moto, HTTP 500: ${cause[0]}: an output reads an attribute of a type it has no model for)`;
      } else if (!deploy.output.includes(`✅  ${stack}`)) {
        refusal = 'not deployed: a stack it imports from failed';
      }
      outcomes.push(await outcomeOf(cfn, stack, templates[stack], held, refusal));
    }

    const destroy = await cdk(['destroy', '--all', '--force', '-a', assembly], motoEnv());
    const heldAfter = await inventory(moto, ec2, dynamodb);
    const destroyError = /❌[^\n]*\n?[^\n]*/.exec(destroy.output)?.[0]?.replace(/\s+/g, ' ');
    const rows = tabulate(outcomes, support, moto.output(), heldAfter);
    printTable(
      `cdk deploy --all --method=direct against moto (exit ${deploy.code}), then cdk destroy --all --force (exit ${destroy.code}${destroyError ? `: ${destroyError}` : ''}):`,
      rows,
    );

    // The network stack's types all have a model in moto: the CLI deploys it completely.
    const network = outcomes[0];
    expect(network.status).toBe('CREATE_COMPLETE');
    expect(
      network.resources
        .filter((r) => support.get(r.type)?.create && r.physicalId === undefined)
        .map((r) => r.logicalId),
    ).toEqual([]);
    // After cdk destroy no stack of the stage is left, nor anything moto's CloudFormation deletes.
    expect(await liveStages()).toEqual([]);
    expect(unexpectedlyLeft(rows, support)).toEqual([]);
  });

  it('CreateStack of network, kafka and pipeline in order (unsupported attributes as placeholders), DeleteStack in reverse', async () => {
    await bootstrap();
    const publish = await cdk(
      ['publish-assets', '--unstable=publish-assets', '--all', '-a', assembly],
      motoEnv(),
    );
    expect(publish.output).toContain('Assets published successfully');
    const placeholders = [...support].filter(([, s]) => !s.create).map(([type]) => type);

    const refusals: Record<string, string> = {};
    for (const stack of STACKS) {
      try {
        await cfn.send(
          new CreateStackCommand({
            StackName: stack,
            TemplateBody: JSON.stringify(withPlaceholders(templates[stack], support)),
            Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
          }),
        );
      } catch (error) {
        refusals[stack] = `CreateStack: ${motoMessage(error)}`;
      }
    }
    const held = await inventory(moto, ec2, dynamodb);
    const outcomes: StackOutcome[] = [];
    for (const stack of STACKS)
      outcomes.push(await outcomeOf(cfn, stack, templates[stack], held, refusals[stack] ?? ''));

    const deleteErrors: string[] = [];
    for (const stack of [...STACKS].reverse()) {
      await cfn.send(new DeleteStackCommand({ StackName: stack })).catch((error: unknown) => {
        deleteErrors.push(`${stack}: ${motoMessage(error)}`);
      });
    }
    const heldAfter = await inventory(moto, ec2, dynamodb);
    const rows = tabulate(outcomes, support, moto.output(), heldAfter);
    printTable(
      `CreateStack against moto (GetAtt of ${placeholders.join(', ')} as placeholders), then DeleteStack in reverse` +
        `${deleteErrors.length > 0 ? ` (DeleteStack errors: ${deleteErrors.join('; ')})` : ''}:`,
      rows,
    );

    // Network and kafka are accepted once no output reads an attribute moto cannot give, and
    // every resource of a type moto has a model for is created.
    for (const outcome of outcomes.slice(0, 2)) {
      expect(outcome).toMatchObject({ refusal: '', status: 'CREATE_COMPLETE' });
      expect(
        outcome.resources
          .filter((r) => support.get(r.type)?.create && r.physicalId === undefined)
          .map((r) => r.logicalId),
      ).toEqual([]);
    }
    // The ledger table and the functions moto created for the pipeline went with its stack.
    const pipeline = outcomes[2].resources.filter((r) => r.physicalId && INVENTORIED.has(r.type));
    expect(pipeline.length).toBeGreaterThan(0);
    await expect(
      Promise.all(
        pipeline
          .filter((r) => r.type === 'AWS::DynamoDB::Table')
          .map((r) => dynamodb.send(new DescribeTableCommand({ TableName: r.physicalId }))),
      ),
    ).rejects.toThrow();
    expect(await liveStages()).toEqual([]);
    expect(unexpectedlyLeft(rows, support)).toEqual([]);
  });
});
