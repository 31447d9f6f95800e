import { Duration, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { SelfDestruct, type SelfDestructProps } from '../../../lib/teardown/self-destruct';
import { bareStack, policyStatements } from './bare-stack';

const EXPIRES_AT = '2026-11-24T18:00:00.000Z';

function selfDestruct(stack: Stack, props: Partial<SelfDestructProps> = {}): SelfDestruct {
  return new SelfDestruct(stack, 'SelfDestruct', { expiresAt: EXPIRES_AT, ...props });
}

describe('SelfDestruct', () => {
  test('GIVEN an expiry WHEN self-destruct is added THEN a schedule invokes, every 15 minutes, a function that knows its stack and the expiry', () => {
    const stack = bareStack();
    const construct = selfDestruct(stack);
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: `Deletes this stack after ${EXPIRES_AT}`,
      MemorySize: 256,
      Environment: {
        Variables: Match.objectLike({
          STACK_ID: { Ref: 'AWS::StackId' },
          EXPIRES_AT,
          WAIT_FOR_STACKS: '',
          POWERTOOLS_SERVICE_NAME: 'self-destruct',
        }),
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: [
        Match.objectLike({
          Arn: stack.resolve(construct.function.functionArn),
          RetryPolicy: { MaximumRetryAttempts: 2 },
        }),
      ],
    });
  });

  test('GIVEN no stacks to wait for THEN the function may describe and delete its own stack and nothing else', () => {
    const stack = bareStack();
    selfDestruct(stack);
    const statements = policyStatements(Template.fromStack(stack));

    expect(statements.filter((s) => JSON.stringify(s.Action).includes('cloudformation'))).toEqual([
      {
        Action: ['cloudformation:DescribeStacks', 'cloudformation:DeleteStack'],
        Effect: 'Allow',
        Resource: { Ref: 'AWS::StackId' },
      },
    ]);
  });

  test('GIVEN stacks to wait for THEN the function is told their names and may only describe them', () => {
    const stack = bareStack();
    selfDestruct(stack, { waitFor: ['kw-t-kafka', 'kw-t-pipeline'] });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ WAIT_FOR_STACKS: 'kw-t-kafka,kw-t-pipeline' }) },
    });
    const [describeOthers] = policyStatements(template).filter(
      (s) => s.Action === 'cloudformation:DescribeStacks',
    );
    const resources = JSON.stringify(describeOthers.Resource);
    expect(resources).toContain(':stack/kw-t-kafka/*');
    expect(resources).toContain(':stack/kw-t-pipeline/*');
  });

  test('GIVEN an interval THEN the schedule uses it', () => {
    const stack = bareStack();
    selfDestruct(stack, { interval: Duration.hours(1) });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
    });
  });

  test('GIVEN other resources in the stack THEN each depends on the self-destruct, so CloudFormation deletes it last', () => {
    const stack = bareStack();
    new sqs.Queue(stack, 'Queue');
    selfDestruct(stack);
    const template = Template.fromStack(stack);

    const own = Object.keys(template.toJSON().Resources).filter((id) => id.startsWith('SelfDestruct'));
    const [queue] = Object.values(template.findResources('AWS::SQS::Queue'));
    expect(queue.DependsOn).toEqual(expect.arrayContaining(own));
    // and nothing of its own depends on the rest, which would be a cycle
    for (const id of own) {
      const dependsOn: string[] = template.toJSON().Resources[id].DependsOn ?? [];
      expect({ id, outside: dependsOn.filter((dep) => !own.includes(dep)) }).toEqual({ id, outside: [] });
    }
  });

  test('GIVEN an interval that is not whole minutes THEN self-destruct is refused, since schedules count in minutes', () => {
    expect(() => selfDestruct(bareStack(), { interval: Duration.seconds(90) })).toThrow(
      /'90 seconds' cannot be converted into a whole number of minutes/,
    );
  });
});
