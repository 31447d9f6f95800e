// ApiVersions: v0–4. Behaviour: lists every registered API and its version range. A request at a
// version we do not speak is answered by the connection (UNSUPPORTED_VERSION in a v0 body).
import { ErrorCode } from '../../kafka/errors';
import { ApiVersionsSchema } from '../../kafka/messages/18-api-versions';
import type { ResponseInput } from '../../kafka/schema';
import type { ApiHandler } from './api';

export const apiVersions: ApiHandler<typeof ApiVersionsSchema> = {
  key: 18,
  name: 'ApiVersions',
  schema: ApiVersionsSchema,
  minVersion: 0,
  maxVersion: 4,
  handle(_request, context): ResponseInput<typeof ApiVersionsSchema> {
    return { ErrorCode: ErrorCode.NONE, ApiKeys: context.apiKeys, ThrottleTimeMs: 0 };
  },
};
