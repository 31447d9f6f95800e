/**
 * What an event source mapping needs on an MSK cluster with IAM access control, and which of it a
 * role lacks. AWS's mapping polls with its function's execution role and needs kafka-cluster Connect
 * and DescribeClusterDynamicConfiguration on the cluster, DescribeTopic and ReadData on the topic,
 * DescribeGroup and AlterGroup on its consumer group (msk-iam.md §5). A refusal the broker answers
 * says only which kind of resource was refused (an error code); this names the permissions behind it.
 * Pure: the role's policies are decided by the authorizer handed in.
 */
import { parseClusterArn, resourceArn, type ResourceScope } from '../../broker/auth/iam/arns';
import type { Authorizer, Principal } from '../../broker/auth/iam/types';
import { ErrorCode } from '../../kafka/errors';

/** One permission a mapping needs. */
export interface MappingGrant {
  readonly action: string;
  readonly resource: string;
  readonly scope: Exclude<ResourceScope, 'transactional-id'>;
}

const ACTIONS: Readonly<Record<MappingGrant['scope'], readonly string[]>> = {
  cluster: ['kafka-cluster:Connect', 'kafka-cluster:DescribeClusterDynamicConfiguration'],
  topic: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
  group: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
};

/** The permissions a mapping of `topic` with consumer group `group` needs on `clusterArn`. */
export function mappingGrants(clusterArn: string, topic: string, group: string): MappingGrant[] {
  const cluster = parseClusterArn(clusterArn);
  const names = { cluster: cluster.clusterName, topic, group };
  return (Object.keys(ACTIONS) as MappingGrant['scope'][]).flatMap((scope) =>
    ACTIONS[scope].map((action) => ({ action, scope, resource: resourceArn(cluster, scope, names[scope]) })),
  );
}

/** The scope a refusal's error code points at. */
const SCOPE_OF_CODE: ReadonlyMap<number, MappingGrant['scope']> = new Map([
  [ErrorCode.SASL_AUTHENTICATION_FAILED, 'cluster'],
  [ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'cluster'],
  [ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'topic'],
  [ErrorCode.GROUP_AUTHORIZATION_FAILED, 'group'],
]);

/**
 * The needed permissions `principal` lacks, in the words the broker's denials use
 * (`<action> on <ARN> is not allowed for <principal ARN>`): those of the scope `errorCode` points at,
 * or all of them for any other code.
 */
export function missingMappingGrants(
  authorizer: Authorizer,
  principal: Principal,
  grants: readonly MappingGrant[],
  errorCode?: number,
): string[] {
  const scope = errorCode === undefined ? undefined : SCOPE_OF_CODE.get(errorCode);
  return grants
    .filter((g) => scope === undefined || g.scope === scope)
    .filter((g) => !authorizer.authorize(principal, g.action, g.resource).allowed)
    .map((g) => `${g.action} on ${g.resource} is not allowed for ${principal.arn}`);
}
