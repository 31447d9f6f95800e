// DescribeConfigs: v0–4. Behaviour: topic resources (type 2) list their configs: source TOPIC_CONFIG
// for those set on the topic, DEFAULT_CONFIG otherwise; synonyms (v1+, when asked) are the topic's own
// setting followed by the broker config holding the default; v3+ adds each config's type and, when
// asked, a description. As in Kafka 3.9, v0's IsDefault is always false. Broker resources (type 4) name
// the broker asked, or '' for the cluster-wide dynamic defaults, and list nothing (SKIPPED.md); another
// broker id, or another resource type, gets INVALID_REQUEST.
import { topicNameProblem, type Topic } from '../cluster/cluster';
import { TOPIC_CONFIGS } from '../cluster/topic-config';
import { ErrorCode } from '../../kafka/errors';
import { DescribeConfigsSchema } from '../../kafka/messages/32-describe-configs';
import type { ResponseInput } from '../../kafka/schema';
import type { ApiHandler } from './api';
import { configDenial, ResourceType } from './config-resources';

const SOURCE_TOPIC = 1;
const SOURCE_DEFAULT = 5;

type DescribeConfigsResponse = ResponseInput<typeof DescribeConfigsSchema>;
type Result = DescribeConfigsResponse['Results'][number];
type Config = Result['Configs'][number];

/** One config of a topic as DescribeConfigs lists it. */
function describeConfig(topic: Topic, name: string, synonyms: boolean, documentation: boolean): Config {
  const spec = TOPIC_CONFIGS[name];
  const value = topic.configs[name];
  const set = topic.overrides.has(name);
  const all = [
    ...(set ? [{ Name: name, Value: value, Source: SOURCE_TOPIC }] : []),
    ...(spec?.brokerDefault
      ? [{ Name: spec.brokerDefault, Value: spec.default, Source: SOURCE_DEFAULT }]
      : []),
  ];
  return {
    Name: name,
    Value: value,
    ReadOnly: false,
    IsDefault: false,
    ConfigSource: set ? SOURCE_TOPIC : SOURCE_DEFAULT,
    IsSensitive: false,
    Synonyms: synonyms ? all : [],
    ConfigType: spec?.type ?? 0,
    Documentation: documentation ? (spec?.documentation ?? null) : null,
  };
}

export const describeConfigs: ApiHandler<typeof DescribeConfigsSchema> = {
  key: 32,
  name: 'DescribeConfigs',
  schema: DescribeConfigsSchema,
  minVersion: 0,
  maxVersion: 4,
  handle(request, context): DescribeConfigsResponse {
    const synonyms = request.IncludeSynonyms;
    const documentation = request.IncludeDocumentation;
    return {
      ThrottleTimeMs: 0,
      Results: request.Resources.map((r): Result => {
        const answer = (code: number, message: string | null, configs: Config[] = []): Result => ({
          ResourceType: r.ResourceType,
          ResourceName: r.ResourceName,
          ErrorCode: code,
          ErrorMessage: message,
          Configs: configs,
        });
        const denied = configDenial(context, r);
        if (denied !== ErrorCode.NONE) return answer(denied, 'Authorization failed.');
        if (r.ResourceType === ResourceType.BROKER) {
          const thisBroker =
            /^[+-]?\d+$/.test(r.ResourceName) && Number(r.ResourceName) === context.broker.nodeId;
          if (r.ResourceName === '' || thisBroker) return answer(ErrorCode.NONE, null);
          return answer(
            ErrorCode.INVALID_REQUEST,
            `broker resource ${r.ResourceName}: expected this broker's id ${context.broker.nodeId} or ''`,
          );
        }
        if (r.ResourceType !== ResourceType.TOPIC) {
          return answer(ErrorCode.INVALID_REQUEST, `resource type ${r.ResourceType} is not supported`);
        }
        const nameProblem = topicNameProblem(r.ResourceName);
        if (nameProblem) return answer(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
        const topic = context.cluster.topics.get(r.ResourceName);
        if (!topic) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${r.ResourceName}`);
        const keys = r.ConfigurationKeys ?? Object.keys(topic.configs);
        return answer(
          ErrorCode.NONE,
          null,
          keys
            .filter((k) => Object.hasOwn(topic.configs, k))
            .map((name) => describeConfig(topic, name, synonyms, documentation)),
        );
      }),
    };
  },
};
