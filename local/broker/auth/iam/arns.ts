/**
 * MSK's resource ARNs, as its IAM access control names them (msk-iam.md §2): the cluster
 * `arn:<partition>:kafka:<region>:<account>:cluster/<name>/<uuid>` and, beside it, one ARN type per
 * Kafka resource: `topic/<name>/<uuid>/<topic>`, `group/<name>/<uuid>/<group>` and
 * `transactional-id/<name>/<uuid>/<id>`. A policy's Resource is matched against these strings.
 */

/** A cluster ARN taken apart. */
export interface ClusterArn {
  readonly arn: string;
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly clusterName: string;
  /** The cluster's UUID with MSK's suffix (`…-1`), as it appears in the ARN. */
  readonly clusterUuid: string;
}

/** The Kafka resources a check can name; `cluster` is the cluster ARN itself. */
export type ResourceScope = 'cluster' | 'topic' | 'group' | 'transactional-id';

const CLUSTER_ARN = /^arn:([a-z][a-z0-9-]*):kafka:([a-z0-9-]+):(\d{12}):cluster\/([^/]+)\/([^/]+)$/;

/** Parses a cluster ARN; throws with the value when it is not one. */
export function parseClusterArn(arn: string): ClusterArn {
  const match = CLUSTER_ARN.exec(arn);
  if (!match) {
    throw new Error(
      `"${arn}" is not an MSK cluster ARN (arn:aws:kafka:<region>:<12-digit account>:cluster/<name>/<uuid>)`,
    );
  }
  const [, partition, region, account, clusterName, clusterUuid] = match;
  return { arn, partition, region, account, clusterName, clusterUuid };
}

/** Builds a cluster ARN from its parts. */
export function clusterArn(
  parts: Omit<ClusterArn, 'arn' | 'partition'> & { readonly partition?: string },
): ClusterArn {
  const partition = parts.partition ?? 'aws';
  return parseClusterArn(
    `arn:${partition}:kafka:${parts.region}:${parts.account}:cluster/${parts.clusterName}/${parts.clusterUuid}`,
  );
}

/**
 * The ARN of a Kafka resource of `cluster`: the cluster's own for scope `cluster` (`name` is then
 * ignored), else `<scope>/<cluster name>/<cluster uuid>/<name>`. Names are used as they are: Kafka
 * topic and group names may hold characters an ARN elsewhere would escape, and MSK matches the raw name.
 */
export function resourceArn(cluster: ClusterArn, scope: ResourceScope, name: string): string {
  if (scope === 'cluster') return cluster.arn;
  const prefix = `arn:${cluster.partition}:kafka:${cluster.region}:${cluster.account}`;
  return `${prefix}:${scope}/${cluster.clusterName}/${cluster.clusterUuid}/${name}`;
}

export const topicArn = (cluster: ClusterArn, topic: string): string => resourceArn(cluster, 'topic', topic);
export const groupArn = (cluster: ClusterArn, group: string): string => resourceArn(cluster, 'group', group);
export const transactionalIdArn = (cluster: ClusterArn, id: string): string =>
  resourceArn(cluster, 'transactional-id', id);
