// Heartbeat: v0–4. Behaviour: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
import { HeartbeatSchema } from '../protocol/messages/12-heartbeat';
import type { ApiHandler } from './api';

export const heartbeat: ApiHandler = {
  key: 12,
  name: 'Heartbeat',
  schema: HeartbeatSchema,
  minVersion: 0,
  maxVersion: 4,
  handle(request, context) {
    const code = context.groups.heartbeat(
      request.GroupId as string,
      request.GenerationId as number,
      request.MemberId as string,
    );
    return { ThrottleTimeMs: 0, ErrorCode: code };
  },
};
