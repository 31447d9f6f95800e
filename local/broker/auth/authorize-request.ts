/**
 * Authorization of every request on the IAM listener, as MSK makes it: the action table
 * (iam/msk-actions.ts) lists a request's checks, the Authorizer decides each once, and the handler
 * reads the outcome from its RequestContext (`access`) to answer Kafka's error codes itself: the whole
 * request (requestDenial), one entry (entryDenial: a topic's partitions, a group, a config resource),
 * or an entry left out (omitted: all-topics Metadata, ListGroups). Handlers keep their response shapes;
 * this module only knows names and codes.
 *
 * Each denial is logged once per principal, action and resource, with the action and the ARN that
 * are missing, and counted, so a user (and `kw up`) can tell which permission to add. Entries only
 * left out of an answer are not denials: Kafka's authorizer does not log them either.
 */
import { ErrorCode } from '../../kafka/errors';
import type { GroupCoordinator } from '../groups/group-coordinator';
import type { Cluster } from '../cluster/cluster';
import type { ClusterArn, ResourceScope } from './iam/arns';
import {
  accessChecks,
  applyChecks,
  missingPermissionMessage,
  type AccessCheck,
  type BrokerFacts,
} from './iam/msk-actions';
import type { Authorizer, Decision, Principal } from './iam/types';

/** What authorization decided for one request; the handler answers by it. */
export interface RequestAccess {
  /** The code every entry of the response answers when a request-wide check was denied. */
  readonly requestCode: number;
  /** Denied entries: `key(scope, name, group)` → the code they answer. */
  readonly entryCodes: ReadonlyMap<string, number>;
  /** Entries left out of the answer without an error. */
  readonly omitted: ReadonlySet<string>;
}

const key = (scope: ResourceScope, name: string, group?: string) => `${group ?? ''}\n${scope}\n${name}`;

/** One denied permission, as `RunningBroker.denials()` reports it. */
export interface DenialRecord {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly reason: Extract<Decision, { allowed: false }>['reason'];
  /** The policy (and statement) whose Deny denied it, for an explicit deny. */
  readonly deniedBy?: string;
  /** How many checks it failed. */
  readonly count: number;
  /** The text logged: the action, the ARN and the principal. */
  readonly message: string;
}

/** The request-time view of the broker the action table needs. */
export interface RequestScope {
  readonly cluster: Cluster;
  readonly groups: GroupCoordinator;
  readonly apiVersion: number;
}

/** The facts the action table asks for beyond the request, read from the live cluster. */
export function brokerFacts(clusterArn: ClusterArn, scope: RequestScope): BrokerFacts {
  const { cluster, groups } = scope;
  return {
    cluster: clusterArn,
    apiVersion: scope.apiVersion,
    autoCreateTopics: cluster.autoCreateTopics,
    topicNames: () => [...cluster.topics.keys()],
    topicNameById: (id) => cluster.topicById(id)?.name,
    groupIds: () => groups.list().map((g) => g.groupId),
    committedTopics: (group) => [...new Set(groups.committedPartitions(group).map((p) => p.topic))],
  };
}

/** Authorizes requests for one broker process and keeps the denials it saw. */
export class RequestAuthorizer {
  private readonly seen = new Map<string, DenialRecord>();

  constructor(
    private readonly authorizer: Authorizer,
    private readonly clusterArn: ClusterArn,
    private readonly log: (message: string) => void,
  ) {}

  /** Decides the checks of a request of API `apiKey` made by `principal`. */
  access(apiKey: number, request: unknown, principal: Principal, scope: RequestScope): RequestAccess {
    const checks = accessChecks(apiKey, request, brokerFacts(this.clusterArn, scope));
    const verdict = applyChecks(checks, (c) => {
      const decision = this.authorizer.authorize(principal, c.action, c.resource);
      // Filtering (all-topics Metadata, ListGroups) is not a denial: Kafka does not log it either.
      if (!decision.allowed && (c.onDeny === 'request' || c.onDeny === 'entry'))
        this.denied(principal, c, decision);
      return decision;
    });
    return {
      requestCode: verdict.request?.check.errorCode ?? ErrorCode.NONE,
      entryCodes: new Map(
        verdict.entries.map((d) => [key(d.check.scope, d.check.name, d.check.group), d.check.errorCode]),
      ),
      omitted: new Set(verdict.omitted.map((c) => key(c.scope, c.name, c.group))),
    };
  }

  /** Every permission denied so far, first denied first. */
  denials(): readonly DenialRecord[] {
    return [...this.seen.values()];
  }

  private denied(principal: Principal, check: AccessCheck, decision: Extract<Decision, { allowed: false }>) {
    const id = `${principal.arn}\n${check.action}\n${check.resource}`;
    const known = this.seen.get(id);
    if (known) {
      this.seen.set(id, { ...known, count: known.count + 1 });
      return;
    }
    const message = missingPermissionMessage(check, principal);
    const deniedBy =
      decision.by === undefined ? undefined : `${decision.by}${decision.sid ? `/${decision.sid}` : ''}`;
    this.seen.set(id, {
      principal: principal.arn,
      action: check.action,
      resource: check.resource,
      reason: decision.reason,
      ...(deniedBy === undefined ? {} : { deniedBy }),
      count: 1,
      message,
    });
    const why =
      decision.reason === 'explicit-deny' ? `explicitly denied by ${deniedBy}` : 'no policy allows it';
    this.log(`IAM authorization denied: ${message} (${why})`);
  }
}

/** What a handler reads: the context's `access`, present on the IAM listener with an authorizer. */
interface Authorized {
  readonly access?: RequestAccess;
}

/** The code the whole request answers (NONE when it may proceed). */
export const requestDenial = (context: Authorized): number => context.access?.requestCode ?? ErrorCode.NONE;

/**
 * The code an entry answers (NONE when allowed): a request-wide denial first, else the entry's own.
 * `group` names the group of a topic inside a multi-group request (OffsetFetch v8+).
 */
export function entryDenial(context: Authorized, scope: ResourceScope, name: string, group?: string): number {
  const access = context.access;
  if (!access) return ErrorCode.NONE;
  return access.requestCode || (access.entryCodes.get(key(scope, name, group)) ?? ErrorCode.NONE);
}

/** Whether an entry is left out of the answer (all-topics Metadata, ListGroups, OffsetFetch of every topic). */
export const omitted = (context: Authorized, scope: ResourceScope, name: string, group?: string): boolean =>
  context.access?.omitted.has(key(scope, name, group)) ?? false;
