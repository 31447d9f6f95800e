/** What the construct tests share: a bare stack, as aws-cdk tests its own constructs, and small stand-ins. */
import { App, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** A stack in an app of its own with no context but this: function code is left unbundled. */
export function bareStack(): Stack {
  return new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Stack');
}

/** A VPC like the network stack's: isolated subnets in two AZs, no NAT. */
export function isolatedVpc(stack: Stack): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
}

/** The subnets the network stack hands to the cluster and functions. */
export const ISOLATED_SUBNETS: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

/** A function with inline code, for constructs that take any function. */
export function inlineFunction(stack: Stack, id: string): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {};'),
  });
}

/** One statement of an IAM policy document, as it appears in a template. */
export interface TemplateStatement {
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Effect: string;
}

/** Every statement of every IAM policy in the template. */
export function policyStatements(template: Template): TemplateStatement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as TemplateStatement[],
  );
}

/** The statements that allow `action`. */
export function statementsAllowing(template: Template, action: string): TemplateStatement[] {
  return policyStatements(template).filter((s) => [s.Action].flat().includes(action));
}
