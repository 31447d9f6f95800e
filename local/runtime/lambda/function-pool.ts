/**
 * Runs one Lambda function locally: a pool of host processes (execution environments), each serving
 * one invocation at a time, scaled up on demand to `maxConcurrency` and reused while warm.
 *
 * As in Lambda: the handler module loads once per environment; a timeout ends the environment
 * ("Task timed out after N seconds"); a crash (the process exits or is killed mid-invocation) fails
 * that invocation with Runtime.ExitError and the next invocation gets a fresh environment. Callers
 * (the mapping poller, the URL server) decide what a failure means, exactly as AWS's do.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HostMessage, ParentMessage, SerializedError } from './ipc';

export interface FunctionSpec {
  /** The function's name (AWS_LAMBDA_FUNCTION_NAME). */
  readonly name: string;
  readonly arn: string;
  /** Directory holding the bundled code. */
  readonly codeDir: string;
  /** `file.export`, as in the template. */
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly environment: Readonly<Record<string, string>>;
}

export type InvokeOutcome =
  | { readonly ok: true; readonly payload: unknown; readonly durationMs: number }
  | {
      readonly ok: false;
      /** function: the handler threw; timeout, crash, init: the environment failed. */
      readonly kind: 'function' | 'timeout' | 'crash' | 'init';
      readonly error: SerializedError;
      readonly durationMs: number;
    };

export interface FunctionPoolOptions {
  /** Most environments at once (Lambda's concurrency). @default 10 */
  readonly maxConcurrency?: number;
  /** Receives each line the function writes to stdout or stderr. */
  readonly log?: (line: string) => void;
  /**
   * A file descriptor the function's stdout and stderr go to directly, without passing through this
   * process (cheaper under load). Ignored when `log` is given.
   */
  readonly outputFd?: number;
  /** Extra Node flags for the host process. */
  readonly execArgv?: readonly string[];
  /**
   * The node executable environments run on (node-binaries.ts picks the template's major).
   * @default the Node running this process
   */
  readonly nodeExecutable?: string;
}

export interface FunctionStats {
  invocations: number;
  errors: number;
  timeouts: number;
  crashes: number;
  environments: number;
  /** Invocations that had to start an environment (warm() ahead of the first one is not counted). */
  coldStarts: number;
}

/**
 * Emitted as `invocation` after each invocation, for live views; built only while someone listens.
 * (`invoked` carries the outcome and the event, for callers that act on them.)
 */
export interface InvocationNotice {
  /** When the invocation was asked for (ms since the epoch). */
  readonly at: number;
  readonly durationMs: number;
  readonly ok: boolean;
  /** It started an environment: the handler module was loaded for it. */
  readonly coldStart: boolean;
  /** The drill delay applied before the handler (0: none). */
  readonly delayMs: number;
  readonly error?: string;
}

/** Longest drill delay: beyond any function's timeout a drill would want. */
export const MAX_DRILL_DELAY_MS = 30_000;

const HOST = path.join(__dirname, 'host.ts');

/** One execution environment. */
class Environment {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  busy = false;
  exited = false;
  private current:
    | { id: number; resolve: (m: HostMessage & { type: 'result' }) => void; fail: (why: string) => void }
    | undefined;

  constructor(spec: FunctionSpec, options: FunctionPoolOptions) {
    this.child = fork(HOST, [], {
      // Another Node major may run the host: the IPC below is JSON, which every version reads alike
      // (the 'advanced' serialization is V8's format and may differ between majors).
      execPath: options.nodeExecutable ?? process.execPath,
      env: {
        // Variables Lambda itself sets in every execution environment.
        AWS_LAMBDA_FUNCTION_NAME: spec.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.name}`,
        AWS_LAMBDA_LOG_STREAM_NAME: 'local',
        // Powertools reports a cold start (and its ColdStart metric) only where this says on-demand.
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        LAMBDA_TASK_ROOT: spec.codeDir,
        TZ: ':UTC',
        ...spec.environment,
        KW_CODE_DIR: spec.codeDir,
        KW_FUNCTION_ARN: spec.arn,
        _HANDLER: spec.handler,
      },
      execArgv: [
        '--require',
        require.resolve('tsx/cjs'),
        `--max-old-space-size=${spec.memoryMb}`,
        ...(options.execArgv ?? []),
      ],
      stdio:
        options.outputFd !== undefined && !options.log
          ? ['ignore', options.outputFd, options.outputFd, 'ipc']
          : ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
      // Its own process group: a terminal's Ctrl-C reaches the runtime only, which then stops each
      // environment in order. If the runtime dies, the IPC channel closes and the host exits.
      detached: true,
    });
    const log = options.log;
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        if (log) for (const line of lines) log(line);
      });
    }
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (m: HostMessage) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'init-error') reject(Object.assign(new Error(m.error.errorMessage), m.error));
        else if (m.type === 'result' && this.current?.id === m.id) this.current.resolve(m);
      });
      this.child.on('exit', (code, signal) => {
        this.exited = true;
        const why = signal ? `signal: ${signal.toLowerCase().replace(/^sig/, '')}` : `exit status ${code}`;
        reject(new Error(`Runtime exited with error: ${why}`));
        this.current?.fail(why);
      });
    });
    this.ready.catch(() => undefined);
  }

  run(id: number, message: ParentMessage, timeoutMs: number): Promise<HostMessage & { type: 'result' }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.current = undefined;
        this.kill();
        reject(Object.assign(new Error('timeout'), { kind: 'timeout' }));
      }, timeoutMs);
      this.current = {
        id,
        resolve: (m) => {
          clearTimeout(timer);
          this.current = undefined;
          resolve(m);
        },
        fail: (why) => {
          clearTimeout(timer);
          this.current = undefined;
          reject(Object.assign(new Error(`Runtime exited with error: ${why}`), { kind: 'crash' }));
        },
      };
      this.child.send(message);
    });
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

export class FunctionPool extends EventEmitter {
  readonly stats: FunctionStats = {
    invocations: 0,
    errors: 0,
    timeouts: 0,
    crashes: 0,
    environments: 0,
    coldStarts: 0,
  };
  /**
   * A drill: extra milliseconds each invocation waits, holding its environment, before the handler
   * runs; counted in its duration and against its timeout, as a slow handler's time would be.
   */
  delayMs = 0;
  private readonly idle: Environment[] = [];
  private readonly all = new Set<Environment>();
  private readonly waiting: (() => void)[] = [];
  private nextId = 1;
  private closed = false;
  private readonly maxConcurrency: number;

  constructor(
    readonly spec: FunctionSpec,
    private readonly options: FunctionPoolOptions = {},
  ) {
    super();
    this.maxConcurrency = options.maxConcurrency ?? 10;
  }

  /** Process ids of the live environments (busy or idle). */
  get pids(): number[] {
    return [...this.all].filter((e) => !e.exited).map((e) => e.child.pid ?? -1);
  }

  /** Starts one environment ahead of the first invocation; rejects if the handler fails to load. */
  async warm(): Promise<void> {
    const env = this.spawn();
    await env.ready;
    this.release(env);
  }

  /** Invokes the function once with `event` and reports how it went; never throws. */
  async invoke(event: unknown): Promise<InvokeOutcome> {
    const started = Date.now();
    this.stats.invocations++;
    const id = this.nextId++;
    const requestId = randomUUID();
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    let coldStart = false;
    let delayMs = 0;
    const done = (outcome: InvokeOutcome): InvokeOutcome => {
      if (!outcome.ok) this.stats.errors++;
      this.emit('invoked', outcome, event);
      if (this.listenerCount('invocation') > 0) {
        const notice: InvocationNotice = {
          at: started,
          durationMs: outcome.durationMs,
          ok: outcome.ok,
          coldStart,
          delayMs,
          ...(outcome.ok ? {} : { error: `${outcome.error.errorType}: ${outcome.error.errorMessage}` }),
        };
        this.emit('invocation', notice);
      }
      return outcome;
    };
    const acquired = await this.acquire();
    const env = acquired?.env;
    if (acquired?.cold) {
      coldStart = true;
      this.stats.coldStarts++;
    }
    // The pool closed while this invocation waited for an environment or sat in a drill delay.
    const stopping = () =>
      done({
        ok: false,
        kind: 'crash',
        error: {
          errorType: 'Runtime.Stopping',
          errorMessage: `${this.spec.name}: the local runtime is stopping`,
        },
        durationMs: Date.now() - started,
      });
    if (!env) return stopping();
    try {
      await env.ready;
    } catch (error) {
      this.discard(env);
      const e = error as Error & Partial<SerializedError>;
      return done({
        ok: false,
        kind: e.errorType ? 'init' : 'crash',
        error: { errorType: e.errorType ?? 'Runtime.ExitError', errorMessage: e.message, trace: e.trace },
        durationMs: Date.now() - started,
      });
    }
    delayMs = Math.min(Math.max(0, this.delayMs), MAX_DRILL_DELAY_MS);
    if (delayMs > 0) {
      await sleep(delayMs);
      if (env.exited || this.closed) {
        this.discard(env);
        return stopping();
      }
    }
    // What is left of the timeout after the drill delay (none: it times out at once, as a handler would).
    const remainingMs = Math.max(0, timeoutMs - delayMs);
    try {
      const reply = await env.run(
        id,
        { type: 'invoke', id, requestId, deadline: Date.now() + remainingMs, event },
        remainingMs,
      );
      this.release(env);
      const durationMs = Date.now() - started;
      return reply.error
        ? done({ ok: false, kind: 'function', error: reply.error, durationMs })
        : done({ ok: true, payload: reply.result, durationMs });
    } catch (error) {
      this.discard(env);
      const kind = (error as { kind?: 'timeout' | 'crash' }).kind ?? 'crash';
      if (kind === 'timeout') this.stats.timeouts++;
      else this.stats.crashes++;
      return done({
        ok: false,
        kind,
        error:
          kind === 'timeout'
            ? {
                errorType: 'Sandbox.Timedout',
                errorMessage: `RequestId: ${requestId} Error: Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`,
              }
            : {
                errorType: 'Runtime.ExitError',
                errorMessage: `RequestId: ${requestId} Error: ${(error as Error).message}`,
              },
        durationMs: Date.now() - started,
      });
    }
  }

  /** Stops every environment; pending invocations fail as crashes. */
  async close(): Promise<void> {
    this.closed = true;
    const exits = [...this.all].map(
      (env) =>
        new Promise<void>((resolve) => (env.exited ? resolve() : env.child.once('exit', () => resolve()))),
    );
    for (const env of this.all) {
      if (env.busy) env.kill();
      else if (!env.exited) env.child.disconnect();
    }
    const timer = setTimeout(() => this.all.forEach((env) => env.kill()), 2000);
    await Promise.all(exits);
    clearTimeout(timer);
    for (const wake of this.waiting.splice(0)) wake();
  }

  private spawn(): Environment {
    const env = new Environment(this.spec, this.options);
    this.stats.environments++;
    this.all.add(env);
    env.busy = true;
    env.child.once('exit', () => {
      this.all.delete(env);
      const at = this.idle.indexOf(env);
      if (at >= 0) this.idle.splice(at, 1);
      this.waiting.shift()?.();
    });
    return env;
  }

  /**
   * An idle environment, a new one (`cold`), or (at the limit) the next one released; none once
   * closed.
   */
  private async acquire(): Promise<{ env: Environment; cold: boolean } | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const env = this.idle.pop();
      if (env && !env.exited) {
        env.busy = true;
        return { env, cold: false };
      }
      if (this.all.size < this.maxConcurrency) return { env: this.spawn(), cold: true };
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(env: Environment): void {
    env.busy = false;
    if (env.exited) return;
    this.idle.push(env);
    this.waiting.shift()?.();
  }

  private discard(env: Environment): void {
    env.busy = false;
    env.kill();
  }
}
