// IncrementalAlterConfigs: v0–1. Behaviour: each config of a topic resource (type 2) is changed by its
// operation — SET, DELETE (back to the default), APPEND and SUBTRACT (list configs only: cleanup.policy)
// — and the other configs stay as they are; the result is validated as a whole and applied at once, or
// not at all. kafka-configs --alter uses this API. Broker resources (type 4) and other types are refused
// with INVALID_REQUEST: the broker has no dynamic broker configs.
import { TopicError } from '../cluster/cluster';
import { TOPIC_CONFIGS } from '../cluster/topic-config';
import { ErrorCode } from '../../kafka/errors';
import { IncrementalAlterConfigsSchema } from '../../kafka/messages/44-incremental-alter-configs';
import type { RequestOf, ResponseInput } from '../../kafka/schema';
import type { ApiHandler } from './api';
import { alterResource, configDenial } from './config-resources';

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;
/** Topic configs whose value is a comma-separated list, the only ones APPEND and SUBTRACT apply to. */
const LIST_CONFIGS = new Set(['cleanup.policy']);

type Change = RequestOf<typeof IncrementalAlterConfigsSchema>['Resources'][number]['Configs'][number];

/**
 * The configs set on a topic after `changes` to those set before (`current`); throws TopicError for a
 * change Kafka refuses. APPEND and SUBTRACT start from the default when the config is not set, as in
 * Kafka.
 */
function applyChanges(current: Readonly<Record<string, string>>, changes: readonly Change[]) {
  const next: Record<string, string> = { ...current };
  const seen = new Set<string>();
  for (const { Name: name, ConfigOperation: op, Value: value } of changes) {
    if (seen.has(name)) {
      throw new TopicError(`config ${name} is changed more than once`, ErrorCode.INVALID_REQUEST);
    }
    seen.add(name);
    if (op === DELETE) {
      delete next[name];
      continue;
    }
    if (op !== SET && op !== APPEND && op !== SUBTRACT) {
      throw new TopicError(`unknown config operation ${op} for ${name}`, ErrorCode.INVALID_REQUEST);
    }
    if (value === null) throw new TopicError(`config ${name} needs a value`, ErrorCode.INVALID_REQUEST);
    if (op === SET) {
      next[name] = value;
      continue;
    }
    if (!LIST_CONFIGS.has(name)) {
      throw new TopicError(
        `${op === APPEND ? 'APPEND' : 'SUBTRACT'} applies only to list configs ` +
          `(${[...LIST_CONFIGS].join(', ')}), not ${name}`,
        ErrorCode.INVALID_CONFIG,
      );
    }
    const items = (next[name] ?? TOPIC_CONFIGS[name].default).split(',').filter((item) => item !== '');
    const given = value.split(',').filter((item) => item !== '');
    next[name] = (
      op === APPEND
        ? [...items, ...given.filter((item) => !items.includes(item))]
        : items.filter((item) => !given.includes(item))
    ).join(',');
  }
  return next;
}

export const incrementalAlterConfigs: ApiHandler<typeof IncrementalAlterConfigsSchema> = {
  key: 44,
  name: 'IncrementalAlterConfigs',
  schema: IncrementalAlterConfigsSchema,
  minVersion: 0,
  maxVersion: 1,
  handle(request, context): ResponseInput<typeof IncrementalAlterConfigsSchema> {
    return {
      ThrottleTimeMs: 0,
      Responses: request.Resources.map((r) =>
        alterResource(r, configDenial(context, r), () => {
          const topic = context.cluster.topics.get(r.ResourceName);
          if (!topic) {
            throw new TopicError(`unknown topic ${r.ResourceName}`, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          }
          const current = Object.fromEntries([...topic.overrides].map((n) => [n, topic.configs[n]]));
          context.cluster.alterTopicConfigs(
            r.ResourceName,
            applyChanges(current, r.Configs),
            request.ValidateOnly,
          );
        }),
      ),
    };
  },
};
