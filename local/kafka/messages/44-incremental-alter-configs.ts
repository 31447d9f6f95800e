// IncrementalAlterConfigs (key 44): v0–1, flexible from v1.
// Each config carries an operation (0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT) applied to the current value.
import { field, message, structs, type ApiSchema } from '../schema';

export const IncrementalAlterConfigsSchema = {
  request: message({
    name: 'IncrementalAlterConfigsRequest',
    apiKey: 44,
    valid: '0-1',
    flexible: '1+',
    fields: [
      structs('Resources', '0+', [
        field('ResourceType', 'int8', '0+'),
        field('ResourceName', 'string', '0+'),
        structs('Configs', '0+', [
          field('Name', 'string', '0+'),
          field('ConfigOperation', 'int8', '0+'),
          field('Value', 'string', '0+', { nullable: '0+' }),
        ]),
      ]),
      field('ValidateOnly', 'bool', '0+'),
    ],
  }),
  response: message({
    name: 'IncrementalAlterConfigsResponse',
    apiKey: 44,
    valid: '0-1',
    flexible: '1+',
    fields: [
      field('ThrottleTimeMs', 'int32', '0+'),
      structs('Responses', '0+', [
        field('ErrorCode', 'int16', '0+'),
        field('ErrorMessage', 'string', '0+', { nullable: '0+' }),
        field('ResourceType', 'int8', '0+'),
        field('ResourceName', 'string', '0+'),
      ]),
    ],
  }),
} satisfies ApiSchema;
