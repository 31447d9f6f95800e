// FindCoordinator: v0–6. Behaviour: the first broker coordinates every group (state is shared by the
// process, so any broker could); transaction coordinators are not offered (key type 1 is refused).
import { ErrorCode } from '../protocol/errors';
import { FindCoordinatorSchema } from '../protocol/messages/10-find-coordinator';
import type { ApiHandler } from './api';

export const findCoordinator: ApiHandler = {
  key: 10,
  name: 'FindCoordinator',
  schema: FindCoordinatorSchema,
  minVersion: 0,
  maxVersion: 6,
  handle(request, context) {
    const coordinator = context.cluster.brokers[0];
    const supported = request.KeyType === 0;
    const code = supported ? ErrorCode.NONE : ErrorCode.INVALID_REQUEST;
    const message = supported ? null : 'only consumer group coordinators are available';
    const node = supported ? coordinator : { nodeId: -1, host: '', port: -1 };
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
