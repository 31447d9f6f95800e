/**
 * The sandbox smoke test's logic. CloudFormation, DynamoDB and CloudWatch are the AWS control and
 * data planes this machine cannot reach: mocked at the SDK boundary (aws-sdk-client-mock). The
 * Function URL is a real local HTTP server that checks the request is SigV4-signed for Lambda.
 */
import {
  CloudFormationClient,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { smoke } from '../../scripts/sandbox-smoke';

describe('sandbox smoke test', () => {
  it('GIVEN a deployed stage THEN it posts a signed order, waits for the ledger and for zero lag', async () => {
    const seen: { headers: IncomingHttpHeaders; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        res
          .writeHead(202, { 'content-type': 'application/json' })
          .end('{"orderId":"x","topic":"orders","partition":0,"offset":0}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

    const cfn = mockClient(CloudFormationClient);
    cfn.on(DescribeStacksCommand, { StackName: 'kw-pr7-pipeline' }).resolves({
      Stacks: [
        {
          StackName: 'kw-pr7-pipeline',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: [
            { OutputKey: 'IngestUrl', OutputValue: url },
            { OutputKey: 'LedgerTableName', OutputValue: 'ledger-table' },
          ],
        },
      ],
    });
    cfn.on(DescribeStackResourcesCommand).resolves({
      StackResources: [
        {
          LogicalResourceId: 'Enrich6BF5708E',
          ResourceType: 'AWS::Lambda::Function',
          PhysicalResourceId: 'fn-enrich',
          ResourceStatus: 'CREATE_COMPLETE',
          Timestamp: new Date(),
        },
        {
          LogicalResourceId: 'LedgerB7379752',
          ResourceType: 'AWS::Lambda::Function',
          PhysicalResourceId: 'fn-ledger',
          ResourceStatus: 'CREATE_COMPLETE',
          Timestamp: new Date(),
        },
        {
          LogicalResourceId: 'Ingest4069586C',
          ResourceType: 'AWS::Lambda::Function',
          PhysicalResourceId: 'fn-ingest',
          ResourceStatus: 'CREATE_COMPLETE',
          Timestamp: new Date(),
        },
      ],
    });
    // The document client has its own middleware stack, so it is the one mocked.
    const dynamodb = mockClient(DynamoDBDocumentClient);
    dynamodb
      .on(GetCommand)
      .resolvesOnce({})
      .resolves({ Item: { pk: 'order' } });
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

    const lines: string[] = [];
    try {
      await smoke(
        {
          cfn: new CloudFormationClient({ region: 'eu-west-1' }),
          dynamodb: new DynamoDBClient({ region: 'eu-west-1' }),
          cloudwatch: new CloudWatchClient({ region: 'eu-west-1' }),
          credentials: async () => ({
            accessKeyId: 'AKIDEXAMPLE',
            secretAccessKey: 'secret',
            sessionToken: 'token',
          }),
        },
        { stage: 'pr7', region: 'eu-west-1', timeoutMs: 10_000, pollMs: 1, log: (l) => lines.push(l) },
      );
    } finally {
      server.close();
      cfn.restore();
      dynamodb.restore();
      cloudwatch.restore();
    }
    expect(seen).toHaveLength(1);
    expect(seen[0].headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(JSON.parse(seen[0].body)).toMatchObject({
      customerId: 'smoke',
      items: [{ sku: 'tea', quantity: 2 }],
    });
    expect(dynamodb.commandCalls(GetCommand)).toHaveLength(2);
    expect(dynamodb.commandCalls(GetCommand)[0].args[0].input).toMatchObject({ TableName: 'ledger-table' });
    const queries = cloudwatch.commandCalls(GetMetricDataCommand)[0].args[0].input.MetricDataQueries!;
    expect(queries.map((q) => q.MetricStat?.Metric?.Dimensions?.[0].Value)).toEqual([
      'fn-enrich',
      'fn-ledger',
    ]);
    expect(lines).toContain('OffsetLag (latest): 12, 0');
    expect(lines.at(-1)).toBe('OffsetLag (latest): 0, 0');
  });
});
