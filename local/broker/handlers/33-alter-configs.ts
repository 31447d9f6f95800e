// AlterConfigs: v0–2. Behaviour: a topic resource (type 2) gets exactly the configs given, every other
// supported config back at its default (Kafka's replace semantics; kafkajs's admin.alterConfigs uses
// this API); the topic configs SKIPPED.md lists are the only ones accepted. Broker resources (type 4)
// and other types are refused with INVALID_REQUEST: the broker has no dynamic broker configs.
import { TopicError } from '../cluster/cluster';
import { ErrorCode } from '../protocol/errors';
import type { Struct } from '../protocol/message-codec';
import { AlterConfigsSchema } from '../protocol/messages/33-alter-configs';
import type { ApiHandler } from './api';

const TOPIC = 2;

interface Resource {
  ResourceType: number;
  ResourceName: string;
  Configs: { Name: string; Value: string | null }[];
}

export const alterConfigs: ApiHandler = {
  key: 33,
  name: 'AlterConfigs',
  schema: AlterConfigsSchema,
  minVersion: 0,
  maxVersion: 2,
  handle(request, context) {
    const resources = request.Resources as Resource[];
    return {
      ThrottleTimeMs: 0,
      Responses: resources.map((r): Struct => {
        const answer = (code: number, message: string | null) => ({
          ErrorCode: code,
          ErrorMessage: message,
          ResourceType: r.ResourceType,
          ResourceName: r.ResourceName,
        });
        if (r.ResourceType !== TOPIC) {
          return answer(
            ErrorCode.INVALID_REQUEST,
            `only topic configs can be altered here (resource type ${r.ResourceType} is not supported)`,
          );
        }
        const names = r.Configs.map((c) => c.Name);
        const repeated = names.find((n, i) => names.indexOf(n) !== i);
        if (repeated !== undefined) {
          return answer(ErrorCode.INVALID_REQUEST, `config ${repeated} is given more than once`);
        }
        try {
          context.cluster.alterTopicConfigs(
            r.ResourceName,
            Object.fromEntries(r.Configs.map((c) => [c.Name, c.Value])),
            request.ValidateOnly === true,
          );
          return answer(ErrorCode.NONE, null);
        } catch (error) {
          if (!(error instanceof TopicError)) throw error;
          return answer(error.code, error.message);
        }
      }),
    };
  },
};
