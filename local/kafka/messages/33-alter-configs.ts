// AlterConfigs (key 33): v0–2, flexible from v2.
// v1 is the same as v0; the request replaces a resource's whole set of dynamic configs.
import { field, message, structs, type ApiSchema } from '../schema';

export const AlterConfigsSchema = {
  request: message({
    name: 'AlterConfigsRequest',
    apiKey: 33,
    valid: '0-2',
    flexible: '2+',
    fields: [
      structs('Resources', '0+', [
        field('ResourceType', 'int8', '0+'),
        field('ResourceName', 'string', '0+'),
        structs('Configs', '0+', [
          field('Name', 'string', '0+'),
          field('Value', 'string', '0+', { nullable: '0+' }),
        ]),
      ]),
      field('ValidateOnly', 'bool', '0+'),
    ],
  }),
  response: message({
    name: 'AlterConfigsResponse',
    apiKey: 33,
    valid: '0-2',
    flexible: '2+',
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
