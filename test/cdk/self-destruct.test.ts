/** Template tests of the optional self-destruct (`-c selfDestruct=true`). */
import { Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { ConfigError, readConfig } from '../../lib/config';
import { synthWorkshop, type SynthesizedWorkshop } from '../support/workshop-app';

/** Logical ids a resource refers to through Ref, Fn::GetAtt or Fn::Sub (pseudo parameters left out). */
function referencedIds(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(referencedIds);
  if (value === null || typeof value !== 'object') return [];
  const found: string[] = [];
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'Ref' && typeof inner === 'string' && !inner.startsWith('AWS::')) found.push(inner);
    else if (key === 'Fn::GetAtt')
      found.push(Array.isArray(inner) ? String(inner[0]) : String(inner).split('.')[0]);
    else if (key === 'Fn::Sub') {
      const text = Array.isArray(inner) ? String(inner[0]) : String(inner);
      for (const [, name] of text.matchAll(/\$\{([^!][^}.]*)/g))
        if (!name.startsWith('AWS::')) found.push(name);
      if (Array.isArray(inner)) found.push(...referencedIds(inner[1]));
    } else found.push(...referencedIds(inner));
  }
  return found;
}

const EXPIRES_AT = '2026-11-24T18:00:00.000Z'; // synth time + the default ttlHours (8)

const TARGETS: Record<string, Record<string, string>> = {
  'serverless (default)': {},
  provisioned: { cluster: 'provisioned' },
  'self-managed': { cluster: 'self-managed', bootstrapServers: '127.0.0.1:9092' },
};

/** A stage `sb` with self-destruct on, synthesized once for the tests that only read it. */
let synthesized: SynthesizedWorkshop | undefined;
const sandbox = () => (synthesized ??= synthWorkshop({ selfDestruct: 'true', stage: 'sb' }));

describe('self-destruct', () => {
  test.each(Object.entries(TARGETS))('%s: off by default, no schedule in any stack', (_name, context) => {
    const workshop = synthWorkshop(context);
    for (const stack of workshop.stacks.all) {
      workshop.template(stack).resourceCountIs('AWS::Events::Rule', 0);
    }
  });

  test('on: each stack waits for the stacks deployed after it, which import from it', () => {
    const workshop = sandbox();
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
    const workshop = sandbox();
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
        // and nothing of the self-destruct depends on, or refers to, the rest of the stack: with every
        // other resource depending on it, that would be a cycle CloudFormation rejects at deploy
        for (const id of own) {
          const uses = [...(resources[id].DependsOn ?? []), ...referencedIds(resources[id])];
          expect({ id, outside: uses.filter((dep) => !own.includes(dep)) }).toEqual({ id, outside: [] });
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

  test('its cdk-nag acknowledgements name one stack each, on the function role only, with a reason', () => {
    const workshop = synthWorkshop({ selfDestruct: 'true', stage: 'sb' }, { nag: true });
    const acks = workshop.app.node
      .findAll()
      .filter((c) => c.node.path.includes('/SelfDestruct/'))
      .flatMap((c) =>
        c.node.metadata
          .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((m) => Object.entries(m.data as Record<string, string>))
          .map(([key, reason]) => ({ path: c.node.path, id: key.slice(key.indexOf('::') + 2), reason })),
      );
    expect(acks.map((a) => [a.path, a.id])).toEqual([
      [
        'kw-sb-network/SelfDestruct/FunctionRole',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/kw-sb-kafka/*]',
      ],
      [
        'kw-sb-network/SelfDestruct/FunctionRole',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/kw-sb-pipeline/*]',
      ],
      [
        'kw-sb-kafka/SelfDestruct/FunctionRole',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/kw-sb-pipeline/*]',
      ],
    ]);
    for (const ack of acks) expect(ack.reason.length).toBeGreaterThan(60);
    expect(() => workshop.app.synth()).not.toThrow();
  });

  test('selfDestruct takes true or false only', () => {
    const read = (value: string) => readConfig((key) => (key === 'selfDestruct' ? value : undefined));
    expect(read('true').selfDestruct).toBe(true);
    expect(read('false').selfDestruct).toBe(false);
    expect(() => read('yes')).toThrow(ConfigError);
    expect(() => read('yes')).toThrow('invalid selfDestruct "yes": expected true or false');
  });
});
