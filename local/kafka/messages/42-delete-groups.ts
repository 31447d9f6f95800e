// DeleteGroups (key 42): v0–2, flexible from v2.
import { field, message, structs, type ApiSchema } from '../schema';

export const DeleteGroupsSchema = {
  request: message({
    name: 'DeleteGroupsRequest',
    apiKey: 42,
    valid: '0-2',
    flexible: '2+',
    fields: [field('GroupsNames', '[]string', '0+')],
  }),
  response: message({
    name: 'DeleteGroupsResponse',
    apiKey: 42,
    valid: '0-2',
    flexible: '2+',
    fields: [
      field('ThrottleTimeMs', 'int32', '0+'),
      structs('Results', '0+', [field('GroupId', 'string', '0+'), field('ErrorCode', 'int16', '0+')]),
    ],
  }),
} satisfies ApiSchema;
