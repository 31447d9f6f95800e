/** What every API handler file exports, and what a handler gets to work with. */
import type { RequestAccess } from '../auth/authorize-request';
import type { Principal } from '../auth/iam/types';
import type { SaslSession } from '../auth/sasl/session';
import type { Cluster, BrokerInfo, Partition } from '../cluster/cluster';
import { ErrorCode } from '../../kafka/errors';
import type { GroupCoordinator } from '../groups/group-coordinator';
import type { ApiVersionsSchema } from '../../kafka/messages/18-api-versions';
import type { RequestHeader } from '../../kafka/request-frame';
import type { ApiSchema, RequestOf, ResponseInput } from '../../kafka/schema';

export type { RequestHeader };

export interface RequestContext {
  readonly cluster: Cluster;
  /** The broker the request arrived at. */
  readonly broker: BrokerInfo;
  readonly groups: GroupCoordinator;
  readonly header: RequestHeader;
  /** The client's address as Kafka reports it in DescribeGroups (`/127.0.0.1`). */
  readonly clientHost: string;
  /** Runs `callback` when the connection closes, so long waits can stop early; returns an unsubscribe. */
  readonly onClose: (callback: () => void) => () => void;
  /** The ApiVersions list (key, min, max of every registered handler). */
  readonly apiKeys: ResponseInput<typeof ApiVersionsSchema>['ApiKeys'];
  /** The connection's SASL state, on the IAM listener only. */
  readonly sasl?: SaslSession;
  /** Who the connection had authenticated as when the request arrived (IAM listener only). */
  readonly principal?: Principal;
  /**
   * What MSK's IAM authorization decided for this request (IAM listener with an authorizer only):
   * handlers answer denials through requestDenial, entryDenial and omitted (auth/authorize-request.ts).
   */
  readonly access?: RequestAccess;
  /**
   * Where a broker is reached on the listener the request came in on, for Metadata, FindCoordinator and
   * Fetch's leader endpoints: a client that bootstraps on the IAM listener must stay on it.
   * @default the broker's own host and port (the plain listener)
   */
  readonly advertise?: (broker: BrokerInfo) => Endpoint;
}

/** A broker's address as a response tells it. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** The address of `broker` on the listener this request arrived at. */
export function endpointOf(context: RequestContext, broker: BrokerInfo): Endpoint {
  return context.advertise?.(broker) ?? { host: broker.host, port: broker.port };
}

/** A handler of one API; `S` types the request it reads and the response it returns. */
export interface ApiHandler<S extends ApiSchema = ApiSchema> {
  readonly key: number;
  readonly name: string;
  readonly schema: S;
  /** Versions advertised in ApiVersions and accepted. */
  readonly minVersion: number;
  readonly maxVersion: number;
  /** Returns the response body, or null when Kafka sends no response (Produce with acks=0). */
  handle(
    request: RequestOf<S>,
    context: RequestContext,
  ): Promise<ResponseInput<S> | null> | ResponseInput<S> | null;
}

/**
 * Thrown by a handler to close the connection without an answer, as Kafka does when it has no way to
 * report an error (a failed Produce with acks=0). The connection logs the message, not a stack.
 */
export class CloseConnection extends Error {
  public override readonly name = 'CloseConnection';
}

/** Whether the broker a request reached coordinates `groupId`: Kafka answers NOT_COORDINATOR otherwise. */
export function coordinatesGroup(context: RequestContext, groupId: string): boolean {
  return context.cluster.groupCoordinator(groupId)?.nodeId === context.broker.nodeId;
}

/**
 * Whether the broker a request reached may serve `partition` as its leader, as Kafka's
 * localLogWithEpochOrThrow decides: a replica checks the client's CurrentLeaderEpoch first
 * (-1: no check; older: FENCED_LEADER_EPOCH; newer: UNKNOWN_LEADER_EPOCH), then leadership
 * (NOT_LEADER_OR_FOLLOWER). NONE when it may.
 */
export function leaderCheck(context: RequestContext, partition: Partition, currentLeaderEpoch = -1): number {
  const nodeId = context.broker.nodeId;
  if (partition.replicas.includes(nodeId) && currentLeaderEpoch >= 0) {
    if (currentLeaderEpoch < partition.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
    if (currentLeaderEpoch > partition.leaderEpoch) return ErrorCode.UNKNOWN_LEADER_EPOCH;
  }
  return partition.leader === nodeId ? ErrorCode.NONE : ErrorCode.NOT_LEADER_OR_FOLLOWER;
}
