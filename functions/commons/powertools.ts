/** One logger and one metrics instance per container, shared by every module of a function. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE } from './names';

export const logger = new Logger();
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE });
