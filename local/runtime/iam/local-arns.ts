/**
 * What Ref and Fn::GetAtt give, for IAM policies, for the resource types policies name: roles and
 * managed policies, the MSK cluster (the embedded broker stands for it, under a local cluster ARN),
 * log groups, queues, topics, buckets, and whatever the runtime's own translators know (functions,
 * tables). An attribute none of them knows is {@link Unresolvable}, never a guess.
 */
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../template/intrinsics';
import { localCluster, type LocalCluster } from '../template/local-cluster';
import type { CfnResource, StackTemplate } from '../template/manifest';
import { physicalName, RESOURCE_TYPES } from '../template/resource-types';
import { Unresolvable, type IntrinsicEvaluator, type ResourceValues } from '../template/intrinsics';

export type { LocalCluster };

const MSK_CLUSTER_TYPES = new Set(['AWS::MSK::Cluster', 'AWS::MSK::ServerlessCluster']);

/** A resource being named: its explicit name property resolved, else CloudFormation's generated name. */
interface Named {
  readonly r: CfnResource;
  name(property: string): string;
}

/** IAM's `Path` property: `/` unless given, always with slashes at both ends. */
function iamPath({ r }: Named): string {
  const p = r.Properties?.Path;
  return typeof p === 'string' && p.startsWith('/') && p.endsWith('/') ? p : '/';
}

const roleArn = (n: Named) => `arn:aws:iam::${LOCAL_ACCOUNT}:role${iamPath(n)}${n.name('RoleName')}`;
const managedPolicyArn = (n: Named) =>
  `arn:aws:iam::${LOCAL_ACCOUNT}:policy${iamPath(n)}${n.name('ManagedPolicyName')}`;
const logGroupArn = (n: Named) =>
  `arn:aws:logs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:log-group:${n.name('LogGroupName')}:*`;
const topicArn = (n: Named) => `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${n.name('TopicName')}`;

interface ArnRule {
  ref(n: Named): string;
  attributes: Readonly<Record<string, (n: Named) => string>>;
}

/** Ref and GetAtt by resource type, as CloudFormation documents them for each. */
const ARN_RULES: ReadonlyMap<string, ArnRule> = new Map<string, ArnRule>([
  ['AWS::IAM::Role', { ref: (n) => n.name('RoleName'), attributes: { Arn: roleArn } }],
  ['AWS::IAM::ManagedPolicy', { ref: managedPolicyArn, attributes: { PolicyArn: managedPolicyArn } }],
  ['AWS::IAM::Policy', { ref: (n) => n.name('PolicyName'), attributes: {} }],
  ['AWS::Logs::LogGroup', { ref: (n) => n.name('LogGroupName'), attributes: { Arn: logGroupArn } }],
  [
    'AWS::SQS::Queue',
    {
      ref: (n) => `https://sqs.${LOCAL_REGION}.amazonaws.com/${LOCAL_ACCOUNT}/${n.name('QueueName')}`,
      attributes: {
        Arn: (n) => `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${n.name('QueueName')}`,
        QueueName: (n) => n.name('QueueName'),
      },
    },
  ],
  ['AWS::SNS::Topic', { ref: topicArn, attributes: { TopicArn: topicArn } }],
  [
    'AWS::S3::Bucket',
    { ref: (n) => n.name('BucketName'), attributes: { Arn: (n) => `arn:aws:s3:::${n.name('BucketName')}` } },
  ],
]);

/** Ref and GetAtt of the assembly's resources for policies; knows each MSK cluster's local identity. */
export class PolicyResourceValues implements ResourceValues {
  private readonly byStack = new Map<string, Record<string, CfnResource>>();
  /** The assembly's MSK clusters, by `stack/logicalId`. */
  readonly clusters = new Map<string, LocalCluster>();

  constructor(stacks: readonly StackTemplate[]) {
    for (const { name, template } of stacks) {
      const resources = template.Resources ?? {};
      this.byStack.set(name, resources);
      for (const [logicalId, r] of Object.entries(resources)) {
        if (!MSK_CLUSTER_TYPES.has(r.Type)) continue;
        const clusterName = r.Properties?.ClusterName;
        const cluster = localCluster(
          name,
          logicalId,
          typeof clusterName === 'string' ? clusterName : logicalId,
        );
        this.clusters.set(cluster.id, cluster);
      }
    }
  }

  /** Evaluates explicit names given as intrinsics (`Fn::Sub: '${AWS::StackName}-role'`). */
  private names?: IntrinsicEvaluator;

  /** Lets names given as intrinsics be evaluated; until then only plain-string names are read. */
  bind(intrinsics: IntrinsicEvaluator): void {
    this.names = intrinsics;
  }

  private resource(stack: string, logicalId: string): CfnResource | undefined {
    return this.byStack.get(stack)?.[logicalId];
  }

  private named(stack: string, logicalId: string, r: CfnResource): Named {
    return {
      r,
      name: (property) => {
        const value = r.Properties?.[property];
        if (value === undefined) return physicalName({ stack, logicalId, resource: r });
        if (typeof value === 'string') return value;
        if (!this.names) throw new Unresolvable(`${logicalId}.${property} is an intrinsic`);
        return this.names.string(stack, value);
      },
    };
  }

  ref(stack: string, logicalId: string): string | undefined {
    const r = this.resource(stack, logicalId);
    if (!r) return undefined;
    const cluster = this.clusters.get(`${stack}/${logicalId}`);
    if (cluster) return cluster.arn; // Ref of an MSK cluster is its ARN
    const rule = ARN_RULES.get(r.Type);
    if (rule) return rule.ref(this.named(stack, logicalId, r));
    return (
      RESOURCE_TYPES.get(r.Type)?.ref?.({ stack, logicalId, resource: r }) ??
      physicalName({ stack, logicalId, resource: r })
    );
  }

  attribute(stack: string, logicalId: string, name: string): string {
    const r = this.resource(stack, logicalId);
    if (!r) throw new Unresolvable(`Fn::GetAtt ${logicalId}.${name}: ${stack} has no resource ${logicalId}`);
    const cluster = this.clusters.get(`${stack}/${logicalId}`);
    if (cluster && name === 'Arn') return cluster.arn;
    const rule = ARN_RULES.get(r.Type)?.attributes[name];
    const value = rule
      ? rule(this.named(stack, logicalId, r))
      : RESOURCE_TYPES.get(r.Type)?.attribute?.({ stack, logicalId, resource: r }, name);
    if (value === undefined) {
      throw new Unresolvable(`Fn::GetAtt ${logicalId}.${name}: ${r.Type}'s ${name} has no local value`);
    }
    return value;
  }
}
