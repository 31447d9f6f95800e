/**
 * The intrinsic evaluator on its own: what resources give for Ref and Fn::GetAtt comes from outside
 * (here a fixed table), everything else is CloudFormation's rules for a local account.
 */
import { IntrinsicEvaluator, type ResourceValues } from '../../local/runtime/template/intrinsics';
import type { StackTemplate } from '../../local/runtime/template/manifest';

const resources: ResourceValues = {
  ref: (stack, logicalId) => (logicalId === 'Bucket' ? `${stack}-bucket` : undefined),
  attribute: (_stack, logicalId, name) =>
    logicalId === 'Bucket' && name === 'Arn' ? 'arn:bucket' : undefined,
};

const stacks: StackTemplate[] = [
  {
    name: 'shared',
    template: {
      Resources: { Bucket: { Type: 'AWS::S3::Bucket' } },
      Outputs: {
        BucketArn: {
          Value: { 'Fn::GetAtt': ['Bucket', 'Arn'] },
          Export: { Name: { 'Fn::Sub': '${AWS::StackName}-arn' } },
        },
      },
    },
  },
  { name: 'app', template: { Parameters: { Size: { Default: '3' } } } },
];

describe('intrinsic evaluator', () => {
  const evaluator = new IntrinsicEvaluator(stacks, resources);

  it('GIVEN an export of another stack WHEN imported THEN its value resolves there', () => {
    expect(evaluator.resolve('app', { 'Fn::ImportValue': 'shared-arn' })).toBe('arn:bucket');
    expect(evaluator.resolve('app', { 'Fn::ImportValue': 'missing' })).toBe('<unresolved import missing>');
  });

  it('GIVEN Sub with its own variables THEN they win over Refs, and Resource.Attr reads an attribute', () => {
    expect(
      evaluator.resolve('shared', {
        'Fn::Sub': ['${Bucket}/${Name} ${Bucket.Arn} ${AWS::Region}', { Name: { Ref: 'Bucket' } }],
      }),
    ).toBe('shared-bucket/shared-bucket arn:bucket us-east-1');
  });

  it('GIVEN a parameter with a default, Split and nested values THEN they resolve in place', () => {
    expect(
      evaluator.resolve('app', {
        list: { 'Fn::Split': [',', 'a,b'] },
        size: { Ref: 'Size' },
        unknown: { Ref: 'Nothing' },
      }),
    ).toEqual({ list: ['a', 'b'], size: '3', unknown: '<unresolved Ref Nothing>' });
  });
});
