/** Lambda entry point of the topic-admin custom resource (invoked by CloudFormation). */
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { getAdmin } from '../commons/kafka-client';
import { instrumented, logger } from '../commons/powertools';
import { responseDocument, sendResponse, type ResourceOutcome } from './cfn-response';
import { handleTopicRequest } from './topic-admin';

/** Answers one CloudFormation request, within the invocation's time. */
async function answer(event: CloudFormationCustomResourceEvent, context: Context): Promise<void> {
  logger.info('topic request', { requestType: event.RequestType, logicalId: event.LogicalResourceId });
  // Answer before Lambda's timeout cuts us off: a missing answer stalls the stack for an hour.
  const deadline = new Promise<ResourceOutcome>((resolve) =>
    setTimeout(
      () =>
        resolve({
          status: 'FAILED',
          physicalResourceId:
            event.RequestType === 'Create'
              ? `failed-create-${event.LogicalResourceId}`
              : event.PhysicalResourceId,
          reason: 'timed out talking to the Kafka cluster',
        }),
      Math.max(1_000, context.getRemainingTimeInMillis() - 5_000),
    ).unref(),
  );
  const outcome = await Promise.race([handleTopicRequest(event, getAdmin, (m) => logger.info(m)), deadline]);
  await sendResponse(event.ResponseURL, responseDocument(event, outcome, context.logStreamName));
}

export const handler = instrumented(answer, { logger });
