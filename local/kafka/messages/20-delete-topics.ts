// DeleteTopics (key 20): v0–6, flexible from v4.
// v6 replaces the request's TopicNames with Topics (name or ID), and response names become nullable.
import { field, message, structs, type ApiSchema } from '../schema';

export const DeleteTopicsSchema = {
  request: message({
    name: 'DeleteTopicsRequest',
    apiKey: 20,
    valid: '0-6',
    flexible: '4+',
    fields: [
      structs('Topics', '6+', [
        field('Name', 'string', '6+', { nullable: '6+', default: null }),
        field('TopicId', 'uuid', '6+'),
      ]),
      field('TopicNames', '[]string', '0-5'),
      field('TimeoutMs', 'int32', '0+'),
    ],
  }),
  response: message({
    name: 'DeleteTopicsResponse',
    apiKey: 20,
    valid: '0-6',
    flexible: '4+',
    fields: [
      field('ThrottleTimeMs', 'int32', '1+'),
      structs('Responses', '0+', [
        field('Name', 'string', '0+', { nullable: '6+' }),
        field('TopicId', 'uuid', '6+'),
        field('ErrorCode', 'int16', '0+'),
        field('ErrorMessage', 'string', '5+', { nullable: '5+', default: null }),
      ]),
    ],
  }),
} satisfies ApiSchema;
