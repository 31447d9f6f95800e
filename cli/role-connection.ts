/**
 * `--as-role NAME`: `kw topics|produce|consume|groups` as one of the app's roles, on the running
 * `kw up`'s MSK IAM listener, so a learner sees what a role may do and watches a denial happen.
 *
 * The decisions are pure and tested alone: which listener, credentials file and profile the flags and
 * the run file give (`roleTarget`), which profiles a credentials file holds, and what a refusal tells
 * the user (`refusalLine`): the Kafka error, the resource, the actions MSK checks for it and its ARN,
 * because kafkajs' own message ("Not authorized to access topics") names none of them. Reading the
 * keys and building the kafkajs SASL settings are the two I/O functions at the end.
 */
import type { SASLOptions } from 'kafkajs';
import { readFileSync } from 'node:fs';
import { parseClusterArn, resourceArn, type ClusterArn } from '../local/broker/auth/iam/arns';
import { ErrorCode } from '../local/kafka/errors';
import { FindCoordinatorSchema } from '../local/kafka/messages/10-find-coordinator';
import { BootstrapError, parseBootstrapServers } from '../local/runtime/kafka/bootstrap';
import { mskIamToken } from '../local/runtime/kafka/iam-token';
import {
  KafkaAuthenticationError,
  WireClient,
  type SaslOauthBearer,
} from '../local/runtime/kafka/wire-client';
import { profileKeys, type ProfileKeys } from '../local/runtime/iam/url-signing';
import { LOCAL_REGION } from '../local/runtime/template/intrinsics';
import type { RunInfo } from './run-file';

/** The connection flags this module reads. */
export interface RoleFlags {
  readonly 'as-role'?: string;
  readonly credentials?: string;
  readonly bootstrap?: string;
  readonly 'cluster-arn'?: string;
  readonly region?: string;
}

/** Why `--as-role` cannot connect (no run, no such profile, no file); the message says what to do. */
export class RoleConnectionError extends Error {
  public override readonly name = 'RoleConnectionError';
}

/** Where and as whom a `--as-role` command connects. */
export interface RoleTarget {
  readonly profile: string;
  readonly credentialsFile: string;
  /** The IAM listeners. */
  readonly bootstrapServers: readonly string[];
  /** The MSK cluster ARN the listener stands for, when the run file names it: refusals name ARNs from it. */
  readonly clusterArn?: string;
  /** The region tokens are signed for: the broker refuses a token for another. */
  readonly region: string;
}

/** A connection-flag combination that makes no sense (a usage error), or undefined. */
export function connectionFlagProblem(flags: RoleFlags): string | undefined {
  if (flags['as-role'] !== undefined && flags['cluster-arn'] !== undefined)
    return '--as-role signs as a local role of the running kw up; on AWS (--cluster-arn) your own AWS credentials are used: drop one of them';
  if (flags['as-role'] === '') return '--as-role needs a profile NAME, e.g. --as-role enrich';
  if (flags.credentials !== undefined && flags['as-role'] === undefined)
    return '--credentials names the file --as-role reads its profile from: add --as-role NAME';
  return undefined;
}

/**
 * The listener, credentials file and profile for `--as-role`: the flags where given, else the running
 * `kw up` (its run file). $KW_BOOTSTRAP is not read: it names plain listeners, where no one signs.
 */
export function roleTarget(flags: RoleFlags, run: RunInfo | undefined): RoleTarget {
  const profile = flags['as-role'];
  if (!profile) throw new RoleConnectionError('--as-role needs a profile NAME');
  const bootstrap = flags.bootstrap ?? run?.iam?.bootstrapServers;
  const credentialsFile = flags.credentials ?? run?.iam?.credentialsFile;
  if (bootstrap === undefined || credentialsFile === undefined) {
    const missing = [
      ...(bootstrap === undefined ? ['--bootstrap'] : []),
      ...(credentialsFile === undefined ? ['--credentials'] : []),
    ].join(' and ');
    throw new RoleConnectionError(
      run
        ? `the running kw up does not enforce IAM (it was started with --no-iam, or on an existing cluster), so it has no role to sign as: restart it with 'npm start', or pass ${missing}`
        : `no running 'kw up' with IAM found: start one with 'npm start', or pass ${missing} (an IAM listener and the credentials file with profile '${profile}')`,
    );
  }
  let bootstrapServers: string[];
  try {
    bootstrapServers = parseBootstrapServers(bootstrap);
  } catch (error) {
    if (!(error instanceof BootstrapError)) throw error;
    throw new RoleConnectionError(`--bootstrap: ${error.message}`);
  }
  const clusterArn = run?.iam?.clusterArn;
  let region = flags.region;
  if (region === undefined && clusterArn !== undefined) {
    try {
      region = parseClusterArn(clusterArn).region;
    } catch {
      // A run file with a malformed ARN: sign for the local region, as kw up's broker checks by default.
    }
  }
  return {
    profile,
    credentialsFile,
    bootstrapServers,
    ...(clusterArn === undefined ? {} : { clusterArn }),
    region: region ?? LOCAL_REGION,
  };
}

/** The profile names of a shared credentials file's text, in file order. */
export function profileNames(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const header = /^\s*\[\s*(.+?)\s*\]\s*$/.exec(line);
    if (header) names.push(header[1]);
  }
  return names;
}

/** `profile`'s keys from the credentials file's `text`; an unknown profile is refused with the ones there are. */
export function roleKeys(text: string, target: Pick<RoleTarget, 'profile' | 'credentialsFile'>): ProfileKeys {
  const names = profileNames(text);
  if (!names.includes(target.profile)) {
    throw new RoleConnectionError(
      `no profile '${target.profile}' in ${target.credentialsFile}; it has: ${names.join(', ') || 'none'}`,
    );
  }
  try {
    return profileKeys(text, target.profile, target.credentialsFile);
  } catch (error) {
    throw new RoleConnectionError((error as Error).message);
  }
}

/** The errors that say the cluster refused who the client is or what it asked, as kafkajs types them. */
export const REFUSALS = [
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
] as const;
export type RefusalType = (typeof REFUSALS)[number];

/**
 * The refusal in a kafkajs error, wherever kafkajs put it: the error's `type`, a retrier's `cause`,
 * an aggregate's `errors`, DeleteGroups' per-group `groups[].error`. A failed SASL handshake is a
 * KafkaJSSASLAuthenticationError without a type.
 */
export function refusalType(error: unknown): RefusalType | undefined {
  const seen = new Set<unknown>();
  const visit = (e: unknown): RefusalType | undefined => {
    if (typeof e !== 'object' || e === null || seen.has(e)) return undefined;
    seen.add(e);
    const x = e as {
      type?: unknown;
      name?: unknown;
      cause?: unknown;
      errors?: unknown;
      groups?: unknown;
    };
    if ((REFUSALS as readonly unknown[]).includes(x.type)) return x.type as RefusalType;
    if (x.name === 'KafkaJSSASLAuthenticationError') return 'SASL_AUTHENTICATION_FAILED';
    const inner = [
      x.cause,
      ...(Array.isArray(x.errors) ? x.errors : []),
      ...(Array.isArray(x.groups) ? x.groups.map((g: { error?: unknown }) => g?.error) : []),
    ];
    for (const i of inner) {
      const found = visit(i);
      if (found) return found;
    }
    return undefined;
  };
  return visit(error);
}

/**
 * Whether the error is kafkajs' "Failed to find group coordinator": it asks every broker for the
 * group's coordinator and, when each refuses, keeps none of their answers, so a denied DescribeGroup
 * (GROUP_AUTHORIZATION_FAILED) looks like a cluster without a coordinator. `groupLookupRefusal` asks again.
 */
export function hidesGroupRefusal(error: unknown): boolean {
  for (let e = error as { name?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.name === 'KafkaJSGroupCoordinatorNotFound') return true;
  }
  return false;
}

type TopicAction =
  | 'DescribeTopic'
  | 'WriteData'
  | 'ReadData'
  | 'CreateTopic'
  | 'AlterTopic'
  | 'DeleteTopic'
  | 'DescribeTopicDynamicConfiguration';
type GroupAction = 'DescribeGroup' | 'AlterGroup' | 'DeleteGroup';

/** The `kafka-cluster` actions an operation needs, per kind of resource (msk-iam.md's table, per request the command sends). */
interface Needs {
  readonly topic?: readonly TopicAction[];
  readonly group?: readonly GroupAction[];
}

/** What each command asks of the cluster, beyond kafka-cluster:Connect (checked at sign-in). */
export const NEEDS = {
  produce: { topic: ['WriteData', 'DescribeTopic'] },
  // Without --group, kw consume reads as a throwaway group kw-console-<uuid>.
  consume: { topic: ['ReadData', 'DescribeTopic'], group: ['AlterGroup', 'DescribeGroup'] },
  'topics create': { topic: ['CreateTopic', 'DescribeTopic'] },
  'topics list': { topic: ['DescribeTopic'] },
  'topics describe': { topic: ['DescribeTopic', 'DescribeTopicDynamicConfiguration'] },
  'topics alter': { topic: ['AlterTopic', 'DescribeTopic'] },
  'topics delete': { topic: ['DeleteTopic', 'DescribeTopic'] },
  'groups list': { group: ['DescribeGroup'] },
  'groups describe': { group: ['DescribeGroup'], topic: ['DescribeTopic'] },
  'groups reset-offsets': { group: ['AlterGroup', 'DescribeGroup'], topic: ['ReadData', 'DescribeTopic'] },
  'groups delete': { group: ['DeleteGroup', 'DescribeGroup'] },
} as const satisfies Record<string, Needs>;

export type Operation = keyof typeof NEEDS;

/** The `kw` command an operation belongs to: `topics` for `topics create`. */
export function commandOf(operation: Operation): string {
  return operation.split(' ')[0];
}

/** What a command was doing when the cluster may refuse it: the operation and the topic and group it names. */
export interface Access {
  readonly operation: Operation;
  readonly topic?: string;
  readonly group?: string;
}

/** Who the refusal was for. */
export interface Refused {
  /** `kw <command>`'s command. */
  readonly command: string;
  /** The --as-role profile; undefined with --cluster-arn (the user's own AWS credentials). */
  readonly role?: string;
  /** The cluster ARN, when known: the resource ARNs are built from it. Neither it nor `role`: a plaintext cluster. */
  readonly clusterArn?: string;
  /** The credentials file the role's keys come from. */
  readonly credentialsFile?: string;
}

const KIND_OF: Record<Exclude<RefusalType, 'SASL_AUTHENTICATION_FAILED'>, 'topic' | 'group' | 'cluster'> = {
  TOPIC_AUTHORIZATION_FAILED: 'topic',
  GROUP_AUTHORIZATION_FAILED: 'group',
  CLUSTER_AUTHORIZATION_FAILED: 'cluster',
};

/** `kafka-cluster:A`, `kafka-cluster:A and B`, `kafka-cluster:A, B and C`. */
function actionList(actions: readonly string[]): string {
  const [first, ...rest] = actions;
  const last = rest.pop();
  return `kafka-cluster:${[first, ...rest].join(', ')}${last === undefined ? '' : ` and ${last}`}`;
}

/** The ARN of the resource, or its shape with placeholders when the cluster is not known. */
function arnOf(clusterArn: string | undefined, kind: 'topic' | 'group' | 'cluster', name?: string): string {
  let cluster: ClusterArn | undefined;
  try {
    cluster = clusterArn === undefined ? undefined : parseClusterArn(clusterArn);
  } catch {
    cluster = undefined;
  }
  if (!cluster) {
    const tail = kind === 'cluster' ? '<cluster>/<uuid>' : `<cluster>/<uuid>/${name ?? `<${kind}>`}`;
    return `arn:aws:kafka:<region>:<account>:${kind}/${tail}`;
  }
  return resourceArn(cluster, kind, name ?? `<${kind}>`);
}

/**
 * The one line a refused command ends with: who was refused, the Kafka error, the resource, the
 * actions MSK checks for it on the command's requests, and the ARN. Which of those actions failed,
 * only the broker knows: the kw up log names it.
 */
export function refusalLine(type: RefusalType, who: Refused, access?: Access): string {
  const { command, role, clusterArn } = who;
  if (role === undefined && clusterArn === undefined) {
    // A plaintext cluster whose ACLs refuse the anonymous client: no IAM actions to name.
    return `kw ${command}: the cluster refused the request: ${type}${access?.topic ? ` (topic ${access.topic})` : ''}`;
  }
  if (type === 'SASL_AUTHENTICATION_FAILED') {
    const cluster = arnOf(clusterArn, 'cluster');
    if (role === undefined)
      return `kw ${command}: your AWS credentials were refused at sign-in: ${type} (MSK checks the token's signature, then kafka-cluster:Connect on ${cluster})`;
    const file = who.credentialsFile ? ` in ${who.credentialsFile}` : '';
    return (
      `kw ${command}: role ${role} was refused at sign-in: ${type} (MSK checks the token's signature, ` +
      `made with profile ${role}'s keys${file}, then kafka-cluster:Connect on ${cluster}; keys from an ` +
      'earlier kw up run are no longer valid); the kw up log names the exact reason'
    );
  }
  const kind = KIND_OF[type];
  const needs: Needs = access ? NEEDS[access.operation] : {};
  const name = kind === 'topic' ? access?.topic : kind === 'group' ? access?.group : undefined;
  const actions = kind === 'cluster' ? undefined : needs[kind];
  const what = kind === 'cluster' ? 'the cluster' : name === undefined ? `a ${kind}` : `${kind} ${name}`;
  const arn = arnOf(clusterArn, kind, name);
  const checks =
    actions && actions.length > 0
      ? `MSK checks ${actionList(actions)} on ${arn}`
      : `MSK checks a kafka-cluster action on ${arn}`;
  const subject = role === undefined ? 'your AWS credentials are' : `role ${role} is`;
  const logHint = role === undefined ? '' : '; the kw up log names the exact action';
  return `kw ${command}: ${subject} not authorized: ${type} on ${what} (${checks})${logHint}`;
}

/** The note for a listing as a role: what it may not describe is left out, not refused. */
export function omittedNote(role: string, kind: 'topics' | 'groups'): string {
  return kind === 'topics'
    ? `(as role ${role}: topics it may not describe, kafka-cluster:DescribeTopic, are left out, as Kafka's Metadata leaves them out)`
    : `(as role ${role}: groups it may not describe, kafka-cluster:DescribeGroup, are left out unless it has kafka-cluster:DescribeCluster)`;
}

/** Reads the role's keys from its credentials file; refuses a missing file or profile with what to do. */
export function readRoleKeys(target: Pick<RoleTarget, 'profile' | 'credentialsFile'>): ProfileKeys {
  let text: string;
  try {
    text = readFileSync(target.credentialsFile, 'utf8');
  } catch (error) {
    throw new RoleConnectionError(
      `cannot read the credentials file ${target.credentialsFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): kw up writes it; pass --credentials FILE for another`,
    );
  }
  return roleKeys(text, target);
}

/** An MSK IAM token (the signer's presigned kafka-cluster:Connect URL) signed with `keys`. */
function signedToken(keys: ProfileKeys, region: string): Promise<string> {
  return mskIamToken(keys, region).token();
}

/** kw's own client's SASL settings for MSK IAM signed with `keys`: a fresh token for every sign-in. */
export function roleSasl(keys: ProfileKeys, region: string): SaslOauthBearer {
  return { token: () => signedToken(keys, region) };
}

/** kafkajs' SASL settings for MSK IAM signed with `keys`: a fresh OAUTHBEARER token for every sign-in. */
export function mskIamSasl(keys: ProfileKeys, region: string): SASLOptions {
  return {
    mechanism: 'oauthbearer',
    oauthBearerProvider: async () => ({ value: await signedToken(keys, region) }),
  };
}

/**
 * The refusal behind kafkajs' "Failed to find group coordinator" for `group`, if there is one: kw asks
 * FindCoordinator itself, as the role, from the first IAM listener that answers. Undefined when the
 * lookup is not refused (the cluster really has no coordinator for it) or no listener answers.
 */
export async function groupLookupRefusal(
  target: RoleTarget,
  keys: ProfileKeys,
  group: string,
): Promise<RefusalType | undefined> {
  for (const address of target.bootstrapServers) {
    let client: WireClient | undefined;
    try {
      client = await WireClient.open(address, 'kw-as-role', 3000, {
        token: () => signedToken(keys, target.region),
      });
      const answer = await client.request(FindCoordinatorSchema, 2, { Key: group, KeyType: 0 }, 5000);
      return answer.ErrorCode === ErrorCode.GROUP_AUTHORIZATION_FAILED
        ? 'GROUP_AUTHORIZATION_FAILED'
        : undefined;
    } catch (error) {
      if (error instanceof KafkaAuthenticationError) return 'SASL_AUTHENTICATION_FAILED';
    } finally {
      client?.close();
    }
  }
  return undefined;
}
