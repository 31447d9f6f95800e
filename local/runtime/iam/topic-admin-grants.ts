/**
 * What the topic-admin custom resource needs on an MSK cluster with IAM access control to create or
 * grow the app's topics, and which of it its function's role lacks. On AWS the custom resource's
 * function does the work with its execution role: it lists the topics and reads their metadata
 * (DescribeTopic), then creates a missing topic (CreateTopic) or adds partitions (AlterTopic), all
 * after connecting (Connect on the cluster). A missing permission fails the stack's deployment at
 * that topic; locally it stops `kw up` with the same names. Pure: the role's policies are decided by
 * the authorizer handed in.
 */
import { parseClusterArn, resourceArn } from '../../broker/auth/iam/arns';
import type { Authorizer, Principal } from '../../broker/auth/iam/types';

/** What provisioning does to a topic. */
export type TopicChange = 'create' | 'grow' | 'keep';

const TOPIC_ACTIONS: Readonly<Record<TopicChange, readonly string[]>> = {
  create: ['kafka-cluster:DescribeTopic', 'kafka-cluster:CreateTopic'],
  grow: ['kafka-cluster:DescribeTopic', 'kafka-cluster:AlterTopic'],
  keep: ['kafka-cluster:DescribeTopic'],
};

/**
 * The permissions `principal` lacks to apply `change` to `topic` on `clusterArn`, each as
 * `<action> on <ARN> is not allowed for <principal ARN>` (the words of the broker's denials).
 */
export function missingTopicAdminGrants(
  authorizer: Authorizer,
  principal: Principal,
  clusterArn: string,
  topic: string,
  change: TopicChange,
): string[] {
  const cluster = parseClusterArn(clusterArn);
  const needed = [
    { action: 'kafka-cluster:Connect', resource: clusterArn },
    ...TOPIC_ACTIONS[change].map((action) => ({ action, resource: resourceArn(cluster, 'topic', topic) })),
  ];
  return needed
    .filter((g) => !authorizer.authorize(principal, g.action, g.resource).allowed)
    .map((g) => `${g.action} on ${g.resource} is not allowed for ${principal.arn}`);
}
