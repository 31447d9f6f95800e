// FindCoordinator: v0–6. Behaviour: each group has one coordinating broker, chosen by the hash of its
// id as Kafka chooses an offsets-topic partition (cluster.groupCoordinator), moving to the next live
// broker when it stops; the others answer that group's requests with NOT_COORDINATOR, so clients must
// look it up as on Kafka, and COORDINATOR_NOT_AVAILABLE when no candidate is alive. Transactions are not implemented, so a transaction coordinator (key
// type 1) is refused with CLUSTER_AUTHORIZATION_FAILED and a message saying so: of the codes a Kafka
// broker can answer here it is the one every client treats as final. librdkafka retries any other
// code until its timeout (only 31 and 53 are fatal in rdkafka_txnmgr.c); the Java client and
// kafka-python fail on any non-retriable code, but turn 53 into a generic authorization error that
// drops the message. Other key types get INVALID_REQUEST.
import { entryDenial } from '../auth/authorize-request';
import { ErrorCode } from '../../kafka/errors';
import { FindCoordinatorSchema } from '../../kafka/messages/10-find-coordinator';
import type { ResponseInput } from '../../kafka/schema';
import { endpointOf, type ApiHandler } from './api';

const GROUP = 0;
const TRANSACTION = 1;

/** What a client asking for a transaction coordinator is told (librdkafka and Java print it). */
export const TRANSACTIONS_UNSUPPORTED =
  'the embedded Kafka broker (kw) does not support transactions: produce without transactional.id ' +
  '(idempotence still applies)';

export const findCoordinator: ApiHandler<typeof FindCoordinatorSchema> = {
  key: 10,
  name: 'FindCoordinator',
  schema: FindCoordinatorSchema,
  minVersion: 0,
  maxVersion: 6,
  handle(request, context): ResponseInput<typeof FindCoordinatorSchema> {
    const keyType = request.KeyType;
    const supported = keyType === GROUP;
    const code = supported
      ? ErrorCode.NONE
      : keyType === TRANSACTION
        ? ErrorCode.CLUSTER_AUTHORIZATION_FAILED
        : ErrorCode.INVALID_REQUEST;
    const message = supported
      ? null
      : keyType === TRANSACTION
        ? TRANSACTIONS_UNSUPPORTED
        : `coordinator key type ${keyType} is not supported: only consumer groups (0) have coordinators`;
    const version = context.header.apiVersion;
    const keys = version >= 4 ? request.CoordinatorKeys : [request.Key];
    // A group whose coordinator candidates are all down: COORDINATOR_NOT_AVAILABLE, as Kafka answers
    // while no broker leads the group's offsets partition.
    const answerFor = (key: string) => {
      // On the IAM listener: DescribeGroup (30) or DescribeTransactionalId (53) on the key, first.
      const denied = entryDenial(context, keyType === TRANSACTION ? 'transactional-id' : 'group', key);
      if (denied !== ErrorCode.NONE) return { code: denied, message: null, nodeId: -1, host: '', port: -1 };
      const node = supported ? context.cluster.groupCoordinator(key) : undefined;
      if (supported && !node)
        return { code: ErrorCode.COORDINATOR_NOT_AVAILABLE, message: null, nodeId: -1, host: '', port: -1 };
      const at = node ? endpointOf(context, node) : undefined;
      return { code, message, nodeId: node?.nodeId ?? -1, host: at?.host ?? '', port: at?.port ?? -1 };
    };
    const single = answerFor(keys[0]);
    return {
      ThrottleTimeMs: 0,
      ErrorCode: single.code,
      // Kafka 3.9 fills in the error's own name on success before v4, and an empty message from v4.
      ErrorMessage: single.message ?? (single.code === ErrorCode.NONE ? 'NONE' : null),
      NodeId: single.nodeId,
      Host: single.host,
      Port: single.port,
      Coordinators: keys.map((Key) => {
        const node = answerFor(Key);
        return {
          Key,
          NodeId: node.nodeId,
          Host: node.host,
          Port: node.port,
          ErrorCode: node.code,
          ErrorMessage: node.message ?? '',
        };
      }),
    };
  },
};
