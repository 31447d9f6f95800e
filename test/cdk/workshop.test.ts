import { Stack, Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { IConstruct } from 'constructs';
import { synthWorkshop } from '../support/workshop-app';

const TARGETS: Record<string, Record<string, string>> = {
  'serverless (default)': {},
  provisioned: { cluster: 'provisioned' },
  'self-managed': { cluster: 'self-managed', bootstrapServers: '127.0.0.1:9092' },
  'provisioned mappings': { esmMode: 'provisioned' },
  'provisioned MSK and mappings': { cluster: 'provisioned', esmMode: 'provisioned' },
};

/** The cdk-nag acknowledgements in the tree (metadata maps `<source>::<rule id>` to the reason). */
function nagAcknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .map(([key, reason]) => ({ path: c.node.path, id: key.slice(key.indexOf('::') + 2), reason }))
      .filter((ack) => ack.id.startsWith('AwsSolutions-')),
  );
}

describe('workshop app', () => {
  test.each(Object.entries(TARGETS))('%s: every stack is tagged for teardown tooling', (_name, context) => {
    const workshop = synthWorkshop({ ...context, stage: 'ci-7', owner: 'alice', ttlHours: '4' });
    workshop.app.synth(); // tags are applied by an aspect during synthesis
    const expected = {
      project: 'serverless-kafka-workshop',
      stage: 'ci-7',
      owner: 'alice',
      'expires-at': '2026-11-24T14:00:00.000Z',
    };
    for (const stack of workshop.stacks.all) {
      expect(stack.tags.tagValues()).toEqual(expected);
      expect(stack.stackName).toMatch(/^kw-ci-7-(network|kafka|pipeline)$/);
    }
    // tags reach the resources too, e.g. the functions
    workshop.template(workshop.stacks.pipeline).hasResourceProperties('AWS::Lambda::Function', {
      Tags: Match.arrayWith([{ Key: 'expires-at', Value: '2026-11-24T14:00:00.000Z' }]),
    });
  });

  test.each(Object.entries(TARGETS))(
    '%s: cdk-nag AwsSolutions finds nothing unacknowledged',
    (_name, context) => {
      const workshop = synthWorkshop(context, { nag: true });
      expect(() => workshop.app.synth()).not.toThrow();
    },
  );

  test('cdk-nag is really checking: an open security group fails synthesis', () => {
    const workshop = synthWorkshop({}, { nag: true });
    const sg = new ec2.SecurityGroup(workshop.stacks.network!, 'WideOpen', {
      vpc: workshop.stacks.network!.vpc,
    });
    sg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(22));
    expect(() => workshop.app.synth()).toThrow(/AwsSolutions-EC23/);
  });

  test('each acknowledgement names a specific rule finding and gives a specific reason', () => {
    const workshop = synthWorkshop({ esmMode: 'provisioned' }, { nag: true });
    const acks = nagAcknowledgements(workshop.app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id).toMatch(/^AwsSolutions-IAM5\[Resource::\*\]$/);
      expect(ack.reason.length).toBeGreaterThan(60);
    }
    // acknowledgements sit on the roles holding the VPC network-interface statement, not on whole stacks
    expect(acks.every((a) => !workshop.stacks.all.some((s: Stack) => s.node.path === a.path))).toBe(true);
  });
});
