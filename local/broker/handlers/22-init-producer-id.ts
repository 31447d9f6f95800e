// InitProducerId: v0–5. Behaviour: idempotent producers get a fresh producer id at epoch 0; a producer
// that names its current id and epoch (v3+) gets the epoch bumped. Transactions are not implemented
// (SKIPPED.md): clients ask FindCoordinator for a transaction coordinator first and are refused there,
// so a transactional id only arrives here from a client that skipped that step. It gets the same
// CLUSTER_AUTHORIZATION_FAILED, which librdkafka, the Java client and kafkajs all treat as final
// (INVALID_REQUEST would have librdkafka retry until its timeout).
import { requestDenial } from '../auth/authorize-request';
import { ErrorCode } from '../../kafka/errors';
import { InitProducerIdSchema } from '../../kafka/messages/22-init-producer-id';
import type { ResponseInput } from '../../kafka/schema';
import type { ApiHandler } from './api';

export const initProducerId: ApiHandler<typeof InitProducerIdSchema> = {
  key: 22,
  name: 'InitProducerId',
  schema: InitProducerIdSchema,
  minVersion: 0,
  maxVersion: 5,
  handle(request, context): ResponseInput<typeof InitProducerIdSchema> {
    // On the IAM listener: AlterTransactionalId (53) or WriteDataIdempotently (31) first.
    const denied = requestDenial(context);
    if (denied !== ErrorCode.NONE)
      return { ThrottleTimeMs: 0, ErrorCode: denied, ProducerId: -1n, ProducerEpoch: -1 };
    if (request.TransactionalId !== null && request.TransactionalId !== '') {
      return {
        ThrottleTimeMs: 0,
        ErrorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
        ProducerId: -1n,
        ProducerEpoch: -1,
      };
    }
    const current = request.ProducerId;
    const epoch = request.ProducerEpoch;
    if (current >= 0n && epoch >= 0 && epoch < 32767) {
      return { ThrottleTimeMs: 0, ErrorCode: ErrorCode.NONE, ProducerId: current, ProducerEpoch: epoch + 1 };
    }
    return {
      ThrottleTimeMs: 0,
      ErrorCode: ErrorCode.NONE,
      ProducerId: context.cluster.allocateProducerId(),
      ProducerEpoch: 0,
    };
  },
};
