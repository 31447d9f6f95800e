// FindCoordinator: v0–6. Behaviour: each group has one coordinating broker, chosen by the hash of its
// id as Kafka chooses an offsets-topic partition (cluster.groupCoordinator); the others answer that
// group's requests with NOT_COORDINATOR, so clients must look it up as on Kafka. Transactions are not implemented, so a transaction coordinator (key
// type 1) is refused with CLUSTER_AUTHORIZATION_FAILED and a message saying so: of the codes a Kafka
// broker can answer here it is the one every client treats as final. librdkafka retries any other
// code until its timeout (only 31 and 53 are fatal in rdkafka_txnmgr.c); the Java client and
// kafka-python fail on any non-retriable code, but turn 53 into a generic authorization error that
// drops the message. Other key types get INVALID_REQUEST.
import { ErrorCode } from '../../kafka/errors';
import { FindCoordinatorSchema } from '../../kafka/messages/10-find-coordinator';
import type { ResponseInput } from '../../kafka/schema';
import type { ApiHandler } from './api';

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
    const nodeOf = (key: string) =>
      supported ? context.cluster.groupCoordinator(key) : { nodeId: -1, host: '', port: -1 };
    const single = nodeOf(keys[0]);
    return {
      ThrottleTimeMs: 0,
      ErrorCode: code,
      // Kafka 3.9 fills in the error's own name on success before v4, and an empty message from v4.
      ErrorMessage: message ?? 'NONE',
      NodeId: single.nodeId,
      Host: single.host,
      Port: single.port,
      Coordinators: keys.map((Key) => {
        const node = nodeOf(Key);
        return {
          Key,
          NodeId: node.nodeId,
          Host: node.host,
          Port: node.port,
          ErrorCode: code,
          ErrorMessage: message ?? '',
        };
      }),
    };
  },
};
