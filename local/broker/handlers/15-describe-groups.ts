// DescribeGroups: v0–5. Behaviour: state, protocol type and members; the chosen protocol and each
// member's subscription and assignment only while the group is Stable, as Kafka gives them. An unknown
// group is described as Dead with no members, as Kafka does.
import { entryDenial } from '../auth/authorize-request';
import { ErrorCode } from '../../kafka/errors';
import { DescribeGroupsSchema } from '../../kafka/messages/15-describe-groups';
import type { ResponseInput } from '../../kafka/schema';
import { coordinatesGroup, type ApiHandler } from './api';

export const describeGroups: ApiHandler<typeof DescribeGroupsSchema> = {
  key: 15,
  name: 'DescribeGroups',
  schema: DescribeGroupsSchema,
  minVersion: 0,
  maxVersion: 5,
  handle(request, context): ResponseInput<typeof DescribeGroupsSchema> {
    return {
      ThrottleTimeMs: 0,
      Groups: request.Groups.map((groupId) => {
        // On the IAM listener a group without DescribeGroup answers 30 in place of a description.
        const denied = entryDenial(context, 'group', groupId);
        if (denied !== ErrorCode.NONE || !coordinatesGroup(context, groupId)) {
          return {
            ErrorCode: denied !== ErrorCode.NONE ? denied : ErrorCode.NOT_COORDINATOR,
            GroupId: groupId,
            GroupState: '',
            ProtocolType: '',
            ProtocolData: '',
            Members: [],
            AuthorizedOperations: -2147483648,
          };
        }
        const d = context.groups.describe(groupId);
        return {
          ErrorCode: ErrorCode.NONE,
          GroupId: groupId,
          GroupState: d.state,
          ProtocolType: d.protocolType,
          ProtocolData: d.protocolName,
          Members: d.members.map((m) => ({
            MemberId: m.memberId,
            GroupInstanceId: m.groupInstanceId,
            ClientId: m.clientId,
            ClientHost: m.clientHost,
            MemberMetadata: m.metadata,
            MemberAssignment: m.assignment,
          })),
          AuthorizedOperations: -2147483648,
        };
      }),
    };
  },
};
