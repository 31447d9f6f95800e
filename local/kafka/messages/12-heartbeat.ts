// Heartbeat (key 12): v0–4, flexible from v4.
import { field, message, type ApiSchema } from '../schema';

export const HeartbeatSchema = {
  request: message({
    name: 'HeartbeatRequest',
    apiKey: 12,
    valid: '0-4',
    flexible: '4+',
    fields: [
      field('GroupId', 'string', '0+'),
      field('GenerationId', 'int32', '0+'),
      field('MemberId', 'string', '0+'),
      field('GroupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
    ],
  }),
  response: message({
    name: 'HeartbeatResponse',
    apiKey: 12,
    valid: '0-4',
    flexible: '4+',
    fields: [field('ThrottleTimeMs', 'int32', '1+'), field('ErrorCode', 'int16', '0+')],
  }),
} satisfies ApiSchema;
