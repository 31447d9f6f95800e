/**
 * The cluster's controller, in process: which brokers are alive, leader elections and ISR changes when
 * a broker stops, starts, pauses or resumes, the ISR shrink check (every replica.lag.time.max.ms / 2,
 * as Kafka's), and the replication rounds that copy leaders' appends to their followers.
 *
 * A stopped broker is a controlled shutdown: it is fenced at once and its partitions get new leaders.
 * A paused broker (like a process under SIGSTOP) keeps its partitions until broker.session.timeout.ms
 * passes without it, as KRaft's controller fences a broker that stops heartbeating.
 */
import { electLeader, isrWithout } from './election';
import type { Partition } from './partition';

export type BrokerState = 'running' | 'paused' | 'stopped';

/** A broker as the controller sees it. */
export interface BrokerLiveness {
  readonly nodeId: number;
  state: BrokerState;
  /** Fenced brokers hold no leadership and no place in any ISR. */
  fenced: boolean;
}

export interface ControllerOptions {
  readonly replicaLagTimeMaxMs: number;
  readonly brokerSessionTimeoutMs: number;
  /** Every partition of every topic, now. */
  readonly partitions: () => Iterable<Partition>;
  readonly brokers: () => readonly BrokerLiveness[];
  /** Wakes fetches waiting for data (followers' copies move high watermarks). */
  readonly notifyData: () => void;
}

export class ReplicationController {
  private readonly dirty = new Set<Partition>();
  private scheduled = false;
  private readonly fenceTimers = new Map<number, NodeJS.Timeout>();
  private readonly shrinkTimer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: ControllerOptions) {
    this.shrinkTimer = setInterval(
      () => this.shrinkIsrs(),
      Math.max(10, Math.floor(options.replicaLagTimeMaxMs / 2)),
    );
    this.shrinkTimer.unref();
  }

  alive = (nodeId: number): boolean => {
    const broker = this.broker(nodeId);
    return broker !== undefined && !broker.fenced;
  };

  running = (nodeId: number): boolean => this.broker(nodeId)?.state === 'running';

  private broker(nodeId: number): BrokerLiveness | undefined {
    return this.options.brokers().find((b) => b.nodeId === nodeId);
  }

  /** A leader appended to `partition`: its followers copy it in the next replication round. */
  appended(partition: Partition): void {
    if (partition.replicas.length === 1) return;
    this.dirty.add(partition);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.replicate();
    });
  }

  /** One replication round over the partitions that changed. */
  replicate(): void {
    const partitions = [...this.dirty];
    this.dirty.clear();
    let changed = false;
    for (const p of partitions) if (p.replicateFollowers()) changed = true;
    if (changed) this.options.notifyData();
  }

  /** Every replicated partition copies again (after a broker came back or leaders moved). */
  private replicateAll(): void {
    for (const p of this.options.partitions()) if (p.replicas.length > 1) this.dirty.add(p);
    this.schedule();
  }

  private shrinkIsrs(): void {
    let changed = false;
    for (const p of this.options.partitions()) if (p.replicas.length > 1 && p.shrinkIsr()) changed = true;
    if (changed) this.options.notifyData();
  }

  /**
   * Fences a broker: it leaves every ISR (but never as the last member) and every partition it led
   * gets the next in-sync, alive replica as leader, or none.
   */
  private fence(nodeId: number): void {
    const broker = this.broker(nodeId);
    if (!broker || broker.fenced) return;
    broker.fenced = true;
    for (const p of this.options.partitions()) {
      if (!p.replicas.includes(nodeId)) continue;
      const isr = isrWithout(p.isr, (r) => !this.alive(r));
      p.changeState(electLeader({ replicas: p.replicas, isr }, p.leader, this.alive), isr);
    }
    this.options.notifyData();
    this.replicateAll();
  }

  /** Unfences a broker: partitions left without a leader that it can lead get it back. */
  private unfence(nodeId: number): void {
    const broker = this.broker(nodeId);
    if (!broker) return;
    broker.fenced = false;
    for (const p of this.options.partitions()) {
      if (!p.replicas.includes(nodeId)) continue;
      p.replicaRestarted(nodeId);
      if (p.leader < 0) {
        const leader = electLeader(p, -1, this.alive);
        if (leader >= 0) p.changeState(leader, p.isr);
      }
    }
    this.options.notifyData();
    this.replicateAll();
  }

  stopped(nodeId: number): void {
    this.clearFenceTimer(nodeId);
    const broker = this.broker(nodeId);
    if (!broker) return;
    broker.state = 'stopped';
    this.fence(nodeId);
  }

  started(nodeId: number): void {
    this.clearFenceTimer(nodeId);
    const broker = this.broker(nodeId);
    if (!broker) return;
    broker.state = 'running';
    this.unfence(nodeId);
  }

  paused(nodeId: number): void {
    const broker = this.broker(nodeId);
    if (!broker || broker.state !== 'running') return;
    broker.state = 'paused';
    const timer = setTimeout(() => {
      this.fenceTimers.delete(nodeId);
      this.fence(nodeId);
    }, this.options.brokerSessionTimeoutMs);
    timer.unref();
    this.fenceTimers.set(nodeId, timer);
  }

  resumed(nodeId: number): void {
    const broker = this.broker(nodeId);
    if (!broker || broker.state !== 'paused') return;
    this.clearFenceTimer(nodeId);
    broker.state = 'running';
    if (broker.fenced) this.unfence(nodeId);
    else this.replicateAll();
  }

  private clearFenceTimer(nodeId: number): void {
    const timer = this.fenceTimers.get(nodeId);
    if (timer) clearTimeout(timer);
    this.fenceTimers.delete(nodeId);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.shrinkTimer);
    for (const t of this.fenceTimers.values()) clearTimeout(t);
    this.fenceTimers.clear();
  }
}
