import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** Properties of the network stack. */
export interface NetworkStackProps extends StackProps {
  /**
   * Address range of the VPC. A literal (not a token) so security group rules can name it.
   * @default '10.40.0.0/16'
   */
  readonly cidr?: string;
}

/**
 * The VPC the MSK cluster, the event source mappings and the functions share.
 *
 * Two AZs of isolated private subnets and no NAT gateway: everything the pipeline reaches outside the
 * VPC goes through VPC endpoints. Interface endpoints for Lambda and STS (event source mappings need
 * them to invoke functions and assume their role) and for Kafka (functions look up bootstrap brokers);
 * gateway endpoints, which cost nothing, for DynamoDB (the ledger) and S3 (custom resource replies).
 * Three interface endpoints in two AZs cost about $0.06/h (~$44/month) plus data; a NAT gateway would
 * cost ~$0.045/h plus $0.045/GB and open a path to the internet, which nothing here needs.
 */
export class NetworkStack extends Stack {
  /** The pipeline's VPC. */
  public readonly vpc: ec2.IVpc;
  /** The subnets clusters, mappings and functions live in. */
  public readonly privateSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

  constructor(scope: Construct, id: string, props?: NetworkStackProps) {
    super(scope, id, props);

    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const cidr = props?.cidr ?? '10.40.0.0/16';
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(cidr),
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 }],
      flowLogs: {
        all: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
      gatewayEndpoints: {
        DynamoDb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
      },
    });
    // Anything in the VPC may reach the endpoints on 443: functions and the mappings' network interfaces.
    const endpointSg = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc,
      description: 'HTTPS from inside the VPC to the interface endpoints',
      allowAllOutbound: false,
    });
    endpointSg.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), 'HTTPS from the VPC');
    for (const [name, service] of [
      ['Lambda', ec2.InterfaceVpcEndpointAwsService.LAMBDA],
      ['Sts', ec2.InterfaceVpcEndpointAwsService.STS],
      ['Kafka', ec2.InterfaceVpcEndpointAwsService.KAFKA],
    ] as const) {
      vpc.addInterfaceEndpoint(`${name}Endpoint`, {
        service,
        subnets: this.privateSubnets,
        securityGroups: [endpointSg],
        open: false,
        privateDnsEnabled: true,
      });
    }
    this.vpc = vpc;
  }
}
