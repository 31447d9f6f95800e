// InitProducerId: v0–5. Behaviour: idempotent producers get a fresh producer id at epoch 0; a producer
// that names its current id and epoch (v3+) gets the epoch bumped. Transactional ids are refused with
// INVALID_REQUEST: transactions are not implemented (SKIPPED.md).
import { ErrorCode } from '../protocol/errors';
import { InitProducerIdSchema } from '../protocol/messages/22-init-producer-id';
import type { ApiHandler } from './api';

export const initProducerId: ApiHandler = {
  key: 22,
  name: 'InitProducerId',
  schema: InitProducerIdSchema,
  minVersion: 0,
  maxVersion: 5,
  handle(request, context) {
    if (request.TransactionalId !== null && request.TransactionalId !== '') {
      return { ThrottleTimeMs: 0, ErrorCode: ErrorCode.INVALID_REQUEST, ProducerId: -1n, ProducerEpoch: -1 };
    }
    const current = request.ProducerId as bigint;
    const epoch = request.ProducerEpoch as number;
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
