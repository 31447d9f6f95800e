/**
 * Reads every group once a second into a LagHistory: one round of requests per second in all (see
 * group-reader.ts), never two at once (a round that waits on a broker that stopped answering delays
 * the next). While the cluster cannot be read the history keeps its last figures; the first failure
 * and the recovery are logged, not every second.
 */
import { GroupReader, type GroupRead } from './group-reader';
import type { KafkaRequests } from './kafka-requests';
import { LagHistory } from './lag-history';

export const SAMPLE_MS = 1000;

export class LagSampler {
  readonly history = new LagHistory();
  /** What the last round read, for views that can take a second-old answer instead of asking again. */
  latest: { readonly at: number; readonly groups: readonly GroupRead[] } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private failing = false;

  constructor(
    private readonly requests: KafkaRequests,
    private readonly reader: GroupReader,
    private readonly log: (message: string) => void,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.sample(), SAMPLE_MS);
    this.timer.unref();
    void this.sample();
  }

  /** Stops sampling and waits for a round under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
  }

  /** One round now, unless one is under way. */
  sample(): Promise<void> {
    this.round ??= this.readAll().finally(() => (this.round = undefined));
    return this.round;
  }

  private async readAll(): Promise<void> {
    let groups: GroupRead[];
    try {
      const md = await this.requests.metadata([]);
      const ids = await this.reader.list(md.Brokers.map((b) => b.NodeId));
      groups = await this.reader.read(ids);
      this.history.retain(new Set(ids));
    } catch (error) {
      if (!this.failing)
        this.log(
          `console: cannot read the groups' lag (${(error as Error).message}); keeping the last figures`,
        );
      this.failing = true;
      return;
    }
    if (this.failing) this.log("console: reading the groups' lag again");
    this.failing = false;
    const at = Date.now();
    this.latest = { at, groups };
    for (const g of groups) {
      this.history.observe(g.groupId, {
        at,
        state: g.state,
        generation: g.generation,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          clientId: m.clientId,
          partitions: m.assignment.flatMap((a) => a.partitions.map((p) => `${a.topic}-${p}`)),
        })),
        lag: g.lag,
        partitions: Object.fromEntries(g.offsets.map((o) => [`${o.topic}-${o.partition}`, o.lag])),
      });
    }
  }
}
