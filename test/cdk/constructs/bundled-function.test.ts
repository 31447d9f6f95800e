import { App, AssetStaging, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BUNDLE_REUSE_CONTEXT, BundledFunction } from '../../../lib/lambda/bundled-function';
import { ISOLATED_SUBNETS, bareStack, isolatedVpc, policyStatements } from './bare-stack';

describe('BundledFunction', () => {
  test('GIVEN a handler folder WHEN the function is added THEN it runs that folder on Node.js 24, ARM64, 512 MiB for 30 s, with source maps and its Powertools service name', () => {
    const stack = bareStack();
    new BundledFunction(stack, 'Ingest', { handlerFolder: 'ingest', description: 'takes orders' });

    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Description: 'takes orders',
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 30,
      Environment: {
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'ingest',
          POWERTOOLS_LOG_LEVEL: 'INFO',
        },
      },
      VpcConfig: Match.absent(),
    });
  });

  test('GIVEN the function THEN it logs to a group of its own, kept one week, and its role may write only there', () => {
    const stack = bareStack();
    new BundledFunction(stack, 'Ingest', { handlerFolder: 'ingest', description: 'takes orders' });
    const template = Template.fromStack(stack);

    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 7 },
      DeletionPolicy: 'Delete',
    });
    const [logGroupId] = Object.keys(template.findResources('AWS::Logs::LogGroup'));
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: logGroupId } },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      },
      ManagedPolicyArns: Match.absent(),
    });
    expect(policyStatements(template)).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
      },
    ]);
  });

  test('GIVEN a timeout, memory size and environment THEN the function uses them, its own variables kept', () => {
    const stack = bareStack();
    new BundledFunction(stack, 'Ledger', {
      handlerFolder: 'ledger',
      description: 'records orders',
      timeout: Duration.minutes(1),
      memorySize: 1024,
      environment: { LEDGER_TABLE_NAME: 'ledger', POWERTOOLS_LOG_LEVEL: 'DEBUG' },
    });

    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 60,
      MemorySize: 1024,
      Environment: {
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'ledger',
          POWERTOOLS_LOG_LEVEL: 'DEBUG',
          LEDGER_TABLE_NAME: 'ledger',
        },
      },
    });
  });

  test('GIVEN a VPC, subnets and a security group THEN the function is placed there', () => {
    const stack = bareStack();
    const vpc = isolatedVpc(stack);
    const sg = new ec2.SecurityGroup(stack, 'Clients', { vpc });
    new BundledFunction(stack, 'Enrich', {
      handlerFolder: 'enrich',
      description: 'enriches orders',
      vpc,
      vpcSubnets: ISOLATED_SUBNETS,
      securityGroups: [sg],
    });

    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: {
        SubnetIds: [{ Ref: Match.stringLikeRegexp('^VpcprivateSubnet1') }, Match.anyValue()],
        SecurityGroupIds: [stack.resolve(sg.securityGroupId)],
      },
    });
  });

  test('GIVEN a handler folder that does not exist THEN the function is refused, naming the missing entry file', () => {
    expect(
      () =>
        new BundledFunction(bareStack(), 'Missing', { handlerFolder: 'no-such-handler', description: 'x' }),
    ).toThrow(/Cannot find entry file at .*functions\/no-such-handler\/index\.ts/);
  });

  test('GIVEN a bundle kept by an earlier synthesis WHEN the function is synthesized again, reusing it or bundling afresh THEN its code and asset hash are the same', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'kw-bundled-function-'));
    const reuseDir = path.join(outdir, '.kw-bundles');
    const synthesize = (context: Record<string, string>) => {
      // Without this, CDK would hand back the asset staged earlier in this process without bundling.
      AssetStaging.clearAssetHashCache();
      const stack = new Stack(new App({ outdir, context }), 'Stack');
      new BundledFunction(stack, 'Admin', { handlerFolder: 'topic-admin', description: 'manages topics' });
      const [fn] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
      return (fn.Properties as { Code: { S3Key: string } }).Code.S3Key;
    };

    const kept = synthesize({ [BUNDLE_REUSE_CONTEXT]: reuseDir });
    const [slot] = readdirSync(reuseDir);
    const keptAt = statSync(path.join(reuseDir, slot, 'bundle.json')).mtimeMs;
    const reused = synthesize({ [BUNDLE_REUSE_CONTEXT]: reuseDir });
    const fresh = synthesize({});

    expect(reused).toBe(kept);
    expect(fresh).toBe(kept);
    // Reused, not bundled again: the kept bundle was not replaced.
    expect(statSync(path.join(reuseDir, slot, 'bundle.json')).mtimeMs).toBe(keptAt);
  });
});
