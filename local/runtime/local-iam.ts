/**
 * IAM for `kw up` (on unless `--no-iam`): the app's roles and their policies as the synthesized template declares them,
 * a local key pair per role written to AWS shared config files under the runtime's output folder, and
 * the authorizer the broker's IAM listener and the Function URLs check requests with.
 *
 * Besides the app's roles there is one caller: a `caller` profile whose only permission is
 * lambda:InvokeFunctionUrl, standing for whoever calls a Function URL with AWS_IAM auth from outside
 * the app (`kw load`, curl --aws-sigv4, the workshop's examples). On AWS that is the learner's own
 * identity; the app's roles do not carry the permission, so signing with one of them is refused, as
 * it would be on AWS.
 */
import type { NamedPolicy, Principal, Authorizer } from '../broker/auth/iam/types';
import { analyzePolicies, createAuthorizer } from '../broker/auth/iam/policy-evaluator';
import {
  generateCredentials,
  writeCredentialFiles,
  type LocalCredentials,
  type RoleCredentials,
  type WrittenCredentialFiles,
} from './iam/local-credentials';
import { loadRolePolicies, type AppRolePolicies } from './iam/role-policies';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './template/intrinsics';

/** The profile `kw load` and the workshop's curl examples sign Function URL requests with. */
export const CALLER_PROFILE = 'caller';
/** The caller's identity: not a role of the app. */
export const CALLER_ARN = `arn:aws:iam::${LOCAL_ACCOUNT}:role/kw-local-caller`;
const CALLER_POLICY: NamedPolicy = {
  name: 'kw-local-caller',
  document: {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunctionUrl',
        Resource: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:*`,
      },
    ],
  },
};

/** What the runtime runs IAM with. */
export interface LocalIam {
  /** The MSK cluster the embedded broker stands for: the ARN policies, tokens and denials name. */
  readonly clusterArn: string;
  readonly policies: AppRolePolicies;
  readonly credentials: LocalCredentials;
  readonly files: WrittenCredentialFiles;
  readonly authorizer: Authorizer;
  /** The profile for calling Function URLs: `caller` (`kw-caller` if an app role took that name). */
  readonly callerProfile: string;
  /** The credentials of the role function `functionId` (`stack/logicalId`) runs with, if it is in the app. */
  functionCredentials(functionId: string): RoleCredentials | undefined;
}

/** The principal a role's credentials stand for. */
export function principalOf(credentials: RoleCredentials): Principal {
  return { arn: credentials.roleArn, accessKeyId: credentials.accessKeyId };
}

/** What a user should know about the policies before the first denial: one line each. */
export function policyReport(policies: AppRolePolicies): string[] {
  const lines: string[] = [];
  for (const role of policies.roles.values()) {
    const { undecidable, invalid } = analyzePolicies(role.policies);
    for (const p of undecidable)
      lines.push(
        `IAM: role ${role.profile}: policy ${p.policy}${p.sid ? ` statement ${p.sid}` : ''} has a condition decided only on AWS (${p.reason}): locally its Allow never allows, its Deny always denies`,
      );
    for (const p of invalid)
      lines.push(
        `IAM: role ${role.profile}: policy ${p.policy}${p.sid ? ` statement ${p.sid}` : ''} matches nothing (${p.reason})`,
      );
  }
  for (const u of policies.unresolved)
    lines.push(
      `IAM: ${u.resourceId}${u.policy ? ` policy ${u.policy}` : ''} ${u.path}${u.effect ? ` (${u.effect})` : ''}: no local value (${u.detail}); it matches no action or ARN here`,
    );
  for (const note of policies.notes) lines.push(`IAM: ${note}`);
  return lines;
}

/** Why IAM is not enforced for an app without an MSK cluster. */
export const NO_MSK_CLUSTER =
  'the app has no MSK cluster (a self-managed Kafka cluster has no IAM access control)';

/** Thrown when IAM is asked for an app with nothing to enforce it on. */
export class NoMskClusterError extends Error {
  constructor() {
    super(`IAM enforcement needs an MSK cluster: ${NO_MSK_CLUSTER}`);
  }
}

/**
 * Reads the roles' policies of the assembly in `assemblyDir`, makes the run's credentials and writes
 * them under `outputDir/aws`. Throws NoMskClusterError when the app has no MSK cluster.
 */
export function setUpLocalIam(assemblyDir: string, outputDir: string, log: (line: string) => void): LocalIam {
  const policies = loadRolePolicies(assemblyDir);
  const [cluster, ...others] = policies.clusters;
  if (!cluster) throw new NoMskClusterError();
  if (others.length > 0)
    log(
      `IAM: the app declares ${policies.clusters.length} MSK clusters; the embedded broker stands for ${cluster.id} (${cluster.arn})`,
    );
  for (const line of policyReport(policies)) log(line);

  const roles = [...policies.roles.values()];
  const caller = roles.some((r) => r.profile === CALLER_PROFILE) ? `kw-${CALLER_PROFILE}` : CALLER_PROFILE;
  const credentials = generateCredentials([
    ...roles.map((r) => ({ roleArn: r.roleArn, profile: r.profile })),
    { roleArn: CALLER_ARN, profile: caller },
  ]);
  const files = writeCredentialFiles(outputDir, credentials, LOCAL_REGION);
  log(
    `IAM enforced: profiles ${credentials.all.map((c) => c.profile).join(', ')} in ${files.credentialsFile}`,
  );
  const authorizer = createAuthorizer(
    new Map<string, readonly NamedPolicy[]>([
      ...roles.map((r) => [r.roleArn, r.policies] as const),
      [CALLER_ARN, [CALLER_POLICY]],
    ]),
  );
  return {
    clusterArn: cluster.arn,
    policies,
    credentials,
    files,
    authorizer,
    callerProfile: caller,
    functionCredentials(functionId) {
      const role = policies.functionRoles.get(functionId);
      return role === undefined ? undefined : credentials.forRole(role);
    },
  };
}
