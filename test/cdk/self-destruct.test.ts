/** Template tests of the optional self-destruct (`-c selfDestruct=true`). */
import { Match } from 'aws-cdk-lib/assertions';
import { ConfigError, readConfig } from '../../lib/config';
import { synthWorkshop } from '../support/workshop-app';

const EXPIRES_AT = '2026-11-24T18:00:00.000Z'; // synth time + the default ttlHours (8)

const TARGETS: Record<string, Record<string, string>> = {
  'serverless (default)': {},
  provisioned: { cluster: 'provisioned' },
  'self-managed': { cluster: 'self-managed', bootstrapServers: '127.0.0.1:9092' },
};

describe('self-destruct', () => {
  test.each(Object.entries(TARGETS))('%s: off by default, no schedule in any stack', (_name, context) => {
    const workshop = synthWorkshop(context);
    for (const stack of workshop.stacks.all) {
      workshop.template(stack).resourceCountIs('AWS::Events::Rule', 0);
    }
  });

  test('on: each stack waits for the stacks deployed after it, which import from it', () => {
    const workshop = synthWorkshop({ selfDestruct: 'true', stage: 'sb' });
    const waitFor = {
      'kw-sb-network': 'kw-sb-kafka,kw-sb-pipeline',
      'kw-sb-kafka': 'kw-sb-pipeline',
      'kw-sb-pipeline': '',
    };
    expect(workshop.stacks.all.map((s) => s.stackName)).toEqual(Object.keys(waitFor));
    for (const stack of workshop.stacks.all) {
      const template = workshop.template(stack);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            STACK_ID: { Ref: 'AWS::StackId' },
            EXPIRES_AT,
            WAIT_FOR_STACKS: waitFor[stack.stackName as keyof typeof waitFor],
          }),
        },
      });
      template.resourceCountIs('AWS::Events::Rule', 1);
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(15 minutes)',
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SelfDestructFunction'), 'Arn'] },
          }),
        ],
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Principal: 'events.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SelfDestructFunction'), 'Arn'] },
      });
    }
  });

  test('on: the function may delete its own stack and nothing else, and only describe the others', () => {
    const workshop = synthWorkshop({ selfDestruct: 'true', stage: 'sb' });
    const template = workshop.template(workshop.stacks.kafka!);
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^SelfDestructFunctionRole') }] },
    });
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument
          .Statement,
    );
    expect(statements).toEqual([
      expect.objectContaining({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] }),
      {
        Action: ['cloudformation:DeleteStack', 'cloudformation:DescribeStacks'],
        Effect: 'Allow',
        Resource: { Ref: 'AWS::StackId' },
      },
      {
        Action: 'cloudformation:DescribeStacks',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':cloudformation:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':stack/kw-sb-pipeline/*',
            ],
          ],
        },
      },
    ]);
    // Not in the VPC: deleting the stack must not depend on the network it deletes.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: `Deletes this stack after ${EXPIRES_AT}`,
      VpcConfig: Match.absent(),
    });
  });

  test.each(Object.entries(TARGETS))(
    '%s on: every other resource depends on the self-destruct resources, so they are deleted last',
    (_name, context) => {
      const workshop = synthWorkshop({ ...context, selfDestruct: 'true' });
      for (const stack of workshop.stacks.all) {
        const resources = workshop.template(stack).toJSON().Resources as Record<
          string,
          { Type: string; DependsOn?: string[] }
        >;
        const own = Object.keys(resources).filter((id) => id.startsWith('SelfDestruct'));
        expect(own.map((id) => resources[id].Type).sort()).toEqual([
          'AWS::Events::Rule',
          'AWS::IAM::Policy',
          'AWS::IAM::Role',
          'AWS::Lambda::Function',
          'AWS::Lambda::Permission',
          'AWS::Logs::LogGroup',
        ]);
        const others = Object.entries(resources).filter(
          ([id, r]) => !own.includes(id) && r.Type !== 'AWS::CDK::Metadata',
        );
        expect(others.length).toBeGreaterThanOrEqual(5);
        for (const [id, resource] of others) {
          expect({ id, dependsOn: resource.DependsOn ?? [] }).toEqual({
            id,
            dependsOn: expect.arrayContaining(own),
          });
        }
        // and nothing of the self-destruct depends on the rest of the stack (that would be a cycle)
        for (const id of own) {
          expect((resources[id].DependsOn ?? []).every((dep) => own.includes(dep))).toBe(true);
        }
      }
    },
  );

  test.each(Object.entries(TARGETS))(
    '%s on: cdk-nag AwsSolutions finds nothing unacknowledged',
    (_n, context) => {
      const workshop = synthWorkshop({ ...context, selfDestruct: 'true' }, { nag: true });
      expect(() => workshop.app.synth()).not.toThrow();
    },
  );

  test('selfDestruct takes true or false only', () => {
    const read = (value: string) => readConfig((key) => (key === 'selfDestruct' ? value : undefined));
    expect(read('true').selfDestruct).toBe(true);
    expect(read('false').selfDestruct).toBe(false);
    expect(() => read('yes')).toThrow(ConfigError);
    expect(() => read('yes')).toThrow('invalid selfDestruct "yes": expected true or false');
  });
});
