/**
 * Reads the windows browse-plan.ts chose, Fetch by Fetch (each at most FETCH_BYTES), and turns the
 * records into what the page shows. A window ends at its last offset or where the log has nothing
 * more (a compacted log has gaps), so a page reads what its plan says and no more.
 */
import type { MessageRecord } from '../api';
import type { KafkaRecord } from '../../runtime/kafka/records';
import type { Window } from './browse-plan';
import { decodeBytes, utf8Text } from './decode';
import type { KafkaRequests } from './kafka-requests';

export interface ReadRecord extends KafkaRecord {
  readonly partition: number;
}

/** The records of `window` that `keep` accepts, and how many records were read. */
export async function readWindow(
  requests: KafkaRequests,
  topic: string,
  leader: number,
  window: Window,
  keep: (r: KafkaRecord) => boolean,
): Promise<{ records: ReadRecord[]; scanned: number }> {
  const records: ReadRecord[] = [];
  let scanned = 0;
  let at = window.from;
  while (at < window.to) {
    const got = await requests.fetch({ topic, partition: window.partition, leader }, at);
    if (got.length === 0) break;
    for (const r of got) {
      if (r.offset >= window.to) break;
      scanned++;
      if (keep(r)) records.push({ ...r, partition: window.partition });
    }
    at = got[got.length - 1].offset + 1;
  }
  return { records, scanned };
}

/** Whether the key's or the value's text holds `search`, ignoring case (`needle` is lower-case). */
export function matches(r: KafkaRecord, needle: string): boolean {
  for (const bytes of [r.key, r.value]) {
    if (!bytes) continue;
    const text = utf8Text(bytes) ?? decodeBytes(bytes)?.text ?? '';
    if (text.toLowerCase().includes(needle)) return true;
  }
  return false;
}

export function toMessage(r: ReadRecord): MessageRecord {
  return {
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: decodeBytes(r.key),
    value: decodeBytes(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: decodeBytes(h.value) })),
  };
}
