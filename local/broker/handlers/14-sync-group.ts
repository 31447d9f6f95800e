// SyncGroup: v0–5. Behaviour: the leader's request carries every member's assignment; each member's
// response carries its own, once the leader has synced. From v5 the request must name the group's
// protocol type and name (INCONSISTENT_GROUP_PROTOCOL when it does not, as Kafka answers).
import { requestDenial } from '../auth/authorize-request';
import { ErrorCode } from '../../kafka/errors';
import { SyncGroupSchema } from '../../kafka/messages/14-sync-group';
import { syncError } from '../groups/group-member';
import type { ResponseInput } from '../../kafka/schema';
import { coordinatesGroup, type ApiHandler } from './api';

export const syncGroup: ApiHandler<typeof SyncGroupSchema> = {
  key: 14,
  name: 'SyncGroup',
  schema: SyncGroupSchema,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, context): Promise<ResponseInput<typeof SyncGroupSchema>> {
    const { GroupId: groupId, ProtocolType: protocolType, ProtocolName: protocolName } = request;
    // On the IAM listener a group without AlterGroup is refused (30) before the coordinator looks at it.
    const refused =
      requestDenial(context) ||
      (groupId !== '' && !coordinatesGroup(context, groupId) ? ErrorCode.NOT_COORDINATOR : ErrorCode.NONE);
    const result =
      refused !== ErrorCode.NONE
        ? syncError(refused)
        : context.header.apiVersion >= 5 && (protocolType === null || protocolName === null)
          ? syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
          : await context.groups.sync(
              groupId,
              request.GenerationId,
              request.MemberId,
              request.Assignments.map((a) => ({
                memberId: a.MemberId,
                assignment: a.Assignment,
              })),
              {
                groupInstanceId: request.GroupInstanceId,
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
