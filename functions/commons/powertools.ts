/**
 * One logger and one metrics instance per container, shared by every module of a function, and the
 * one wrapper every entry point goes through.
 *
 * {@link instrumented} wraps an entry point with Powertools' own handler decorators:
 * `logger.injectLambdaContext()`, so every log line carries the request id, cold start and function
 * name; and, for functions that publish metrics, `metrics.logMetrics({ captureColdStartMetric: true })`,
 * which flushes the stored metrics when the handler returns or throws and emits a `ColdStart` metric
 * (dimensions service and function_name) on a container's first invocation.
 *
 * The decorators are applied by a call rather than written as `@logger.injectLambdaContext()` on a
 * handler class, or used as middy middlewares, because:
 * - they are TypeScript's legacy (experimentalDecorators) kind: tsconfig.json does not enable those, so
 *   tsc and esbuild would apply `@` as a standard decorator, which passes other arguments and breaks them;
 * - Powertools' middlewares need @middy/core, which is not a dependency.
 * Calling a decorator with a property descriptor is what the legacy `@` syntax compiles to, so the code
 * that runs is Powertools' own, in the order stacked decorators give (the logger outermost).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { METRICS_NAMESPACE } from './names';

export const logger = new Logger();
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE });

/** A Lambda entry point in the promise style. */
export type LambdaHandler<E, R> = (event: E, context: Context) => Promise<R>;

/** What an entry point reports through. */
export interface Instrumentation {
  readonly logger: Logger;
  /**
   * Metrics the handler adds to, flushed after each invocation.
   * @default - none: no flush and no ColdStart metric (a flush with nothing stored only logs a warning)
   */
  readonly metrics?: Metrics;
}

type HandlerDecorator = ReturnType<Logger['injectLambdaContext']>;

/** Applies a Powertools handler decorator to a function, as the legacy `@` syntax does to a method. */
function decorate<E, R>(handler: LambdaHandler<E, R>, decorator: HandlerDecorator): LambdaHandler<E, R> {
  const descriptor = { value: handler };
  decorator({ handler }, 'handler', descriptor as Parameters<HandlerDecorator>[2]);
  return descriptor.value;
}

/** Wraps an entry point once with Powertools' logger context and, when given, its metrics. */
export function instrumented<E, R>(
  handler: LambdaHandler<E, R>,
  tools: Instrumentation,
): LambdaHandler<E, R> {
  const measured = tools.metrics
    ? decorate(handler, tools.metrics.logMetrics({ captureColdStartMetric: true }))
    : handler;
  return decorate(measured, tools.logger.injectLambdaContext());
}
