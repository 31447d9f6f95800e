// DescribeConfigs: v0–4. Behaviour: topic resources (type 2) list their configs, defaults marked as
// such; broker resources (type 4) list nothing; other types get INVALID_REQUEST.
import { TOPIC_CONFIGS } from '../cluster/topic-config';
import { ErrorCode } from '../protocol/errors';
import type { Struct } from '../protocol/message-codec';
import { DescribeConfigsSchema } from '../protocol/messages/32-describe-configs';
import type { ApiHandler } from './api';

const TOPIC = 2;
const BROKER = 4;
const SOURCE_TOPIC = 1;
const SOURCE_DEFAULT = 5;

export const describeConfigs: ApiHandler = {
  key: 32,
  name: 'DescribeConfigs',
  schema: DescribeConfigsSchema,
  minVersion: 0,
  maxVersion: 4,
  handle(request, context) {
    const resources = request.Resources as {
      ResourceType: number;
      ResourceName: string;
      ConfigurationKeys: string[] | null;
    }[];
    return {
      ThrottleTimeMs: 0,
      Results: resources.map((r): Struct => {
        const base = { ResourceType: r.ResourceType, ResourceName: r.ResourceName };
        if (r.ResourceType === BROKER)
          return { ...base, ErrorCode: ErrorCode.NONE, ErrorMessage: null, Configs: [] };
        if (r.ResourceType !== TOPIC) {
          return {
            ...base,
            ErrorCode: ErrorCode.INVALID_REQUEST,
            ErrorMessage: `resource type ${r.ResourceType} is not supported`,
            Configs: [],
          };
        }
        const topic = context.cluster.topics.get(r.ResourceName);
        if (!topic) {
          return {
            ...base,
            ErrorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            ErrorMessage: `unknown topic ${r.ResourceName}`,
            Configs: [],
          };
        }
        const keys = r.ConfigurationKeys ?? Object.keys(topic.configs);
        return {
          ...base,
          ErrorCode: ErrorCode.NONE,
          ErrorMessage: null,
          Configs: keys
            .filter((k) => Object.hasOwn(topic.configs, k))
            .map((name) => {
              const isDefault = topic.configs[name] === TOPIC_CONFIGS[name]?.default;
              return {
                Name: name,
                Value: topic.configs[name],
                ReadOnly: false,
                IsDefault: isDefault,
                ConfigSource: isDefault ? SOURCE_DEFAULT : SOURCE_TOPIC,
                IsSensitive: false,
                Synonyms: [],
                ConfigType: 0,
                Documentation: null,
              };
            }),
        };
      }),
    };
  },
};
