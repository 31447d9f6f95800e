/** Lambda entry point of the self-destruct function (invoked by its schedule). */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { instrumented, logger } from '../commons/powertools';
import { selfDestruct, settingsFromEnv, type SelfDestructOutcome } from './self-destruct';

const cfn = new CloudFormationClient({});

/** One scheduled run, logged as an error when someone has to act. */
async function run(): Promise<SelfDestructOutcome> {
  const outcome = await selfDestruct(cfn, settingsFromEnv(), new Date());
  const log = outcome.action === 'cannot' ? logger.error.bind(logger) : logger.info.bind(logger);
  log(`self-destruct: ${outcome.action}`, { reason: outcome.reason });
  return outcome;
}

export const handler = instrumented(run, { logger });
