// FindCoordinator: v0–6. Behaviour: the first broker coordinates every group (state is shared by the
// process, so any broker could). Transactions are not implemented, so a transaction coordinator (key
// type 1) is refused with CLUSTER_AUTHORIZATION_FAILED and a message saying so: of the codes a Kafka
// broker can answer here it is the one every client treats as final. librdkafka retries any other
// code until its timeout (only 31 and 53 are fatal in rdkafka_txnmgr.c); the Java client and
// kafka-python fail on any non-retriable code, but turn 53 into a generic authorization error that
// drops the message. Other key types get INVALID_REQUEST.
import { ErrorCode } from '../protocol/errors';
import { FindCoordinatorSchema } from '../protocol/messages/10-find-coordinator';
import type { ApiHandler } from './api';

const GROUP = 0;
const TRANSACTION = 1;

/** What a client asking for a transaction coordinator is told (librdkafka and Java print it). */
export const TRANSACTIONS_UNSUPPORTED =
  'the embedded Kafka broker (kw) does not support transactions: produce without transactional.id ' +
  '(idempotence still applies)';

export const findCoordinator: ApiHandler = {
  key: 10,
  name: 'FindCoordinator',
  schema: FindCoordinatorSchema,
  minVersion: 0,
  maxVersion: 6,
  handle(request, context) {
    const keyType = request.KeyType as number;
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
    const node = supported ? context.cluster.brokers[0] : { nodeId: -1, host: '', port: -1 };
    const keys =
      context.header.apiVersion >= 4 ? (request.CoordinatorKeys as string[]) : [request.Key as string];
    return {
      ThrottleTimeMs: 0,
      ErrorCode: code,
      ErrorMessage: message,
      NodeId: node.nodeId,
      Host: node.host,
      Port: node.port,
      Coordinators: keys.map((Key) => ({
        Key,
        NodeId: node.nodeId,
        Host: node.host,
        Port: node.port,
        ErrorCode: code,
        ErrorMessage: message,
      })),
    };
  },
};
