// DescribeConfigs (key 32): v0–4, flexible from v4.
// IsDefault exists only in v0; from v1 ConfigSource and Synonyms take its place.
import { field, message, structs, type ApiSchema } from '../schema';

export const DescribeConfigsSchema = {
  request: message({
    name: 'DescribeConfigsRequest',
    apiKey: 32,
    valid: '0-4',
    flexible: '4+',
    fields: [
      structs('Resources', '0+', [
        field('ResourceType', 'int8', '0+'),
        field('ResourceName', 'string', '0+'),
        field('ConfigurationKeys', '[]string', '0+', { nullable: '0+' }),
      ]),
      field('IncludeSynonyms', 'bool', '1+'),
      field('IncludeDocumentation', 'bool', '3+'),
    ],
  }),
  response: message({
    name: 'DescribeConfigsResponse',
    apiKey: 32,
    valid: '0-4',
    flexible: '4+',
    fields: [
      field('ThrottleTimeMs', 'int32', '0+'),
      structs('Results', '0+', [
        field('ErrorCode', 'int16', '0+'),
        field('ErrorMessage', 'string', '0+', { nullable: '0+' }),
        field('ResourceType', 'int8', '0+'),
        field('ResourceName', 'string', '0+'),
        structs('Configs', '0+', [
          field('Name', 'string', '0+'),
          field('Value', 'string', '0+', { nullable: '0+' }),
          field('ReadOnly', 'bool', '0+'),
          field('IsDefault', 'bool', '0'),
          field('ConfigSource', 'int8', '1+', { default: -1 }),
          field('IsSensitive', 'bool', '0+'),
          structs('Synonyms', '1+', [
            field('Name', 'string', '1+'),
            field('Value', 'string', '1+', { nullable: '0+' }),
            field('Source', 'int8', '1+'),
          ]),
          field('ConfigType', 'int8', '3+'),
          field('Documentation', 'string', '3+', { nullable: '0+' }),
        ]),
      ]),
    ],
  }),
} satisfies ApiSchema;
