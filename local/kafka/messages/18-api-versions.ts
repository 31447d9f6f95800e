// ApiVersions (key 18): v0–4, flexible from v3. The response header is always v0 (no tagged fields).
import { field, message, structs, type ApiSchema } from '../schema';

export const ApiVersionsSchema = {
  request: message({
    name: 'ApiVersionsRequest',
    apiKey: 18,
    valid: '0-4',
    flexible: '3+',
    fields: [field('ClientSoftwareName', 'string', '3+'), field('ClientSoftwareVersion', 'string', '3+')],
  }),
  response: message({
    name: 'ApiVersionsResponse',
    apiKey: 18,
    valid: '0-4',
    flexible: '3+',
    fields: [
      field('ErrorCode', 'int16', '0+'),
      structs('ApiKeys', '0+', [
        field('ApiKey', 'int16', '0+'),
        field('MinVersion', 'int16', '0+'),
        field('MaxVersion', 'int16', '0+'),
      ]),
      field('ThrottleTimeMs', 'int32', '1+'),
      structs(
        'SupportedFeatures',
        '3+',
        [
          field('Name', 'string', '3+'),
          field('MinVersion', 'int16', '3+'),
          field('MaxVersion', 'int16', '3+'),
        ],
        { tag: 0, tagged: '3+' },
      ),
      field('FinalizedFeaturesEpoch', 'int64', '3+', { tag: 1, tagged: '3+', default: -1n }),
      structs(
        'FinalizedFeatures',
        '3+',
        [
          field('Name', 'string', '3+'),
          field('MaxVersionLevel', 'int16', '3+'),
          field('MinVersionLevel', 'int16', '3+'),
        ],
        { tag: 2, tagged: '3+' },
      ),
      field('ZkMigrationReady', 'bool', '3+', { tag: 3, tagged: '3+', default: false }),
    ],
  }),
} satisfies ApiSchema;
