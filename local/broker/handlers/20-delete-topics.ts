// DeleteTopics: v0–6. Behaviour: by name (all versions) or, from v6, by topic id. The topic and its
// data go at once. As in Kafka, a topic named (or identified) twice in one request, or given both a
// name and an id, gets INVALID_REQUEST and is left alone.
import { entryDenial } from '../auth/authorize-request';
import { ErrorCode } from '../../kafka/errors';
import { DeleteTopicsSchema } from '../../kafka/messages/20-delete-topics';
import type { ResponseInput } from '../../kafka/schema';
import type { ApiHandler } from './api';

type TopicResponse = ResponseInput<typeof DeleteTopicsSchema>['Responses'][number];

const ZERO_UUID = Buffer.alloc(16);

export const deleteTopics: ApiHandler<typeof DeleteTopicsSchema> = {
  key: 20,
  name: 'DeleteTopics',
  schema: DeleteTopicsSchema,
  minVersion: 0,
  maxVersion: 6,
  handle(request, context): ResponseInput<typeof DeleteTopicsSchema> {
    const { cluster, header } = context;
    const wanted: { name: string | null; id: Buffer }[] =
      header.apiVersion >= 6
        ? request.Topics.map((t) => ({
            name: t.Name,
            id: t.TopicId,
          }))
        : request.TopicNames.map((name) => ({ name, id: ZERO_UUID }));
    const keyOf = (w: { name: string | null; id: Buffer }) => w.name ?? `id:${w.id.toString('hex')}`;
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    for (const w of wanted) (seen.has(keyOf(w)) ? duplicates : seen).add(keyOf(w));
    const invalid = (name: string | null, id: Buffer, message: string): TopicResponse => ({
      Name: name,
      TopicId: id,
      ErrorCode: ErrorCode.INVALID_REQUEST,
      ErrorMessage: message,
    });
    const responses = wanted
      .filter((w) => !duplicates.has(keyOf(w)))
      .map(({ name, id }): TopicResponse => {
        const byId = !id.equals(ZERO_UUID);
        if (name !== null && byId) return invalid(name, id, 'give a topic name or a topic id, not both');
        if (name === null && !byId) return invalid(name, id, 'neither a topic name nor a topic id was given');
        const topic = name !== null ? cluster.topics.get(name) : cluster.topicById(id);
        // Without DeleteTopic: 29 whether the topic exists or not (an unknown id stays UNKNOWN_TOPIC_ID).
        const topicName = name ?? topic?.name;
        const denied = topicName === undefined ? ErrorCode.NONE : entryDenial(context, 'topic', topicName);
        if (denied !== ErrorCode.NONE)
          return { Name: name, TopicId: id, ErrorCode: denied, ErrorMessage: 'Authorization failed.' };
        if (!topic) {
          return {
            Name: name,
            TopicId: id,
            ErrorCode: name !== null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID,
            ErrorMessage: `unknown topic ${name ?? id.toString('hex')}`,
          };
        }
        context.groups.deleteTopic(cluster, topic.name);
        return { Name: topic.name, TopicId: topic.id, ErrorCode: ErrorCode.NONE, ErrorMessage: null };
      });
    for (const key of duplicates) {
      const { name, id } = wanted.find((w) => keyOf(w) === key)!;
      responses.push(invalid(name, id, `topic ${name ?? id.toString('hex')} is named more than once`));
    }
    return { ThrottleTimeMs: 0, Responses: responses };
  },
};
