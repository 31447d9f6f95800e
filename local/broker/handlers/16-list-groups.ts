// ListGroups: v0–5. Behaviour: every group the coordinator knows (Empty ones too, until they are
// forgotten), filtered by state (v4+, any case) and type (v5+: only "classic" groups exist here). On the
// IAM listener a principal without DescribeCluster sees only the groups it may describe.
import { omitted } from '../auth/authorize-request';
import { ErrorCode } from '../../kafka/errors';
import { ListGroupsSchema } from '../../kafka/messages/16-list-groups';
import type { ResponseInput } from '../../kafka/schema';
import { coordinatesGroup, type ApiHandler } from './api';

export const listGroups: ApiHandler<typeof ListGroupsSchema> = {
  key: 16,
  name: 'ListGroups',
  schema: ListGroupsSchema,
  minVersion: 0,
  maxVersion: 5,
  handle(request, context): ResponseInput<typeof ListGroupsSchema> {
    const states = request.StatesFilter.map((s) => s.toLowerCase());
    const types = request.TypesFilter.map((t) => t.toLowerCase());
    const groups = context.groups
      .list()
      .filter((g) => coordinatesGroup(context, g.groupId) && !omitted(context, 'group', g.groupId))
      .filter((g) => states.length === 0 || states.includes(g.state.toLowerCase()))
      .filter(() => types.length === 0 || types.includes('classic'));
    return {
      ThrottleTimeMs: 0,
      ErrorCode: ErrorCode.NONE,
      Groups: groups.map((g) => ({
        GroupId: g.groupId,
        ProtocolType: g.protocolType,
        GroupState: g.state,
        GroupType: 'classic',
      })),
    };
  },
};
