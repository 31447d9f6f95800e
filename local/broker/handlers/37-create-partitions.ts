// CreatePartitions: v0–3. Behaviour: grows a topic to Count partitions (never shrinks); leaders of the
// new partitions are spread over the brokers; manual assignments are refused.
import { TopicError } from '../cluster/cluster';
import { ErrorCode } from '../protocol/errors';
import { CreatePartitionsSchema } from '../protocol/messages/37-create-partitions';
import type { ApiHandler } from './api';

export const createPartitions: ApiHandler = {
  key: 37,
  name: 'CreatePartitions',
  schema: CreatePartitionsSchema,
  minVersion: 0,
  maxVersion: 3,
  handle(request, context) {
    const topics = request.Topics as { Name: string; Count: number; Assignments: unknown[] | null }[];
    return {
      ThrottleTimeMs: 0,
      Results: topics.map((t) => {
        if (t.Assignments && t.Assignments.length > 0) {
          return {
            Name: t.Name,
            ErrorCode: ErrorCode.INVALID_REQUEST,
            ErrorMessage: 'manual replica assignments are not supported',
          };
        }
        try {
          context.cluster.createPartitions(t.Name, t.Count, request.ValidateOnly === true);
          return { Name: t.Name, ErrorCode: ErrorCode.NONE, ErrorMessage: null };
        } catch (error) {
          if (!(error instanceof TopicError)) throw error;
          return { Name: t.Name, ErrorCode: error.code, ErrorMessage: error.message };
        }
      }),
    };
  },
};
