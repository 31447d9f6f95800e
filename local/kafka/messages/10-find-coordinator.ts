// FindCoordinator (key 10): v0–6, flexible from v3.
// v4 replaces the single Key (and flat response) with a batch: CoordinatorKeys in, Coordinators out.
import { field, message, structs, type ApiSchema } from '../schema';

export const FindCoordinatorSchema = {
  request: message({
    name: 'FindCoordinatorRequest',
    apiKey: 10,
    valid: '0-6',
    flexible: '3+',
    fields: [
      field('Key', 'string', '0-3'),
      field('KeyType', 'int8', '1+'),
      field('CoordinatorKeys', '[]string', '4+'),
    ],
  }),
  response: message({
    name: 'FindCoordinatorResponse',
    apiKey: 10,
    valid: '0-6',
    flexible: '3+',
    fields: [
      field('ThrottleTimeMs', 'int32', '1+'),
      field('ErrorCode', 'int16', '0-3'),
      field('ErrorMessage', 'string', '1-3', { nullable: '1-3' }),
      field('NodeId', 'int32', '0-3'),
      field('Host', 'string', '0-3'),
      field('Port', 'int32', '0-3'),
      structs('Coordinators', '4+', [
        field('Key', 'string', '4+'),
        field('NodeId', 'int32', '4+'),
        field('Host', 'string', '4+'),
        field('Port', 'int32', '4+'),
        field('ErrorCode', 'int16', '4+'),
        field('ErrorMessage', 'string', '4+', { nullable: '4+' }),
      ]),
    ],
  }),
} satisfies ApiSchema;
