/**
 * An append-only file of JSON lines, for state that changes rarely (topics) or is small (committed
 * offsets). A line torn by a crash is ignored on load; `rewrite` replaces the file atomically with a
 * compacted version.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import * as path from 'node:path';

/** Flushes a directory's entries (a created, renamed or deleted file) so they survive a power loss. */
export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class Journal<T> {
  private fd: number | undefined;

  constructor(
    private readonly file: string,
    private readonly fsyncEachWrite: () => boolean,
  ) {}

  /** Every complete entry, in order. */
  load(): T[] {
    if (!existsSync(this.file)) return [];
    const entries: T[] = [];
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        entries.push(JSON.parse(line) as T);
      } catch {
        break; // a torn last line: everything before it stands
      }
    }
    return entries;
  }

  append(entry: T): void {
    this.fd ??= openSync(this.file, 'a');
    writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    if (this.fsyncEachWrite()) fsyncSync(this.fd);
  }

  sync(): void {
    if (this.fd !== undefined) fsyncSync(this.fd);
  }

  /** Atomically replaces the journal with `entries` (write a temporary file, fsync, rename). */
  rewrite(entries: readonly T[]): void {
    this.close();
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w');
    writeSync(fd, entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
    fsyncDirectory(path.dirname(this.file));
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
