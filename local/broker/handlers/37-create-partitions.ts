// CreatePartitions: v0–3. Behaviour: grows a topic to Count partitions (never shrinks); leaders of the
// new partitions are spread over the brokers; manual assignments are refused. A topic named twice in
// one request gets one INVALID_REQUEST answer and is left as it is.
import { TopicError } from '../cluster/cluster';
import { entryDenial } from '../auth/authorize-request';
import { ErrorCode } from '../../kafka/errors';
import { CreatePartitionsSchema } from '../../kafka/messages/37-create-partitions';
import type { ResponseInput } from '../../kafka/schema';
import type { ApiHandler } from './api';

export const createPartitions: ApiHandler<typeof CreatePartitionsSchema> = {
  key: 37,
  name: 'CreatePartitions',
  schema: CreatePartitionsSchema,
  minVersion: 0,
  maxVersion: 3,
  handle(request, context): ResponseInput<typeof CreatePartitionsSchema> {
    const topics = request.Topics;
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    for (const t of topics) (seen.has(t.Name) ? duplicates : seen).add(t.Name);
    const results: ResponseInput<typeof CreatePartitionsSchema>['Results'] = topics
      .filter((t) => !duplicates.has(t.Name))
      .map((t): ResponseInput<typeof CreatePartitionsSchema>['Results'][number] => {
        const denied = entryDenial(context, 'topic', t.Name);
        if (denied !== ErrorCode.NONE)
          return { Name: t.Name, ErrorCode: denied, ErrorMessage: 'Authorization failed.' };
        if (t.Assignments && t.Assignments.length > 0) {
          return {
            Name: t.Name,
            ErrorCode: ErrorCode.INVALID_REQUEST,
            ErrorMessage: 'manual replica assignments are not supported',
          };
        }
        try {
          context.cluster.createPartitions(t.Name, t.Count, request.ValidateOnly);
          return { Name: t.Name, ErrorCode: ErrorCode.NONE, ErrorMessage: null };
        } catch (error) {
          if (!(error instanceof TopicError)) throw error;
          return { Name: t.Name, ErrorCode: error.code, ErrorMessage: error.message };
        }
      });
    for (const name of duplicates) {
      results.push({
        Name: name,
        ErrorCode: ErrorCode.INVALID_REQUEST,
        ErrorMessage: `topic ${name} is named more than once`,
      });
    }
    return { ThrottleTimeMs: 0, Results: results };
  },
};
