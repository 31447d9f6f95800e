// Heartbeat: v0–4. Behaviour: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
// A static member's group.instance.id (v3+) must map to its member id (FENCED_INSTANCE_ID otherwise).
import { requestDenial } from '../auth/authorize-request';
import { HeartbeatSchema } from '../../kafka/messages/12-heartbeat';
import { ErrorCode } from '../../kafka/errors';
import type { ResponseInput } from '../../kafka/schema';
import { coordinatesGroup, type ApiHandler } from './api';

export const heartbeat: ApiHandler<typeof HeartbeatSchema> = {
  key: 12,
  name: 'Heartbeat',
  schema: HeartbeatSchema,
  minVersion: 0,
  maxVersion: 4,
  handle(request, context): ResponseInput<typeof HeartbeatSchema> {
    const groupId = request.GroupId;
    const denied = requestDenial(context);
    if (denied !== ErrorCode.NONE) return { ThrottleTimeMs: 0, ErrorCode: denied };
    if (groupId !== '' && !coordinatesGroup(context, groupId))
      return { ThrottleTimeMs: 0, ErrorCode: ErrorCode.NOT_COORDINATOR };
    const code = context.groups.heartbeat(
      groupId,
      request.GenerationId,
      request.MemberId,
      request.GroupInstanceId,
    );
    return { ThrottleTimeMs: 0, ErrorCode: code };
  },
};
