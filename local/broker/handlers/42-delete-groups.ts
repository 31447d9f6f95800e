// DeleteGroups: v0–2. Behaviour: deletes Empty groups and their committed offsets; a group with
// members gets NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND. A group named twice is answered once.
import { DeleteGroupsSchema } from '../../kafka/messages/42-delete-groups';
import { ErrorCode } from '../../kafka/errors';
import { entryDenial } from '../auth/authorize-request';
import type { ResponseInput } from '../../kafka/schema';
import { coordinatesGroup, type ApiHandler } from './api';

export const deleteGroups: ApiHandler<typeof DeleteGroupsSchema> = {
  key: 42,
  name: 'DeleteGroups',
  schema: DeleteGroupsSchema,
  minVersion: 0,
  maxVersion: 2,
  handle(request, context): ResponseInput<typeof DeleteGroupsSchema> {
    return {
      ThrottleTimeMs: 0,
      Results: [...new Set(request.GroupsNames)].map((groupId) => {
        const denied = entryDenial(context, 'group', groupId);
        return {
          GroupId: groupId,
          ErrorCode:
            denied !== ErrorCode.NONE
              ? denied
              : coordinatesGroup(context, groupId)
                ? context.groups.deleteGroup(groupId)
                : ErrorCode.NOT_COORDINATOR,
        };
      }),
    };
  },
};
