// DescribeGroups (key 15): v0–5, flexible from v5.
import { field, message, structs, type ApiSchema } from '../schema';

export const DescribeGroupsSchema = {
  request: message({
    name: 'DescribeGroupsRequest',
    apiKey: 15,
    valid: '0-5',
    flexible: '5+',
    fields: [field('Groups', '[]string', '0+'), field('IncludeAuthorizedOperations', 'bool', '3+')],
  }),
  response: message({
    name: 'DescribeGroupsResponse',
    apiKey: 15,
    valid: '0-5',
    flexible: '5+',
    fields: [
      field('ThrottleTimeMs', 'int32', '1+'),
      structs('Groups', '0+', [
        field('ErrorCode', 'int16', '0+'),
        field('GroupId', 'string', '0+'),
        field('GroupState', 'string', '0+'),
        field('ProtocolType', 'string', '0+'),
        field('ProtocolData', 'string', '0+'),
        structs('Members', '0+', [
          field('MemberId', 'string', '0+'),
          field('GroupInstanceId', 'string', '4+', { nullable: '4+', default: null }),
          field('ClientId', 'string', '0+'),
          field('ClientHost', 'string', '0+'),
          field('MemberMetadata', 'bytes', '0+'),
          field('MemberAssignment', 'bytes', '0+'),
        ]),
        field('AuthorizedOperations', 'int32', '3+', { default: -2147483648 }),
      ]),
    ],
  }),
} satisfies ApiSchema;
