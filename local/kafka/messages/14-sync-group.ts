// SyncGroup (key 14): v0–5, flexible from v4.
import { field, message, structs, type ApiSchema } from '../schema';

export const SyncGroupSchema = {
  request: message({
    name: 'SyncGroupRequest',
    apiKey: 14,
    valid: '0-5',
    flexible: '4+',
    fields: [
      field('GroupId', 'string', '0+'),
      field('GenerationId', 'int32', '0+'),
      field('MemberId', 'string', '0+'),
      field('GroupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
      field('ProtocolType', 'string', '5+', { nullable: '5+', default: null }),
      field('ProtocolName', 'string', '5+', { nullable: '5+', default: null }),
      structs('Assignments', '0+', [field('MemberId', 'string', '0+'), field('Assignment', 'bytes', '0+')]),
    ],
  }),
  response: message({
    name: 'SyncGroupResponse',
    apiKey: 14,
    valid: '0-5',
    flexible: '4+',
    fields: [
      field('ThrottleTimeMs', 'int32', '1+'),
      field('ErrorCode', 'int16', '0+'),
      field('ProtocolType', 'string', '5+', { nullable: '5+', default: null }),
      field('ProtocolName', 'string', '5+', { nullable: '5+', default: null }),
      field('Assignment', 'bytes', '0+'),
    ],
  }),
} satisfies ApiSchema;
