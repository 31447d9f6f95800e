// JoinGroup: v0–9. Behaviour: see groups/classic-group.ts. From v4 a dynamic member's first join
// without a member id gets MEMBER_ID_REQUIRED with the id to rejoin with (static members, with a
// group.instance.id, join at once). From v9 a static leader rejoining a Stable group may be told to
// skip the assignment. The response waits for the join phase to end.
import { requestDenial } from '../auth/authorize-request';
import { ErrorCode } from '../../kafka/errors';
import { JoinGroupSchema } from '../../kafka/messages/11-join-group';
import { joinError } from '../groups/group-member';
import type { ResponseInput } from '../../kafka/schema';
import { coordinatesGroup, type ApiHandler } from './api';

export const joinGroup: ApiHandler<typeof JoinGroupSchema> = {
  key: 11,
  name: 'JoinGroup',
  schema: JoinGroupSchema,
  minVersion: 0,
  maxVersion: 9,
  async handle(request, context): Promise<ResponseInput<typeof JoinGroupSchema>> {
    const version = context.header.apiVersion;
    const {
      GroupId: groupId,
      GroupInstanceId: groupInstanceId,
      SessionTimeoutMs: sessionTimeoutMs,
    } = request;
    // On the IAM listener a group without AlterGroup is refused (30) before the coordinator looks at it.
    const refused =
      requestDenial(context) ||
      (groupId !== '' && !coordinatesGroup(context, groupId) ? ErrorCode.NOT_COORDINATOR : ErrorCode.NONE);
    const result =
      refused !== ErrorCode.NONE
        ? joinError(request.MemberId, refused)
        : await context.groups.join({
            groupId,
            memberId: request.MemberId,
            groupInstanceId,
            clientId: context.header.clientId ?? '',
            clientHost: context.clientHost,
            sessionTimeoutMs,
            // v0 has no rebalance timeout: it equals the session timeout.
            rebalanceTimeoutMs: version >= 1 ? request.RebalanceTimeoutMs : sessionTimeoutMs,
            protocolType: request.ProtocolType,
            protocols: request.Protocols.map((p) => ({ name: p.Name, metadata: p.Metadata })),
            requireKnownMemberId: version >= 4 && groupInstanceId === null,
            supportSkippingAssignment: version >= 9,
          });
    return {
      ThrottleTimeMs: 0,
      ErrorCode: result.errorCode,
      GenerationId: result.generationId,
      ProtocolType: result.protocolType,
      // Not nullable before v7.
      ProtocolName: version >= 7 ? result.protocolName : (result.protocolName ?? ''),
      Leader: result.leader,
      SkipAssignment: result.skipAssignment,
      MemberId: result.memberId,
      Members: result.members.map((m) => ({
        MemberId: m.memberId,
        GroupInstanceId: m.groupInstanceId,
        Metadata: m.metadata,
      })),
    };
  },
};
