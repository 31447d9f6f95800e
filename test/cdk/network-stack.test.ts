import { Match } from 'aws-cdk-lib/assertions';
import { synthWorkshop } from '../support/workshop-app';

describe('network stack', () => {
  // GIVEN the default (serverless) deployment
  const workshop = synthWorkshop();
  const template = workshop.template(workshop.stacks.network!);

  test('a VPC over two AZs with private subnets only, and no NAT gateway or internet gateway', () => {
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.hasResourceProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
  });

  test('interface endpoints for Lambda, STS and Kafka, which event source mappings and functions need', () => {
    for (const service of ['lambda', 'sts', 'kafka']) {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Interface',
        PrivateDnsEnabled: true,
        ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, `.${service}`]] },
      });
    }
  });

  test('free gateway endpoints for DynamoDB and S3', () => {
    const gateways = template.findResources('AWS::EC2::VPCEndpoint', {
      Properties: { VpcEndpointType: 'Gateway' },
    });
    expect(Object.keys(gateways)).toHaveLength(2);
  });

  test('endpoints accept HTTPS from inside the VPC only', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '10.40.0.0/16', FromPort: 443, ToPort: 443 })],
    });
  });

  test('flow logs record all traffic', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
  });

  test('self-managed Kafka needs no network stack', () => {
    const selfManaged = synthWorkshop({ cluster: 'self-managed', bootstrapServers: '127.0.0.1:9092' });
    expect(selfManaged.stacks.network).toBeUndefined();
    expect(selfManaged.stacks.all.map((s) => s.stackName)).toEqual(['kw-dev-pipeline']);
  });
});
