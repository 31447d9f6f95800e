/**
 * A member of a classic group and what its JoinGroup and SyncGroup are answered with: the protocols it
 * joined with (for consumers, each carries its subscription), its timeouts, and the requests it has
 * waiting. The group's state machine (classic-group.ts) decides when those answers go out.
 */

/** A JoinGroup protocol: a name and the member's metadata for it (a subscription, for consumers). */
export interface Protocol {
  readonly name: string;
  readonly metadata: Buffer;
}

/** What a JoinGroup is answered with. */
export interface JoinResult {
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leader: string;
  readonly skipAssignment: boolean;
  readonly memberId: string;
  readonly members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

/** What a SyncGroup is answered with. */
export interface SyncResult {
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Buffer;
}

/** No bytes: the assignment, subscription or metadata a member has not (or not yet) got. */
export const NO_BYTES = Buffer.alloc(0);

/** A JoinGroup answer carrying only an error (Kafka's JoinGroupResult(memberId, error)). */
export function joinError(memberId: string, errorCode: number): JoinResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    memberId,
    members: [],
  };
}

/** A SyncGroup answer carrying only an error. */
export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: NO_BYTES };
}

export class GroupMember {
  assignment: Buffer = NO_BYTES;
  /** Joined in the current join phase and not yet through a completed one (Kafka's isNew). */
  isNew = true;
  /** When the member's session ends unless it is heard from. */
  sessionDeadline = 0;
  awaitingJoin?: (result: JoinResult) => void;
  awaitingSync?: (result: SyncResult) => void;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: readonly Protocol[],
  ) {}

  /** The metadata it sent for `protocol`. */
  metadata(protocol: string): Buffer {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? NO_BYTES;
  }

  /** Whether `protocols` are exactly the ones it joined with (names, order and metadata). */
  matches(protocols: readonly Protocol[]): boolean {
    return (
      protocols.length === this.protocols.length &&
      protocols.every(
        (p, i) => p.name === this.protocols[i].name && p.metadata.equals(this.protocols[i].metadata),
      )
    );
  }

  /** Its preferred protocol among `candidates` (its own order is its preference). */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.protocols.find((p) => candidates.has(p.name));
    if (!choice) throw new Error(`member ${this.memberId} supports none of ${[...candidates].join(', ')}`);
    return choice.name;
  }

  /** Answers its waiting JoinGroup, if any. */
  answerJoin(result: JoinResult): void {
    const respond = this.awaitingJoin;
    this.awaitingJoin = undefined;
    respond?.(result);
  }

  /** Answers its waiting SyncGroup, if any. */
  answerSync(result: SyncResult): void {
    const respond = this.awaitingSync;
    this.awaitingSync = undefined;
    respond?.(result);
  }
}

/**
 * The topics of a consumer-protocol subscription, read as Kafka reads it for this: a version (int16,
 * ≥ 0), then version 0's fields, which prefix every version: the topic names (int32 count, int16-length
 * strings) and the user data (int32-length bytes, -1 for none). Undefined when the bytes do not read so.
 */
export function subscriptionTopics(metadata: Buffer): string[] | undefined {
  try {
    if (metadata.readInt16BE(0) < 0) return undefined;
    const count = metadata.readInt32BE(2);
    if (count < 0 || count > metadata.length) return undefined;
    const topics: string[] = [];
    let at = 6;
    for (let i = 0; i < count; i++) {
      const length = metadata.readInt16BE(at);
      if (length < 0 || at + 2 + length > metadata.length) return undefined;
      topics.push(metadata.toString('utf8', at + 2, at + 2 + length));
      at += 2 + length;
    }
    const userData = metadata.readInt32BE(at);
    return userData <= metadata.length - at - 4 ? topics : undefined;
  } catch {
    return undefined; // it ends before a field does (Buffer reads throw past the end)
  }
}
