/**
 * Start and stop of the local runtime. What starts registers how it stops, in a phase; stopping runs
 * the phases in order, each phase's steps together, and a failed step is logged without holding up
 * the rest. A start that fails stops whatever had started.
 */

/**
 * Stop phases, in order: pollers are told to stop (so nothing new is invoked or committed), URLs
 * close, function processes end (which also ends any invocation in flight), pollers finish, Kafka
 * clients disconnect, log streams end before their files close, the broker and DynamoDB go next and
 * the temporary folder last.
 */
export const StopPhase = {
  stopPollers: 0,
  urls: 1,
  functions: 2,
  pollersDone: 3,
  clients: 4,
  streams: 5,
  files: 6,
  stores: 7,
  temp: 8,
} as const;
export type StopPhase = (typeof StopPhase)[keyof typeof StopPhase];

/** A stop step: resolves when what it stops has stopped. */
export type StopStep = () => Promise<unknown>;

export class Lifecycle {
  private readonly steps: { readonly phase: StopPhase; readonly run: StopStep }[] = [];
  private stopRequested = false;

  /** @param log receives the steps that failed while stopping. */
  constructor(private readonly log: (message: string) => void) {}

  /** Whether stop() was called: nothing new should start. */
  get stopping(): boolean {
    return this.stopRequested;
  }

  /** Registers how to stop something that started. */
  onStop(phase: StopPhase, run: StopStep): void {
    this.steps.push({ phase, run });
  }

  /** Runs `start`; when it throws, stops what it registered before passing the error on. */
  async start<T>(start: () => Promise<T>): Promise<T> {
    try {
      return await start();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Runs every registered step, phase by phase; a second call finds nothing left to stop. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    const steps = this.steps.splice(0);
    for (const phase of [...new Set(steps.map((s) => s.phase))].sort((a, b) => a - b)) {
      await Promise.all(
        steps
          .filter((s) => s.phase === phase)
          .map((s) => s.run().catch((error: Error) => this.log(`while stopping: ${error.message}`))),
      );
    }
  }
}
