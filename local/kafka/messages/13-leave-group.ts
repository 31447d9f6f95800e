// LeaveGroup (key 13): v0–5, flexible from v4.
// v3 replaces the single MemberId with a batch of Members.
import { field, message, structs, type ApiSchema } from '../schema';

export const LeaveGroupSchema = {
  request: message({
    name: 'LeaveGroupRequest',
    apiKey: 13,
    valid: '0-5',
    flexible: '4+',
    fields: [
      field('GroupId', 'string', '0+'),
      field('MemberId', 'string', '0-2'),
      structs('Members', '3+', [
        field('MemberId', 'string', '3+'),
        field('GroupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
        field('Reason', 'string', '5+', { nullable: '5+', default: null }),
      ]),
    ],
  }),
  response: message({
    name: 'LeaveGroupResponse',
    apiKey: 13,
    valid: '0-5',
    flexible: '4+',
    fields: [
      field('ThrottleTimeMs', 'int32', '1+'),
      field('ErrorCode', 'int16', '0+'),
      structs('Members', '3+', [
        field('MemberId', 'string', '3+'),
        field('GroupInstanceId', 'string', '3+', { nullable: '3+' }),
        field('ErrorCode', 'int16', '3+'),
      ]),
    ],
  }),
} satisfies ApiSchema;
