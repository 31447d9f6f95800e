// CreatePartitions (key 37): v0–3, flexible from v2.
import { field, message, structs, type ApiSchema } from '../schema';

export const CreatePartitionsSchema = {
  request: message({
    name: 'CreatePartitionsRequest',
    apiKey: 37,
    valid: '0-3',
    flexible: '2+',
    fields: [
      structs('Topics', '0+', [
        field('Name', 'string', '0+'),
        field('Count', 'int32', '0+'),
        structs('Assignments', '0+', [field('BrokerIds', '[]int32', '0+')], { nullable: '0+' }),
      ]),
      field('TimeoutMs', 'int32', '0+'),
      field('ValidateOnly', 'bool', '0+'),
    ],
  }),
  response: message({
    name: 'CreatePartitionsResponse',
    apiKey: 37,
    valid: '0-3',
    flexible: '2+',
    fields: [
      field('ThrottleTimeMs', 'int32', '0+'),
      structs('Results', '0+', [
        field('Name', 'string', '0+'),
        field('ErrorCode', 'int16', '0+'),
        field('ErrorMessage', 'string', '0+', { nullable: '0+', default: null }),
      ]),
    ],
  }),
} satisfies ApiSchema;
