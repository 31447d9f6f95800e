// JoinGroup (key 11): v0–9, flexible from v6.
// The response ProtocolName is non-nullable before v7 but nullable from v7.
import { field, message, structs, type ApiSchema } from '../schema';

export const JoinGroupSchema = {
  request: message({
    name: 'JoinGroupRequest',
    apiKey: 11,
    valid: '0-9',
    flexible: '6+',
    fields: [
      field('GroupId', 'string', '0+'),
      field('SessionTimeoutMs', 'int32', '0+'),
      field('RebalanceTimeoutMs', 'int32', '1+', { default: -1 }),
      field('MemberId', 'string', '0+'),
      field('GroupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
      field('ProtocolType', 'string', '0+'),
      structs('Protocols', '0+', [field('Name', 'string', '0+'), field('Metadata', 'bytes', '0+')]),
      field('Reason', 'string', '8+', { nullable: '8+', default: null }),
    ],
  }),
  response: message({
    name: 'JoinGroupResponse',
    apiKey: 11,
    valid: '0-9',
    flexible: '6+',
    fields: [
      field('ThrottleTimeMs', 'int32', '2+'),
      field('ErrorCode', 'int16', '0+'),
      field('GenerationId', 'int32', '0+', { default: -1 }),
      field('ProtocolType', 'string', '7+', { nullable: '7+', default: null }),
      field('ProtocolName', 'string', '0+', { nullable: '7+' }),
      field('Leader', 'string', '0+'),
      field('SkipAssignment', 'bool', '9+'),
      field('MemberId', 'string', '0+'),
      structs('Members', '0+', [
        field('MemberId', 'string', '0+'),
        field('GroupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
        field('Metadata', 'bytes', '0+'),
      ]),
    ],
  }),
} satisfies ApiSchema;
