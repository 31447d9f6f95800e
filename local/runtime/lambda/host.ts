/**
 * The process one function instance runs in (like a Lambda execution environment): loads the bundled
 * handler once (the init phase), then runs one invocation at a time as the parent asks over IPC.
 * Started by function-pool.ts with the function's environment; never run by hand.
 */
import * as path from 'node:path';
import type { HostMessage, ParentMessage, SerializedError } from './ipc';

const codeDir = process.env.KW_CODE_DIR;
const handlerSpec = process.env._HANDLER ?? 'index.handler';

function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n'),
    };
  }
  return { errorType: 'Error', errorMessage: String(error), trace: [] };
}

function send(message: HostMessage): void {
  process.send?.(message);
}

type Handler = (event: unknown, context: unknown, callback?: (e: unknown, r?: unknown) => void) => unknown;

function loadHandler(): Handler {
  if (!codeDir) throw new Error('KW_CODE_DIR is not set');
  const dot = handlerSpec.lastIndexOf('.');
  const modulePath = path.join(codeDir, handlerSpec.slice(0, dot));
  const exportName = handlerSpec.slice(dot + 1);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require(modulePath) as Record<string, unknown>;
  const handler = loaded[exportName];
  if (typeof handler !== 'function') {
    throw new Error(`${handlerSpec}: ${modulePath} does not export a function named ${exportName}`);
  }
  return handler as Handler;
}

function context(requestId: string, deadline: number) {
  const name = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'function';
  return {
    functionName: name,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
    invokedFunctionArn: process.env.KW_FUNCTION_ARN ?? `arn:aws:lambda:local:000000000000:function:${name}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128',
    awsRequestId: requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME ?? `/aws/lambda/${name}`,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Runs the handler, promise- or callback-style, and resolves to its result. */
function run(handler: Handler, event: unknown, ctx: ReturnType<typeof context>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const callback = (error: unknown, result?: unknown) => (error ? reject(error) : resolve(result));
    try {
      const returned = handler(event, ctx, callback);
      if (returned && typeof (returned as Promise<unknown>).then === 'function') {
        (returned as Promise<unknown>).then(resolve, reject);
      } else if (handler.length < 3) {
        resolve(returned);
      }
    } catch (error) {
      reject(error);
    }
  });
}

let handler: Handler;
try {
  handler = loadHandler();
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'init-error', error: serializeError(error) });
  process.exitCode = 1;
  process.disconnect?.();
}

process.on('message', (message: ParentMessage) => {
  if (message.type !== 'invoke') return;
  run(handler, message.event, context(message.requestId, message.deadline)).then(
    (result) => {
      try {
        send({ type: 'result', id: message.id, result: result === undefined ? null : result });
      } catch (error) {
        // A BigInt or a cycle in the result: Lambda reports that as a serialization error.
        send({
          type: 'result',
          id: message.id,
          error: {
            errorType: 'Runtime.MarshalError',
            errorMessage: `Unable to marshal response: ${(error as Error).message}`,
          },
        });
      }
    },
    (error: unknown) => send({ type: 'result', id: message.id, error: serializeError(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
