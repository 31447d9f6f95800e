// LeaveGroup: v0–5. Behaviour: one member (v0–2) or a batch (v3+, a static member also by its
// group.instance.id alone) leaves; the rest rebalance. A batch answers per member, with the ids as
// sent; v0–2 carry the member's error (or the request's) in the one top-level error code.
import { requestDenial } from '../auth/authorize-request';
import { ErrorCode } from '../../kafka/errors';
import { LeaveGroupSchema } from '../../kafka/messages/13-leave-group';
import type { ResponseInput } from '../../kafka/schema';
import { coordinatesGroup, type ApiHandler } from './api';

export const leaveGroup: ApiHandler<typeof LeaveGroupSchema> = {
  key: 13,
  name: 'LeaveGroup',
  schema: LeaveGroupSchema,
  minVersion: 0,
  maxVersion: 5,
  handle(request, context): ResponseInput<typeof LeaveGroupSchema> {
    const batch = context.header.apiVersion >= 3;
    const leaving = batch
      ? request.Members.map((m) => ({
          memberId: m.MemberId,
          groupInstanceId: m.GroupInstanceId,
        }))
      : [{ memberId: request.MemberId, groupInstanceId: null }];
    const groupId = request.GroupId;
    const denied = requestDenial(context);
    if (denied !== ErrorCode.NONE) return { ThrottleTimeMs: 0, ErrorCode: denied, Members: [] };
    if (groupId !== '' && !coordinatesGroup(context, groupId))
      return { ThrottleTimeMs: 0, ErrorCode: ErrorCode.NOT_COORDINATOR, Members: [] };
    const result = context.groups.leave(groupId, leaving);
    const members = result.members.map((m) => ({
      MemberId: m.memberId,
      GroupInstanceId: m.groupInstanceId,
      ErrorCode: m.errorCode,
    }));
    const firstError =
      result.members.find((m) => m.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE;
    return {
      ThrottleTimeMs: 0,
      ErrorCode: batch || result.errorCode !== ErrorCode.NONE ? result.errorCode : firstError,
      Members: members,
    };
  },
};
