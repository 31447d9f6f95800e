/**
 * What DescribeConfigs, AlterConfigs and IncrementalAlterConfigs share: Kafka's config resource types,
 * and the per-resource answer of the two alter APIs.
 */
import { entryDenial } from '../auth/authorize-request';
import { TopicError } from '../cluster/cluster';
import { ErrorCode } from '../../kafka/errors';
import type { AlterConfigsSchema } from '../../kafka/messages/33-alter-configs';
import type { ResponseInput } from '../../kafka/schema';
import type { RequestContext } from './api';

/** Kafka's ConfigResource.Type codes that the broker knows. */
export const ResourceType = { TOPIC: 2, BROKER: 4 } as const;

/**
 * The code a config resource answers on the IAM listener when its MSK action is denied (29 for a topic's
 * {Describe,Alter}TopicDynamicConfiguration, 31 for a broker's cluster action), NONE otherwise.
 */
export const configDenial = (
  context: { readonly access?: RequestContext['access'] },
  resource: AlterResource,
): number =>
  entryDenial(
    context,
    resource.ResourceType === ResourceType.TOPIC ? 'topic' : 'cluster',
    resource.ResourceName,
  );

/** One resource of an alter request. */
export interface AlterResource {
  readonly ResourceType: number;
  readonly ResourceName: string;
}

/** One resource's answer; IncrementalAlterConfigs lays it out the same way. */
type AlterResourceResult = ResponseInput<typeof AlterConfigsSchema>['Responses'][number];

/**
 * The answer for one resource of an alter request: `denied` (configDenial) answers first; then `alter`
 * is run for topics and a TopicError it throws becomes the resource's error; other resource types are
 * refused, since the broker has no dynamic broker configs.
 */
export function alterResource(
  resource: AlterResource,
  denied: number,
  alter: () => void,
): AlterResourceResult {
  const answer = (code: number, message: string | null): AlterResourceResult => ({
    ErrorCode: code,
    ErrorMessage: message,
    ResourceType: resource.ResourceType,
    ResourceName: resource.ResourceName,
  });
  if (denied !== ErrorCode.NONE) return answer(denied, 'Authorization failed.');
  if (resource.ResourceType !== ResourceType.TOPIC) {
    return answer(
      ErrorCode.INVALID_REQUEST,
      `only topic configs can be altered here (resource type ${resource.ResourceType} is not supported)`,
    );
  }
  try {
    alter();
    return answer(ErrorCode.NONE, null);
  } catch (error) {
    if (!(error instanceof TopicError)) throw error;
    return answer(error.code, error.message);
  }
}
