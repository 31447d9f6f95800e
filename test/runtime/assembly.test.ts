/**
 * The cloud-assembly loader against the workshop's own synthesized templates (every cluster kind and
 * mapping mode) and a hand-written one for the intrinsic functions and resource types it reports.
 */
import { tmpdir } from 'node:os';
import { AssemblyError, loadAssembly, parseTopicConfigs } from '../../local/runtime/assembly';
import { synthWorkshop } from '../support/workshop-app';
import { writeAssembly } from '../support/cloud-assembly';

/** Synthesizes the workshop (without bundling) and loads the assembly it wrote. */
function loadWorkshop(context: Record<string, string>) {
  // The metadata the CDK CLI asks for: asset paths locate the code, construct paths name things.
  const { app } = synthWorkshop({
    ...context,
    'aws:cdk:enable-asset-metadata': 'true',
    'aws:cdk:enable-path-metadata': 'true',
  });
  return loadAssembly(app.synth().directory);
}

describe('cloud assembly loader', () => {
  it('GIVEN the default target THEN it finds 3 pipeline functions, 2 mappings, the URL, topics and the table', () => {
    const a = loadWorkshop({});
    const names = a.functions.map((f) => f.displayName).sort();
    expect(names).toEqual(
      expect.arrayContaining(['kw-dev-pipeline/Enrich', 'kw-dev-pipeline/Ingest', 'kw-dev-pipeline/Ledger']),
    );
    const enrich = a.mappings.find((m) => m.topic === 'orders')!;
    expect(enrich).toMatchObject({
      consumerGroupId: 'kw-dev-enrich',
      batchSize: 100,
      batchWindowMs: 1000,
      startingPosition: 'TRIM_HORIZON',
      provisioned: false,
      retryAttempts: -1,
      sourceKind: 'msk',
    });
    expect(enrich.clusterArn).toMatch(/^arn:aws:kafka:us-east-1:000000000000:cluster\/kw-dev\//);
    expect(a.mappings.find((m) => m.topic === 'orders.enriched')?.consumerGroupId).toBe('kw-dev-ledger');
    expect(a.urls).toHaveLength(1);
    expect(a.urls[0].authType).toBe('AWS_IAM');
    expect(a.topics.map((t) => `${t.name}/${t.partitions}`).sort()).toEqual([
      'orders.dlq/1',
      'orders.enriched/3',
      'orders/3',
    ]);
    expect(a.tables).toHaveLength(1);
    const ledger = a.functions.find((f) => f.displayName === 'kw-dev-pipeline/Ledger')!;
    // Intrinsics resolved: the table name from Ref, the cluster ARN across stacks from Fn::ImportValue.
    expect(ledger.environment.LEDGER_TABLE_NAME).toBe(a.tables[0].name);
    expect(ledger.environment.KAFKA_CLUSTER_ARN).toBe(enrich.clusterArn);
    expect(ledger).toMatchObject({ timeoutSeconds: 60, memoryMb: 512, handler: 'index.handler' });
    expect(a.notEmulated.get('AWS::IAM::Role')).toBeGreaterThan(0);
    expect(a.notEmulated.get('AWS::EC2::VPC')).toBe(1);
  });

  it('GIVEN provisioned mappings THEN retries, bisect, partial batch responses and the Kafka on-failure topic are read', () => {
    const a = loadWorkshop({ esmMode: 'provisioned', retryAttempts: '2', maxRecordAgeSeconds: '3600' });
    const enrich = a.mappings.find((m) => m.topic === 'orders')!;
    expect(enrich).toMatchObject({
      provisioned: true,
      retryAttempts: 2,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      maxRecordAgeSeconds: 3600,
      onFailure: { kind: 'kafka', topic: 'orders.dlq' },
    });
    const ledger = a.mappings.find((m) => m.topic === 'orders.enriched')!;
    expect(ledger).toMatchObject({ provisioned: true, retryAttempts: -1 });
    expect(ledger.onFailure).toBeUndefined();
  });

  it('GIVEN the self-managed target THEN mappings are self-managed and no MSK ARN is involved', () => {
    const a = loadWorkshop({ cluster: 'self-managed', bootstrapServers: '127.0.0.1:9092' });
    expect(a.mappings.map((m) => m.sourceKind)).toEqual(['self-managed', 'self-managed']);
    expect(a.stacks).toEqual(['kw-dev-pipeline']);
  });

  it('GIVEN a hand-written template THEN Sub, Join, Select, GetAtt and pseudo parameters resolve, unknown types are counted', () => {
    const dir = writeAssembly(
      {
        Parameters: { Stage: { Type: 'String', Default: 'dev' } },
        Resources: {
          Table: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'named-table' } },
          Queue: { Type: 'AWS::SQS::Queue' },
          Fn: {
            Type: 'AWS::Lambda::Function',
            Metadata: { 'aws:asset:path': 'asset.fn', 'aws:cdk:path': 'app/Fn/Resource' },
            Properties: {
              Runtime: 'nodejs22.x',
              Handler: 'index.handler',
              Environment: {
                Variables: {
                  SUB: {
                    'Fn::Sub':
                      'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}',
                  },
                  JOINED: {
                    'Fn::Join': ['-', ['a', { Ref: 'AWS::StackName' }, { 'Fn::Select': [1, ['x', 'y']] }]],
                  },
                  ARN: { 'Fn::GetAtt': ['Table', 'Arn'] },
                  UNKNOWN: { 'Fn::GetAtt': ['Queue', 'QueueUrl'] },
                  LITERAL: { 'Fn::Sub': 'keep ${!Literal} as is' },
                  ENCODED: { 'Fn::Base64': { Ref: 'Stage' } },
                  CONDITIONAL: { 'Fn::If': ['IsProd', 'a', 'b'] },
                  DOTTED: { 'Fn::GetAtt': 'Queue.Endpoint.Address' },
                },
              },
            },
          },
          Python: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'python3.12', Handler: 'x.y' } },
          SqsMapping: {
            Type: 'AWS::Lambda::EventSourceMapping',
            Properties: { EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] } },
          },
        },
      },
      { 'asset.fn': 'exports.handler = async () => 1;' },
    );
    const a = loadAssembly(dir);
    expect(a.functions).toHaveLength(1);
    expect(a.functions[0]).toMatchObject({ timeoutSeconds: 3, memoryMb: 128, displayName: 'app/Fn' });
    expect(a.functions[0].environment).toEqual({
      SUB: 'arn:aws:dynamodb:us-east-1:000000000000:table/named-table',
      JOINED: 'a-app-y',
      ARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/named-table',
      UNKNOWN: '<unresolved Queue.QueueUrl>',
      LITERAL: 'keep ${Literal} as is',
      ENCODED: Buffer.from('dev').toString('base64'),
      CONDITIONAL: '<unresolved Fn::If>',
      DOTTED: '<unresolved Queue.Endpoint.Address>',
    });
    expect(a.warnings).toEqual([expect.stringMatching(/app\/Python: runtime python3.12 is not run locally/)]);
    expect([...a.notEmulated]).toEqual([
      ['AWS::SQS::Queue', 1],
      ['AWS::Lambda::EventSourceMapping (not Kafka)', 1],
    ]);
  });

  it('GIVEN a folder without a manifest THEN it says how to get an assembly', () => {
    expect(() => loadAssembly(tmpdir())).toThrow(AssemblyError);
    expect(() => loadAssembly(tmpdir())).toThrow(/run 'npx cdk synth' or pass --assembly/);
  });

  it('reads AWS::MSK::Topic configs (base64 of key=value lines)', () => {
    expect(
      parseTopicConfigs(Buffer.from('retention.ms=1000\ncleanup.policy = compact\n').toString('base64')),
    ).toEqual({
      'retention.ms': '1000',
      'cleanup.policy': 'compact',
    });
  });
});
