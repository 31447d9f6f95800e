// ListGroups (key 16): v0–5, flexible from v3.
import { field, message, structs, type ApiSchema } from '../schema';

export const ListGroupsSchema = {
  request: message({
    name: 'ListGroupsRequest',
    apiKey: 16,
    valid: '0-5',
    flexible: '3+',
    fields: [field('StatesFilter', '[]string', '4+'), field('TypesFilter', '[]string', '5+')],
  }),
  response: message({
    name: 'ListGroupsResponse',
    apiKey: 16,
    valid: '0-5',
    flexible: '3+',
    fields: [
      field('ThrottleTimeMs', 'int32', '1+'),
      field('ErrorCode', 'int16', '0+'),
      structs('Groups', '0+', [
        field('GroupId', 'string', '0+'),
        field('ProtocolType', 'string', '0+'),
        field('GroupState', 'string', '4+'),
        field('GroupType', 'string', '5+'),
      ]),
    ],
  }),
} satisfies ApiSchema;
