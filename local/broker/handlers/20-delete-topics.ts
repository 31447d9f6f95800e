// DeleteTopics: v0–6. Behaviour: by name (all versions) or, from v6, by topic id. The topic and its
// data go at once.
import { ErrorCode } from '../protocol/errors';
import { DeleteTopicsSchema } from '../protocol/messages/20-delete-topics';
import type { ApiHandler } from './api';

const ZERO_UUID = Buffer.alloc(16);

export const deleteTopics: ApiHandler = {
  key: 20,
  name: 'DeleteTopics',
  schema: DeleteTopicsSchema,
  minVersion: 0,
  maxVersion: 6,
  handle(request, context) {
    const { cluster, header } = context;
    const wanted: { name: string | null; id: Buffer }[] =
      header.apiVersion >= 6
        ? (request.Topics as { Name: string | null; TopicId: Buffer }[]).map((t) => ({
            name: t.Name,
            id: t.TopicId,
          }))
        : (request.TopicNames as string[]).map((name) => ({ name, id: ZERO_UUID }));
    return {
      ThrottleTimeMs: 0,
      Responses: wanted.map(({ name, id }) => {
        const topic = name ? cluster.topics.get(name) : cluster.topicById(id);
        if (!topic) {
          return {
            Name: name,
            TopicId: id,
            ErrorCode: name ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID,
            ErrorMessage: `unknown topic ${name ?? id.toString('hex')}`,
          };
        }
        cluster.deleteTopic(topic.name);
        context.groups.forgetTopic(topic.name);
        return { Name: topic.name, TopicId: topic.id, ErrorCode: ErrorCode.NONE, ErrorMessage: null };
      }),
    };
  },
};
