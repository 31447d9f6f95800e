// AlterConfigs: v0–2. Behaviour: a topic resource (type 2) gets exactly the configs given, every other
// supported config back at its default (Kafka's replace semantics; kafkajs's admin.alterConfigs uses
// this API); the topic configs SKIPPED.md lists are the only ones accepted. Broker resources (type 4)
// and other types are refused with INVALID_REQUEST: the broker has no dynamic broker configs.
import { TopicError } from '../cluster/cluster';
import { ErrorCode } from '../../kafka/errors';
import { AlterConfigsSchema } from '../../kafka/messages/33-alter-configs';
import type { ResponseInput } from '../../kafka/schema';
import type { ApiHandler } from './api';
import { alterResource, configDenial } from './config-resources';

export const alterConfigs: ApiHandler<typeof AlterConfigsSchema> = {
  key: 33,
  name: 'AlterConfigs',
  schema: AlterConfigsSchema,
  minVersion: 0,
  maxVersion: 2,
  handle(request, context): ResponseInput<typeof AlterConfigsSchema> {
    return {
      ThrottleTimeMs: 0,
      Responses: request.Resources.map((r) =>
        alterResource(r, configDenial(context, r), () => {
          const names = r.Configs.map((c) => c.Name);
          const repeated = names.find((n, i) => names.indexOf(n) !== i);
          if (repeated !== undefined) {
            throw new TopicError(`config ${repeated} is given more than once`, ErrorCode.INVALID_REQUEST);
          }
          context.cluster.alterTopicConfigs(
            r.ResourceName,
            Object.fromEntries(r.Configs.map((c) => [c.Name, c.Value])),
            request.ValidateOnly,
          );
        }),
      ),
    };
  },
};
