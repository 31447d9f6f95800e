// SyncGroup: v0–5. Behaviour: the leader's request carries every member's assignment; each member's
// response carries its own, once the leader has synced. From v5 the request must name the group's
// protocol type and name (INCONSISTENT_GROUP_PROTOCOL when it does not, as Kafka answers).
import { ErrorCode } from '../../kafka/errors';
import { SyncGroupSchema } from '../../kafka/messages/14-sync-group';
import { coordinatesGroup, type ApiHandler } from './api';

export const syncGroup: ApiHandler = {
  key: 14,
  name: 'SyncGroup',
  schema: SyncGroupSchema,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, context) {
    const protocolType = request.ProtocolType as string | null;
    const protocolName = request.ProtocolName as string | null;
    const groupId = request.GroupId as string;
    const failed = (errorCode: number) => ({
      errorCode,
      protocolType: null,
      protocolName: null,
      assignment: Buffer.alloc(0),
    });
    const result =
      groupId !== '' && !coordinatesGroup(context, groupId)
        ? failed(ErrorCode.NOT_COORDINATOR)
        : context.header.apiVersion >= 5 && (protocolType === null || protocolName === null)
          ? failed(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
          : await context.groups.sync(
              groupId,
              request.GenerationId as number,
              request.MemberId as string,
              (request.Assignments as { MemberId: string; Assignment: Buffer }[]).map((a) => ({
                memberId: a.MemberId,
                assignment: a.Assignment,
              })),
              {
                groupInstanceId: (request.GroupInstanceId as string | null) ?? null,
                protocolType,
                protocolName,
              },
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
