/**
 * The sandbox smoke test (scripts/sandbox-smoke.ts) against moto: the pipeline stack is a real stack
 * in moto's CloudFormation (a ledger table, the enrich and ledger functions, the outputs the CDK app
 * gives it), its outputs are read with DescribeStacks and its functions with DescribeStackResources,
 * and the order is looked up in moto's DynamoDB.
 *
 * CloudWatch stays a mock at the SDK boundary (aws-sdk-client-mock): the SDK's CloudWatch client
 * speaks the JSON protocol, which moto 5.2.5 answers with "Unsupported protocol [json] for service
 * cloudwatch" (HTTP 500).
 *
 * Moto cannot stand in for the Function URL (it has no AWS::Lambda::Url and runs no functions
 * without Docker), so the ingest URL is a local HTTP server standing in for the deployed pipeline:
 * it checks the SigV4 signature's scope, then does what the pipeline would, in moto: writes the
 * order into the ledger table.
 */
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ledgerKeys } from '../../functions/ledger/ledger-writer';
import { smoke } from '../../scripts/sandbox-smoke';
import { pipelineOutputs } from '../../scripts/pipeline-probes';
import { startMotoServer, type MotoServer } from '../support/moto-server';

/** The pipeline stack's shape as far as the smoke test reads it. */
function pipelineTemplate(outputs: { ingestUrl?: boolean } = {}) {
  const fn = (name: string) => ({
    Type: 'AWS::Lambda::Function',
    Properties: {
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: { 'Fn::GetAtt': ['FunctionRole', 'Arn'] },
      Code: { ZipFile: `exports.handler = async () => '${name}';` },
    },
  });
  return {
    Parameters: { IngestUrl: { Type: 'String', Default: '' } },
    Resources: {
      LedgerTable38A58B60: {
        Type: 'AWS::DynamoDB::Table',
        Properties: {
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
        },
      },
      FunctionRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
            ],
          },
        },
      },
      Enrich6BF5708E: fn('enrich'),
      LedgerB7379752: fn('ledger'),
      Ingest4069586C: fn('ingest'),
    },
    Outputs: {
      ...(outputs.ingestUrl === false ? {} : { IngestUrl: { Value: { Ref: 'IngestUrl' } } }),
      LedgerTableName: { Value: { Ref: 'LedgerTable38A58B60' } },
    },
  };
}

describe('sandbox smoke test against moto', () => {
  let moto: MotoServer;
  let cfn: CloudFormationClient;
  let dynamodb: DynamoDBClient;

  beforeAll(async () => {
    moto = await startMotoServer();
    cfn = new CloudFormationClient(moto.clientConfig);
    dynamodb = new DynamoDBClient(moto.clientConfig);
  });
  afterAll(async () => {
    cfn?.destroy();
    dynamodb?.destroy();
    await moto?.stop();
  });
  beforeEach(() => moto.reset());

  const deploy = (stack: string, template: object, ingestUrl = '') =>
    cfn.send(
      new CreateStackCommand({
        StackName: stack,
        TemplateBody: JSON.stringify(template),
        Parameters: [{ ParameterKey: 'IngestUrl', ParameterValue: ingestUrl }],
        Capabilities: ['CAPABILITY_IAM'],
      }),
    );
  it('reads the ingest URL and the ledger table from the stack outputs in moto', async () => {
    await deploy('kw-pr7-pipeline', pipelineTemplate(), 'https://abc.lambda-url.us-east-1.on.aws/');
    const outputs = await pipelineOutputs(cfn, 'pr7');
    expect(outputs.stack).toBe('kw-pr7-pipeline');
    expect(outputs.ingestUrl).toBe('https://abc.lambda-url.us-east-1.on.aws/');
    // Ref of a table is the name moto gave it: the smoke test reads whatever the stack says.
    expect(outputs.table).toMatch(/^kw-pr7-pipeline-LedgerTable38A58B60-/);
  });

  it('names the stack and the output when an output is missing, and passes on a missing stack', async () => {
    await deploy('kw-pr8-pipeline', pipelineTemplate({ ingestUrl: false }));
    await expect(pipelineOutputs(cfn, 'pr8', ' (is the stage deployed?)')).rejects.toThrow(
      'kw-pr8-pipeline has no output IngestUrl (is the stage deployed?)',
    );
    await expect(pipelineOutputs(cfn, 'pr9')).rejects.toThrow('Stack with id kw-pr9-pipeline does not exist');
  });

  it('GIVEN a stage in moto THEN smoke posts a signed order, finds it in the ledger table in moto and waits for zero lag (CloudWatch mocked)', async () => {
    const seen: { headers: IncomingHttpHeaders; body: string }[] = [];
    let table = '';
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        const order = JSON.parse(body) as { orderId: string };
        const key = ledgerKeys.order(order.orderId);
        // What the deployed pipeline would do: the ledger gets the order, the lag drains.
        void dynamodb
          .send(
            new PutItemCommand({
              TableName: table,
              Item: { pk: { S: key.pk }, sk: { S: key.sk }, orderId: { S: order.orderId } },
            }),
          )
          .then(() =>
            res
              .writeHead(202, { 'content-type': 'application/json' })
              .end(JSON.stringify({ orderId: order.orderId, topic: 'orders', partition: 0, offset: 0 })),
          );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const lines: string[] = [];
    let lagQueries = (): unknown[] => [];
    let expectedConsumers: string[] = [];
    try {
      await deploy('kw-pr7-pipeline', pipelineTemplate(), url);
      table = (await pipelineOutputs(cfn, 'pr7')).table;
      const { StackResources } = await cfn.send(
        new DescribeStackResourcesCommand({ StackName: 'kw-pr7-pipeline' }),
      );
      const consumers = (StackResources ?? [])
        .filter(
          (r) =>
            /^(Enrich|Ledger)/.test(r.LogicalResourceId ?? '') && r.ResourceType === 'AWS::Lambda::Function',
        )
        .map((r) => r.PhysicalResourceId!);
      expect(consumers).toHaveLength(2);
      // The mock at the CloudWatch boundary: the consumers lag behind, then catch up.
      const cloudwatch = mockClient(CloudWatchClient);
      cloudwatch
        .on(GetMetricDataCommand)
        .resolvesOnce({
          MetricDataResults: [
            { Id: 'lag0', Values: [12] },
            { Id: 'lag1', Values: [0] },
          ],
        })
        .resolves({
          MetricDataResults: [
            { Id: 'lag0', Values: [0] },
            { Id: 'lag1', Values: [0] },
          ],
        });
      lagQueries = () =>
        cloudwatch
          .commandCalls(GetMetricDataCommand)
          .map((c) =>
            c.args[0].input.MetricDataQueries!.map((q) => q.MetricStat?.Metric?.Dimensions?.[0].Value),
          );
      expectedConsumers = consumers;

      await smoke(
        {
          cfn,
          dynamodb,
          cloudwatch: new CloudWatchClient(moto.clientConfig),
          credentials: async () => ({ accessKeyId: 'testing', secretAccessKey: 'testing' }),
        },
        { stage: 'pr7', region: 'us-east-1', timeoutMs: 30_000, pollMs: 200, log: (l) => lines.push(l) },
      );
    } finally {
      server.close();
      mockClient(CloudWatchClient).restore();
    }
    expect(seen).toHaveLength(1);
    expect(seen[0].headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=testing\/\d{8}\/us-east-1\/lambda\/aws4_request, /,
    );
    expect(JSON.parse(seen[0].body)).toMatchObject({
      customerId: 'smoke',
      items: [{ sku: 'tea', quantity: 2 }],
    });
    expect(lines.some((l) => /^order smoke-\d+ is in kw-pr7-pipeline-LedgerTable38A58B60-/.test(l))).toBe(
      true,
    );
    // The lag of the stack's enrich and ledger functions, as moto named them.
    expect(lagQueries()[0]).toEqual(expectedConsumers);
    expect(lines).toContain('OffsetLag (latest): 12, 0');
    expect(lines.at(-1)).toBe('OffsetLag (latest): 0, 0');
  });
});
