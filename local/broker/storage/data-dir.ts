/**
 * The broker's data directory: a journal of topic changes (`cluster.journal`), one folder of segments
 * per partition (`<topic>-<partition>/`; with several brokers one per replica,
 * `broker-<id>/<topic>-<partition>/`), and a journal of committed offsets (`offsets.journal`).
 *
 * Every produced batch is written (write(2)) before it is acknowledged, so a killed broker process
 * loses nothing it acknowledged. How often data is also flushed to the device, which matters when the
 * machine itself goes down, is the fsync policy:
 * - `batch`: after every produce request, before the acknowledgement (safest, slowest);
 * - `interval` (default): every `fsyncIntervalMs` (1 s), like a database's group commit;
 * - `none`: left to the operating system.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import * as path from 'node:path';
import { Journal } from './journal';
import { PartitionStore } from './partition-store';

/** Directories this process holds, so a second broker in the same process is refused too. */
const LOCKED_HERE = new Set<string>();

export const FSYNC_POLICIES = ['batch', 'interval', 'none'] as const;
export type FsyncPolicy = (typeof FSYNC_POLICIES)[number];

/** Entries of the cluster journal. */
export type ClusterEntry =
  | {
      op: 'create-topic';
      name: string;
      id: string;
      partitions: number;
      configs: Record<string, string>;
      /** Configs set on the topic (absent in journals written before they were recorded). */
      overrides?: string[];
      /** Each partition's replicas (absent before replication: one replica each). */
      replicas?: number[][];
    }
  | { op: 'delete-topic'; name: string }
  | { op: 'create-partitions'; name: string; count: number; replicas?: number[][] }
  | {
      op: 'partition-state';
      topic: string;
      partition: number;
      leader: number;
      leaderEpoch: number;
      isr: number[];
    }
  /** How many brokers the directory holds replicas for. */
  | { op: 'brokers'; count: number }
  | {
      op: 'alter-configs';
      name: string;
      configs: Record<string, string>;
      /** Configs set on the topic. */
      overrides: string[];
    }
  | { op: 'log-start'; topic: string; partition: number; offset: number }
  | { op: 'producer-ids'; next: string };

/** Entries of the offsets journal. */
export type OffsetEntry =
  | {
      group: string;
      topic: string;
      partition: number;
      offset: string;
      epoch: number;
      metadata: string | null;
    }
  | { deleteGroup: string }
  | { group: string; topic: string; partition: number; deleted: true };

export interface DataDirOptions {
  readonly fsync?: FsyncPolicy;
  /** Flush period of the `interval` policy. @default 1000 */
  readonly fsyncIntervalMs?: number;
}

/** Raised when the directory cannot be used; the message says why and what to do. */
export class DataDirError extends Error {
  public override readonly name = 'DataDirError';
}

export class DataDir {
  readonly cluster: Journal<ClusterEntry>;
  readonly offsets: Journal<OffsetEntry>;
  readonly fsync: FsyncPolicy;
  private readonly stores = new Set<PartitionStore>();
  private readonly timer?: NodeJS.Timeout;
  private readonly lockFile: string;

  readonly dir: string;

  constructor(dir: string, options: DataDirOptions = {}) {
    this.dir = path.resolve(dir);
    this.fsync = options.fsync ?? 'interval';
    if (!FSYNC_POLICIES.includes(this.fsync)) {
      throw new DataDirError(
        `invalid fsync policy "${String(this.fsync)}": expected one of ${FSYNC_POLICIES.join(', ')}`,
      );
    }
    mkdirSync(dir, { recursive: true });
    this.lockFile = path.join(dir, 'broker.lock');
    this.lock();
    const eachWrite = () => this.fsync === 'batch';
    this.cluster = new Journal(path.join(dir, 'cluster.journal'), () => true); // topic changes are rare: always flushed
    this.offsets = new Journal(path.join(dir, 'offsets.journal'), eachWrite);
    if (this.fsync === 'interval') {
      this.timer = setInterval(() => this.flush(), options.fsyncIntervalMs ?? 1000);
      this.timer.unref();
    }
  }

  /** One broker process per directory: a second would interleave writes in the same files. */
  private lock(): void {
    if (LOCKED_HERE.has(this.dir)) {
      throw new DataDirError(
        `${this.dir} is in use by another broker in this process: close it, or use another --data-dir`,
      );
    }
    if (existsSync(this.lockFile)) {
      const pid = Number(readFileSync(this.lockFile, 'utf8'));
      // Our own pid (a restarted container reuses it) or no pid at all (a crash while the file was
      // being written) means the lock is stale; otherwise ask whether that process still exists.
      let alive = Number.isInteger(pid) && pid > 0 && pid !== process.pid;
      if (alive) {
        try {
          process.kill(pid, 0); // signal 0: only asks whether the process exists
        } catch {
          alive = false;
        }
      }
      if (alive)
        throw new DataDirError(
          `${this.dir} is in use by broker process ${pid}: stop it, or use another --data-dir`,
        );
      unlinkSync(this.lockFile); // left by a process that died
    }
    const fd = openSync(this.lockFile, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    LOCKED_HERE.add(this.dir);
  }

  /**
   * The store of one replica's segments, in `folder` (DataDir.folder or DataDir.replicaFolder).
   * `fresh` (a new topic or partition) first clears any folder a deleted topic of the same name left
   * behind when the broker died before removing it.
   */
  partition(folder: string, segmentBytes: () => number, fresh: boolean): PartitionStore {
    const dir = path.join(this.dir, folder);
    if (fresh) rmSync(dir, { recursive: true, force: true });
    const store = new PartitionStore(dir, segmentBytes, this.fsync === 'batch');
    this.stores.add(store);
    return store;
  }

  /**
   * Deletes partition folders that belong to no live replica (left by a crash during a delete), at the
   * top level and in the brokers' folders.
   */
  removeOrphans(live: ReadonlySet<string>): void {
    for (const entry of readdirSync(this.dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      if (/^broker-\d+$/.test(entry.name)) {
        for (const inner of readdirSync(path.join(this.dir, entry.name), { withFileTypes: true })) {
          const folder = path.join(entry.name, inner.name);
          if (inner.isDirectory() && /-\d+$/.test(inner.name) && !live.has(folder))
            rmSync(path.join(this.dir, folder), { recursive: true, force: true });
        }
        continue;
      }
      if (!/-\d+$/.test(entry.name) || live.has(entry.name)) continue;
      rmSync(path.join(this.dir, entry.name), { recursive: true, force: true });
    }
  }

  /** Folder name of a partition with one broker, as `removeOrphans` expects it. */
  static folder(topic: string, partition: number): string {
    return `${topic}-${partition}`;
  }

  /** Folder of a partition's replica on broker `nodeId`, in a cluster of several brokers. */
  static replicaFolder(topic: string, partition: number, nodeId: number): string {
    return path.join(`broker-${nodeId}`, DataDir.folder(topic, partition));
  }

  /** Removes a deleted topic's replicas from disk: their stores and folders. */
  removeTopic(folders: readonly string[], stores: readonly PartitionStore[]): void {
    for (const s of stores) {
      s.close();
      this.stores.delete(s);
    }
    for (const folder of folders) rmSync(path.join(this.dir, folder), { recursive: true, force: true });
  }

  /** Flushes everything written since the last flush. */
  flush(): void {
    for (const s of this.stores) if (s.needsSync) s.sync();
    this.offsets.sync();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.flush();
    for (const s of this.stores) s.close();
    this.cluster.close();
    this.offsets.close();
    rmSync(this.lockFile, { force: true });
    LOCKED_HERE.delete(this.dir);
  }
}
