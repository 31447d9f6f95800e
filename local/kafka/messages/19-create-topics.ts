// CreateTopics (key 19): v0–7, flexible from v5.
// The request's timeoutMs/validateOnly keep Kafka's lower-case names; the response gains TopicId in v7.
import { field, message, structs, type ApiSchema } from '../schema';

export const CreateTopicsSchema = {
  request: message({
    name: 'CreateTopicsRequest',
    apiKey: 19,
    valid: '0-7',
    flexible: '5+',
    fields: [
      structs('Topics', '0+', [
        field('Name', 'string', '0+'),
        field('NumPartitions', 'int32', '0+'),
        field('ReplicationFactor', 'int16', '0+'),
        structs('Assignments', '0+', [
          field('PartitionIndex', 'int32', '0+'),
          field('BrokerIds', '[]int32', '0+'),
        ]),
        structs('Configs', '0+', [
          field('Name', 'string', '0+'),
          field('Value', 'string', '0+', { nullable: '0+' }),
        ]),
      ]),
      field('timeoutMs', 'int32', '0+', { default: 60000 }),
      field('validateOnly', 'bool', '1+'),
    ],
  }),
  response: message({
    name: 'CreateTopicsResponse',
    apiKey: 19,
    valid: '0-7',
    flexible: '5+',
    fields: [
      field('ThrottleTimeMs', 'int32', '2+'),
      structs('Topics', '0+', [
        field('Name', 'string', '0+'),
        field('TopicId', 'uuid', '7+'),
        field('ErrorCode', 'int16', '0+'),
        field('ErrorMessage', 'string', '1+', { nullable: '0+' }),
        field('TopicConfigErrorCode', 'int16', '5+', { tag: 0, tagged: '5+' }),
        field('NumPartitions', 'int32', '5+', { default: -1 }),
        field('ReplicationFactor', 'int16', '5+', { default: -1 }),
        structs(
          'Configs',
          '5+',
          [
            field('Name', 'string', '5+'),
            field('Value', 'string', '5+', { nullable: '5+' }),
            field('ReadOnly', 'bool', '5+'),
            field('ConfigSource', 'int8', '5+', { default: -1 }),
            field('IsSensitive', 'bool', '5+'),
          ],
          { nullable: '5+' },
        ),
      ]),
    ],
  }),
} satisfies ApiSchema;
