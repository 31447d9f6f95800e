/**
 * What the once-a-second sampler remembers of each group: its lag over the last 10 minutes and its
 * last 50 rebalances.
 *
 * A rebalance is seen as a change of the group's generation (when the cluster says it) or of who
 * holds which partitions. DescribeGroups gives assignments only while a group is Stable, so a
 * rebalance usually shows twice: members without partitions while it runs, then the new assignment.
 * A group seen for the first time with members counts as a change from nothing: its first event is
 * the assignment the console found.
 */
import type { LagSample, RebalanceEvent } from '../api';

/** How long lag samples are kept. */
export const HISTORY_MS = 10 * 60 * 1000;
/** Rebalance events kept per group. */
export const MAX_REBALANCES = 50;

/** One look at a group. */
export interface GroupObservation {
  readonly at: number;
  readonly state: string;
  readonly generation: number | null;
  readonly members: RebalanceEvent['members'];
  readonly lag: number;
  /** Lag by `topic-partition`. */
  readonly partitions: Readonly<Record<string, number>>;
}

interface GroupHistory {
  readonly samples: LagSample[];
  readonly rebalances: RebalanceEvent[];
  signature: string | undefined;
}

export class LagHistory {
  private readonly groups = new Map<string, GroupHistory>();

  constructor(private readonly keepMs = HISTORY_MS) {}

  /** Adds a sample, and a rebalance event when the generation or the assignment changed. */
  observe(groupId: string, o: GroupObservation): void {
    let h = this.groups.get(groupId);
    if (!h) {
      h = { samples: [], rebalances: [], signature: undefined };
      this.groups.set(groupId, h);
    }
    h.samples.push({ at: o.at, lag: o.lag, partitions: o.partitions });
    while (h.samples.length > 0 && h.samples[0].at < o.at - this.keepMs) h.samples.shift();
    const members = [...o.members]
      .map((m) => ({ ...m, partitions: [...m.partitions].sort() }))
      .sort((a, b) => a.memberId.localeCompare(b.memberId));
    const signature = JSON.stringify([o.generation, members.map((m) => [m.memberId, m.partitions])]);
    const first = h.signature === undefined;
    if (signature !== h.signature && !(first && members.length === 0)) {
      h.rebalances.push({ at: o.at, generation: o.generation, state: o.state, members });
      if (h.rebalances.length > MAX_REBALANCES) h.rebalances.shift();
    }
    h.signature = signature;
  }

  samples(groupId: string): LagSample[] {
    return [...(this.groups.get(groupId)?.samples ?? [])];
  }

  rebalances(groupId: string): RebalanceEvent[] {
    return [...(this.groups.get(groupId)?.rebalances ?? [])];
  }

  /** Forgets groups the cluster no longer lists. */
  retain(groupIds: ReadonlySet<string>): void {
    for (const id of this.groups.keys()) if (!groupIds.has(id)) this.groups.delete(id);
  }
}
