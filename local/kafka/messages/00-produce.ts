// Produce (key 0): v3–11, flexible from v9.
// v10 adds tagged CurrentLeader (per partition) and NodeEndpoints (top level), both using tag 0 in their own scopes.
import { field, message, struct, structs, type ApiSchema } from '../schema';

export const ProduceSchema = {
  request: message({
    name: 'ProduceRequest',
    apiKey: 0,
    valid: '3-11',
    flexible: '9+',
    fields: [
      field('TransactionalId', 'string', '3+', { nullable: '3+', default: null }),
      field('Acks', 'int16', '0+'),
      field('TimeoutMs', 'int32', '0+'),
      structs('TopicData', '0+', [
        field('Name', 'string', '0+'),
        structs('PartitionData', '0+', [
          field('Index', 'int32', '0+'),
          field('Records', 'records', '0+', { nullable: '0+' }),
        ]),
      ]),
    ],
  }),
  response: message({
    name: 'ProduceResponse',
    apiKey: 0,
    valid: '3-11',
    flexible: '9+',
    fields: [
      structs('Responses', '0+', [
        field('Name', 'string', '0+'),
        structs('PartitionResponses', '0+', [
          field('Index', 'int32', '0+'),
          field('ErrorCode', 'int16', '0+'),
          field('BaseOffset', 'int64', '0+'),
          field('LogAppendTimeMs', 'int64', '2+', { default: -1n }),
          field('LogStartOffset', 'int64', '5+', { default: -1n }),
          structs('RecordErrors', '8+', [
            field('BatchIndex', 'int32', '8+'),
            field('BatchIndexErrorMessage', 'string', '8+', { nullable: '8+', default: null }),
          ]),
          field('ErrorMessage', 'string', '8+', { nullable: '8+', default: null }),
          struct(
            'CurrentLeader',
            '10+',
            [
              field('LeaderId', 'int32', '10+', { default: -1 }),
              field('LeaderEpoch', 'int32', '10+', { default: -1 }),
            ],
            { tag: 0, tagged: '10+' },
          ),
        ]),
      ]),
      field('ThrottleTimeMs', 'int32', '1+'),
      structs(
        'NodeEndpoints',
        '10+',
        [
          field('NodeId', 'int32', '10+'),
          field('Host', 'string', '10+'),
          field('Port', 'int32', '10+'),
          field('Rack', 'string', '10+', { nullable: '10+', default: null }),
        ],
        { tag: 0, tagged: '10+' },
      ),
    ],
  }),
} satisfies ApiSchema;
