/** Messages between the function pool (parent) and a function's host process (child). */

/** An error as Lambda reports it: `errorType`, `errorMessage`, `trace`. */
export interface SerializedError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: readonly string[];
}

export type ParentMessage = {
  readonly type: 'invoke';
  readonly id: number;
  readonly requestId: string;
  /** Epoch ms at which the invocation times out (for `getRemainingTimeInMillis`). */
  readonly deadline: number;
  readonly event: unknown;
};

export type HostMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'init-error'; readonly error: SerializedError }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly result?: unknown;
      readonly error?: SerializedError;
    };
