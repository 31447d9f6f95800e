/**
 * Which records a page of GET /api/topics/:topic/messages reads, without reading a whole log.
 *
 * A page reads, per partition, one window of offsets and keeps at most `limit` of the records found
 * in them, ordered by timestamp across partitions:
 * - forward (from beginning, offset, timestamp): windows start at each partition's position; the
 *   oldest `limit` records are kept and the next page starts after the last one kept per partition;
 * - backward (from end): windows end at each partition's position; the newest `limit` are kept (still
 *   returned oldest first) and the next page ends before the oldest one kept per partition.
 * Without a search a window is at most `limit` records (no more can be kept); with a search the
 * windows share SCAN_CAP records, so one request never reads more than that and the cursor goes on.
 *
 * The cursor is the direction and every partition's position, as base64url JSON: opaque to the page,
 * which sends it back with the same query.
 */
import { ConsoleRequestError } from '../api';

/** Most records one request reads, search or not. */
export const SCAN_CAP = 10_000;

export interface PartitionRange {
  readonly partition: number;
  readonly logStartOffset: number;
  readonly highWatermark: number;
}

export type Direction = 'forward' | 'backward';

/** forward: the next offset to read, per partition; backward: the end (exclusive) of what is left. */
export interface BrowsePosition {
  readonly direction: Direction;
  readonly positions: Readonly<Record<number, number>>;
}

/** Offsets [from, to) of one partition to read. */
export interface Window {
  readonly partition: number;
  readonly from: number;
  readonly to: number;
}

/** What the planner needs of a record: where it is and when it was written. */
export interface Placed {
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
}

export function encodeCursor(position: BrowsePosition): string {
  const body = { d: position.direction === 'forward' ? 'f' : 'b', p: position.positions };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** The position a cursor names; a cursor this console did not make is a 400. */
export function decodeCursor(cursor: string): BrowsePosition {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ConsoleRequestError(400, 'invalid cursor: pass the cursor of a previous page as it came');
  }
  const { d, p } = (body ?? {}) as { d?: unknown; p?: unknown };
  const valid =
    (d === 'f' || d === 'b') &&
    typeof p === 'object' &&
    p !== null &&
    Object.entries(p).every(([k, v]) => /^\d+$/.test(k) && Number.isSafeInteger(v) && (v as number) >= 0);
  if (!valid)
    throw new ConsoleRequestError(400, 'invalid cursor: pass the cursor of a previous page as it came');
  return { direction: d === 'f' ? 'forward' : 'backward', positions: p as Record<number, number> };
}

/** Where a query starts. `offsets` are, for `from: timestamp`, the first offset at or after it (-1: none). */
export function startPosition(
  from: 'end' | 'beginning' | 'offset' | 'timestamp',
  ranges: readonly PartitionRange[],
  options: { offset?: number; offsets?: ReadonlyMap<number, number> } = {},
): BrowsePosition {
  const positions: Record<number, number> = {};
  for (const r of ranges) {
    const clamp = (o: number) => Math.min(Math.max(o, r.logStartOffset), r.highWatermark);
    if (from === 'end') positions[r.partition] = r.highWatermark;
    else if (from === 'beginning') positions[r.partition] = r.logStartOffset;
    else if (from === 'offset') positions[r.partition] = clamp(options.offset ?? 0);
    else {
      const found = options.offsets?.get(r.partition) ?? -1;
      positions[r.partition] = found < 0 ? r.highWatermark : clamp(found);
    }
  }
  return { direction: from === 'end' ? 'backward' : 'forward', positions };
}

/** The windows to read from `position`: none for partitions with nothing left that way. */
export function plan(
  position: BrowsePosition,
  ranges: readonly PartitionRange[],
  limit: number,
  searching: boolean,
): Window[] {
  const left = ranges.filter((r) => remaining(position, r) > 0);
  if (left.length === 0) return [];
  const share = Math.max(1, Math.floor(SCAN_CAP / left.length));
  const size = searching ? share : Math.min(limit, share);
  return left.map((r) => {
    const at = positionOf(position, r);
    return position.direction === 'forward'
      ? { partition: r.partition, from: at, to: Math.min(r.highWatermark, at + size) }
      : { partition: r.partition, from: Math.max(r.logStartOffset, at - size), to: at };
  });
}

/**
 * The page out of what the windows held (`found`: the records that matched, in any order): at most
 * `limit`, oldest first, and where the next page starts (null when nothing is left either way).
 */
export function assemble<R extends Placed>(
  position: BrowsePosition,
  ranges: readonly PartitionRange[],
  windows: readonly Window[],
  found: readonly R[],
  limit: number,
): { records: R[]; next: BrowsePosition | null } {
  const sorted = [...found].sort(
    (a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset,
  );
  const forward = position.direction === 'forward';
  const cut = Math.max(0, sorted.length - limit);
  const records = forward ? sorted.slice(0, limit) : sorted.slice(cut);
  const dropped = forward ? sorted.slice(limit) : sorted.slice(0, cut);
  const positions: Record<number, number> = {};
  for (const r of ranges) positions[r.partition] = positionOf(position, r);
  for (const w of windows) {
    const left = dropped.filter((r) => r.partition === w.partition).map((r) => r.offset);
    if (forward) positions[w.partition] = left.length > 0 ? Math.min(...left) : w.to;
    else positions[w.partition] = left.length > 0 ? Math.max(...left) + 1 : w.from;
  }
  const next: BrowsePosition = { direction: position.direction, positions };
  return { records, next: ranges.some((r) => remaining(next, r) > 0) ? next : null };
}

/** A partition's position, or where a partition the cursor does not name starts (it was added since). */
function positionOf(position: BrowsePosition, r: PartitionRange): number {
  const at = position.positions[r.partition];
  if (at === undefined) return position.direction === 'forward' ? r.logStartOffset : r.highWatermark;
  // Retention may have removed what the cursor pointed at.
  return Math.min(Math.max(at, r.logStartOffset), r.highWatermark);
}

function remaining(position: BrowsePosition, r: PartitionRange): number {
  const at = positionOf(position, r);
  return position.direction === 'forward' ? r.highWatermark - at : at - r.logStartOffset;
}
