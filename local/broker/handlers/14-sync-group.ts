// SyncGroup: v0–5. Behaviour: the leader's request carries every member's assignment; each member's
// response carries its own, once the leader has synced.
import { SyncGroupSchema } from '../protocol/messages/14-sync-group';
import type { ApiHandler } from './api';

export const syncGroup: ApiHandler = {
  key: 14,
  name: 'SyncGroup',
  schema: SyncGroupSchema,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, context) {
    const result = await context.groups.sync(
      request.GroupId as string,
      request.GenerationId as number,
      request.MemberId as string,
      (request.Assignments as { MemberId: string; Assignment: Buffer }[]).map((a) => ({
        memberId: a.MemberId,
        assignment: a.Assignment,
      })),
    );
    return {
      ThrottleTimeMs: 0,
      ErrorCode: result.errorCode,
      ProtocolType: result.protocolType,
      ProtocolName: result.protocolName,
      Assignment: result.assignment,
    };
  },
};
