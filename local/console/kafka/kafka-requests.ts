/**
 * The console's requests to the cluster, on the broker's own message codec (local/kafka/messages)
 * and the runtime's WireClient: one connection per broker, kept and reopened when it fails.
 *
 * kafkajs' admin client is not used for reading: it throws on a partition without a leader, which
 * is exactly what the console must keep showing. Metadata and FindCoordinator go to any broker that
 * answers (the last Metadata's brokers first, then the bootstrap list); requests about a partition go
 * to its leader, about a group to its coordinator. Requests wait at most REQUEST_MS: the page asks
 * again a second later, so a broker that holds requests (a paused one) must not hold the console.
 */
import { ErrorCode } from '../../kafka/errors';
import { FetchSchema } from '../../kafka/messages/01-fetch';
import { ListOffsetsSchema } from '../../kafka/messages/02-list-offsets';
import { MetadataSchema } from '../../kafka/messages/03-metadata';
import { FindCoordinatorSchema } from '../../kafka/messages/10-find-coordinator';
import type { ApiSchema, RequestInput, ResponseOf } from '../../kafka/schema';
import { decodeRecords, type KafkaRecord } from '../../runtime/kafka/records';
import { KafkaConnectionError, KafkaResponseError, WireClient } from '../../runtime/kafka/wire-client';

/** How long one console request may wait for its answer. */
export const REQUEST_MS = 5000;
/** Bytes asked per Fetch: a page never holds more than a few of these in memory. */
export const FETCH_BYTES = 1 << 20;

export type Metadata = ResponseOf<typeof MetadataSchema>;
export type MetadataTopic = Metadata['Topics'][number];

/** A partition and the broker to ask about it. */
export interface LedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly leader: number;
}

export const partitionKey = (topic: string, partition: number): string => `${topic}-${partition}`;

export class KafkaRequests {
  private readonly clients = new Map<string, Promise<WireClient>>();
  private readonly addresses = new Map<number, string>();
  private rotation = 0;

  constructor(
    private readonly bootstrap: readonly string[],
    /** Node ids not to ask while another broker can answer (paused brokers hold requests). */
    private readonly avoid: () => ReadonlySet<number> = () => new Set(),
  ) {
    if (bootstrap.length === 0) throw new Error('no bootstrap servers: give at least one host:port');
  }

  /** Where broker `nodeId` listens, from the last Metadata answer. */
  address(nodeId: number): string | undefined {
    return this.addresses.get(nodeId);
  }

  /** Metadata of `topics` (null: every topic), from any broker; remembers where each broker listens. */
  async metadata(topics: readonly string[] | null): Promise<Metadata> {
    const res = await this.any(MetadataSchema, 8, {
      Topics: topics === null ? null : topics.map((Name) => ({ Name })),
      AllowAutoTopicCreation: false,
      IncludeTopicAuthorizedOperations: false,
      IncludeClusterAuthorizedOperations: false,
    });
    this.addresses.clear();
    for (const b of res.Brokers) this.addresses.set(b.NodeId, `${b.Host}:${b.Port}`);
    return res;
  }

  /** The node coordinating `groupId`. */
  async coordinator(groupId: string): Promise<number> {
    const res = await this.any(FindCoordinatorSchema, 2, { Key: groupId, KeyType: 0 });
    if (res.ErrorCode !== ErrorCode.NONE)
      throw new KafkaResponseError(res.ErrorCode, `FindCoordinator ${groupId}`);
    this.addresses.set(res.NodeId, `${res.Host}:${res.Port}`);
    return res.NodeId;
  }

  /** One request to broker `nodeId`; a broker the last Metadata did not list is unavailable. */
  async send<S extends ApiSchema>(
    nodeId: number,
    schema: S,
    version: number,
    body: RequestInput<S>,
  ): Promise<ResponseOf<S>> {
    const address = this.addresses.get(nodeId);
    if (!address) throw new KafkaResponseError(ErrorCode.BROKER_NOT_AVAILABLE, `node ${nodeId}`);
    return this.sendTo(address, schema, version, body);
  }

  /**
   * The offset ListOffsets gives each partition for `timestamp` (-2 earliest, -1 latest, else the first
   * record at or after it, -1 when none), one request per leader; partitions whose leader did not
   * answer are left out.
   */
  async listOffsets(partitions: readonly LedPartition[], timestamp: number): Promise<Map<string, number>> {
    const byLeader = new Map<number, LedPartition[]>();
    for (const p of partitions) {
      if (p.leader < 0) continue;
      byLeader.set(p.leader, [...(byLeader.get(p.leader) ?? []), p]);
    }
    const out = new Map<string, number>();
    await Promise.all(
      [...byLeader].map(async ([leader, list]) => {
        const topics = new Map<string, number[]>();
        for (const p of list) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
        let res: ResponseOf<typeof ListOffsetsSchema>;
        try {
          res = await this.send(leader, ListOffsetsSchema, 5, {
            ReplicaId: -1,
            IsolationLevel: 0,
            Topics: [...topics].map(([Name, ps]) => ({
              Name,
              Partitions: ps.map((PartitionIndex) => ({ PartitionIndex, Timestamp: BigInt(timestamp) })),
            })),
          });
        } catch (error) {
          if (error instanceof KafkaConnectionError || error instanceof KafkaResponseError) return;
          throw error;
        }
        for (const t of res.Topics) {
          for (const p of t.Partitions) {
            if (p.ErrorCode === ErrorCode.NONE)
              out.set(partitionKey(t.Name, p.PartitionIndex), Number(p.Offset));
          }
        }
      }),
    );
    return out;
  }

  /** Records of one partition at and after `offset`, at most about FETCH_BYTES of them, from its leader. */
  async fetch(p: LedPartition, offset: number): Promise<KafkaRecord[]> {
    const res = await this.send(p.leader, FetchSchema, 11, {
      ReplicaId: -1,
      MaxWaitMs: 0,
      MinBytes: 0,
      MaxBytes: FETCH_BYTES,
      IsolationLevel: 0,
      SessionId: 0,
      SessionEpoch: -1,
      Topics: [
        {
          Topic: p.topic,
          Partitions: [
            {
              Partition: p.partition,
              CurrentLeaderEpoch: -1,
              FetchOffset: BigInt(offset),
              LogStartOffset: -1n,
              PartitionMaxBytes: FETCH_BYTES,
            },
          ],
        },
      ],
      ForgottenTopicsData: [],
      RackId: '',
    });
    if (res.ErrorCode !== ErrorCode.NONE) throw new KafkaResponseError(res.ErrorCode, 'Fetch');
    const part = res.Responses[0].Partitions[0];
    if (part.ErrorCode !== ErrorCode.NONE)
      throw new KafkaResponseError(part.ErrorCode, `Fetch ${partitionKey(p.topic, p.partition)}@${offset}`);
    const bytes = part.Records;
    return bytes && bytes.length > 0 ? decodeRecords(bytes).filter((r) => r.offset >= offset) : [];
  }

  /** One request to any broker that answers; a broker that fails is skipped for the next. */
  async any<S extends ApiSchema>(schema: S, version: number, body: RequestInput<S>): Promise<ResponseOf<S>> {
    const avoid = this.avoid();
    const known = [...this.addresses].filter(([id]) => !avoid.has(id)).map(([, a]) => a);
    const start = known.length === 0 ? 0 : this.rotation % known.length;
    const candidates = [...new Set([...known.slice(start), ...known.slice(0, start), ...this.bootstrap])];
    const failures: string[] = [];
    for (const address of candidates) {
      try {
        return await this.sendTo(address, schema, version, body);
      } catch (error) {
        if (!(error instanceof KafkaConnectionError)) throw error;
        this.rotation++;
        failures.push(error.message);
      }
    }
    throw new KafkaConnectionError(`no broker answers (${failures.join('; ')})`);
  }

  /** Closes every connection. */
  close(): void {
    for (const client of this.clients.values()) client.then((c) => c.close()).catch(() => undefined);
    this.clients.clear();
  }

  private async sendTo<S extends ApiSchema>(
    address: string,
    schema: S,
    version: number,
    body: RequestInput<S>,
  ): Promise<ResponseOf<S>> {
    const client = await this.connection(address);
    return client.request(schema, version, body, REQUEST_MS);
  }

  private async connection(address: string): Promise<WireClient> {
    const kept = this.clients.get(address);
    if (kept) {
      try {
        const client = await kept;
        if (!client.closed) return client;
      } catch {
        // a failed connect: try again below
      }
      if (this.clients.get(address) === kept) this.clients.delete(address);
    }
    const opening = WireClient.open(address, 'kw-console', REQUEST_MS);
    this.clients.set(address, opening);
    try {
      return await opening;
    } catch (error) {
      if (this.clients.get(address) === opening) this.clients.delete(address);
      throw error;
    }
  }
}
