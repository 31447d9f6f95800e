// LeaveGroup: v0–5. Behaviour: one member (v0–2) or a batch (v3+) leaves; the rest rebalance.
import { ErrorCode } from '../protocol/errors';
import { LeaveGroupSchema } from '../protocol/messages/13-leave-group';
import type { ApiHandler } from './api';

export const leaveGroup: ApiHandler = {
  key: 13,
  name: 'LeaveGroup',
  schema: LeaveGroupSchema,
  minVersion: 0,
  maxVersion: 5,
  handle(request, context) {
    const batch = context.header.apiVersion >= 3;
    const leaving = batch
      ? (request.Members as { MemberId: string; GroupInstanceId: string | null }[]).map((m) => ({
          memberId: m.MemberId,
          groupInstanceId: m.GroupInstanceId,
        }))
      : [{ memberId: request.MemberId as string, groupInstanceId: null }];
    const results = context.groups.leave(request.GroupId as string, leaving);
    const topCode = batch ? ErrorCode.NONE : results[0].errorCode;
    return {
      ThrottleTimeMs: 0,
      ErrorCode: topCode,
      Members: results.map((r, i) => ({
        MemberId: r.memberId,
        GroupInstanceId: leaving[i].groupInstanceId,
        ErrorCode: r.errorCode,
      })),
    };
  },
};
