/**
 * CPU time used by this process and every process it started, grouped by what each one is: where a
 * pipeline's CPU goes, per order, in figures a profile's sampling cannot distort (a sampled profile
 * on a busy 2-core machine also counts the time a process waits to be scheduled).
 *
 * Reads Linux's /proc: `utime` and `stime` of /proc/<pid>/stat, in clock ticks of 10 ms. Elsewhere
 * {@link cpuByRole} returns undefined and the bench leaves these figures out.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second on Linux (USER_HZ); /proc/<pid>/stat counts CPU time in these. */
const TICKS_PER_SECOND = 100;

interface ProcessCpu {
  readonly parent: number;
  readonly cpuMs: number;
  /** Clock ticks after boot at which it started: with the pid, names one process even if pids repeat. */
  readonly started: string;
}

/** A function's name (AWS_LAMBDA_FUNCTION_NAME) → what the figures call it, e.g. `ingest`. */
export type FunctionLabels = ReadonlyMap<string, string>;

/** What a process is, from its environment and command line; `self` is the bench's own process. */
function roleOf(pid: number, environ: string, cmdline: string, labels: FunctionLabels): string {
  const fn = /(?:^|\0)AWS_LAMBDA_FUNCTION_NAME=([^\0]+)/.exec(environ)?.[1];
  if (fn) return `function ${labels.get(fn) ?? fn}`;
  if (cmdline.includes('dynamodb-process')) return 'DynamoDB (dynalite)';
  if (/\bload\b/.test(cmdline) && cmdline.includes('kw.js')) return 'kw load';
  if (pid === process.pid) return 'runtime: broker, pollers, URL server';
  return 'other';
}

function readProcess(pid: number): ProcessCpu | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { parent: Number(fields[1]), cpuMs: (ticks * 1000) / TICKS_PER_SECOND, started: fields[19] };
  } catch {
    return undefined; // gone meanwhile
  }
}

/** Roles of the processes seen so far: their environment and command line are read once each. */
const roles = new Map<string, string>();

function roleOfProcess(pid: number, info: ProcessCpu, labels: FunctionLabels): string {
  const key = `${pid}@${info.started}`;
  let role = roles.get(key);
  if (role === undefined) {
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      role = roleOf(pid, environ, cmdline, labels);
    } catch {
      role = 'other'; // exited between reading its stat and its environment
    }
    // Not kept when unknown: a process caught between fork and exec still shows its parent's.
    if (role !== 'other') roles.set(key, role);
  }
  return role;
}

/** CPU ms so far per role, of this process and its descendants; undefined without /proc. */
export function cpuByRole(labels: FunctionLabels = new Map()): Map<string, number> | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const all = new Map<number, ProcessCpu>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProcess(Number(entry));
    if (info) all.set(Number(entry), info);
  }
  const descends = (pid: number): boolean => {
    for (let p = pid; p > 1; p = all.get(p)?.parent ?? 0) if (p === process.pid) return true;
    return false;
  };
  const byRole = new Map<string, number>();
  for (const [pid, info] of all) {
    if (!descends(pid)) continue;
    const role = roleOfProcess(pid, info, labels);
    byRole.set(role, (byRole.get(role) ?? 0) + info.cpuMs);
  }
  return byRole;
}

/**
 * Tracks CPU per role over a stretch of work. Processes that exit meanwhile (a load generator) are
 * sampled while they run, so their last reading counts.
 */
export class CpuMeter {
  private readonly start: Map<string, number>;
  private readonly last = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  private constructor(
    start: Map<string, number>,
    private readonly labels: FunctionLabels,
    sampleMs: number,
  ) {
    this.start = start;
    this.timer = setInterval(() => this.sample(), sampleMs);
    this.timer.unref();
  }

  /** Starts measuring; undefined where /proc is missing. */
  static start(labels: FunctionLabels = new Map(), sampleMs = 250): CpuMeter | undefined {
    const start = cpuByRole(labels);
    return start ? new CpuMeter(start, labels, sampleMs) : undefined;
  }

  private sample(): void {
    for (const [role, ms] of cpuByRole(this.labels) ?? []) {
      this.last.set(role, Math.max(ms, this.last.get(role) ?? 0));
    }
  }

  /** Stops and returns the CPU ms each role used since the start, largest first. */
  stop(): [role: string, cpuMs: number][] {
    clearInterval(this.timer);
    this.sample();
    return [...this.last]
      .map(([role, ms]): [string, number] => [role, ms - (this.start.get(role) ?? 0)])
      .filter(([, ms]) => ms > 0)
      .sort((a, b) => b[1] - a[1]);
  }
}
