/**
 * Names shared by the CDK app and the functions. The app creates the topics and passes their names to
 * each function in its environment; functions fall back to these names so they also run without it.
 */
export const PIPELINE_TOPICS = {
  orders: 'orders',
  enriched: 'orders.enriched',
  deadLetter: 'orders.dlq',
} as const;

/** Reads a topic name from the environment, falling back to the pipeline's default. */
export function topicFromEnv(
  variable: string,
  fallback: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const value = env[variable];
  return value && value.length > 0 ? value : fallback;
}

/** CloudWatch namespace of the pipeline's business metrics; the dashboard reads from it. */
export const METRICS_NAMESPACE = 'ServerlessKafkaWorkshop';
