/**
 * Consumer groups as the console shows them, read in one round of requests: ListGroups on every
 * broker (each lists the groups it coordinates), DescribeGroups per coordinator, OffsetFetch per
 * group, one Metadata for the topics involved and ListOffsets per leader for their high watermarks.
 * The sampler runs this once a second for every group; the routes run it for one.
 *
 * Lag is counted as kafka-consumer-groups counts it: high watermark minus committed offset, for
 * partitions with a committed offset (a partition without one shows committed null and lag 0).
 */
import { ErrorCode } from '../../kafka/errors';
import { DescribeGroupsSchema } from '../../kafka/messages/15-describe-groups';
import { ListGroupsSchema } from '../../kafka/messages/16-list-groups';
import { OffsetFetchSchema } from '../../kafka/messages/09-offset-fetch';
import { KafkaConnectionError, KafkaResponseError } from '../../runtime/kafka/wire-client';
import type { GroupMember, GroupOffset } from '../api';
import { decodeAssignment } from './consumer-protocol';
import { partitionKey, type KafkaRequests } from './kafka-requests';

/** A group as one round of requests found it. */
export interface GroupRead {
  readonly groupId: string;
  readonly state: string;
  readonly protocolType: string;
  readonly protocol: string;
  readonly generation: number | null;
  readonly members: readonly GroupMember[];
  readonly offsets: readonly GroupOffset[];
  readonly topics: readonly string[];
  readonly lag: number;
}

export interface GroupReaderOptions {
  readonly requests: KafkaRequests;
  /** The generation, when the cluster is in this process (DescribeGroups does not carry it). */
  readonly generation?: (groupId: string) => number | null;
  /** High watermark of a partition ListOffsets could not reach (no leader), if known. */
  readonly fallbackHighWatermark?: (topic: string, partition: number) => number | undefined;
}

export class GroupReader {
  private readonly coordinators = new Map<string, number>();

  constructor(private readonly options: GroupReaderOptions) {}

  /** Every group id the cluster's brokers list, from the brokers `nodes`. */
  async list(nodes: readonly number[]): Promise<string[]> {
    const { requests } = this.options;
    const ids = new Set<string>();
    await Promise.all(
      nodes.map(async (node) => {
        try {
          const res = await requests.send(node, ListGroupsSchema, 2, {});
          if (res.ErrorCode !== ErrorCode.NONE) return;
          for (const g of res.Groups) ids.add(g.GroupId);
        } catch (error) {
          if (!isUnavailable(error)) throw error;
        }
      }),
    );
    return [...ids].sort();
  }

  /** The groups `groupIds`, described with their offsets and lag; groups that could not be read are left out. */
  async read(groupIds: readonly string[]): Promise<GroupRead[]> {
    const described = await this.describe(groupIds);
    const committed = new Map<string, Map<string, number>>();
    await Promise.all(
      [...described].map(async ([groupId, d]) => {
        committed.set(groupId, await this.committed(groupId, d.coordinator));
      }),
    );
    // Every partition any group reads or committed, with its high watermark.
    const partitions = new Map<string, { topic: string; partition: number }>();
    for (const [groupId, d] of described) {
      for (const m of d.members)
        for (const a of m.assignment)
          for (const p of a.partitions)
            partitions.set(partitionKey(a.topic, p), { topic: a.topic, partition: p });
      for (const key of committed.get(groupId)?.keys() ?? []) partitions.set(key, splitKey(key));
    }
    const topics = [...new Set([...partitions.values()].map((p) => p.topic))];
    const highWatermarks = await this.highWatermarks(topics, [...partitions.values()]);
    const out: GroupRead[] = [];
    for (const groupId of groupIds) {
      const d = described.get(groupId);
      if (!d) continue;
      const commits = committed.get(groupId) ?? new Map<string, number>();
      const keys = new Set<string>(commits.keys());
      for (const m of d.members)
        for (const a of m.assignment) for (const p of a.partitions) keys.add(partitionKey(a.topic, p));
      const offsets: GroupOffset[] = [...keys]
        .map((key) => {
          const { topic, partition } = partitions.get(key) ?? splitKey(key);
          const c = commits.get(key);
          const hw = highWatermarks.get(key) ?? c ?? 0;
          return {
            topic,
            partition,
            committed: c ?? null,
            highWatermark: hw,
            lag: c === undefined ? 0 : Math.max(0, hw - c),
          };
        })
        .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
      out.push({
        groupId,
        state: d.state,
        protocolType: d.protocolType,
        protocol: d.protocol,
        generation: this.options.generation?.(groupId) ?? null,
        members: d.members,
        offsets,
        topics: [...new Set(offsets.map((o) => o.topic))].sort(),
        lag: offsets.reduce((sum, o) => sum + o.lag, 0),
      });
    }
    return out;
  }

  /** The coordinator of `groupId`, asked again after it failed. */
  async coordinator(groupId: string): Promise<number> {
    const known = this.coordinators.get(groupId);
    if (known !== undefined) return known;
    const node = await this.options.requests.coordinator(groupId);
    this.coordinators.set(groupId, node);
    return node;
  }

  /** Forgets where `groupId` is coordinated, after its coordinator failed. */
  forget(groupId: string): void {
    this.coordinators.delete(groupId);
  }

  /** Committed offsets by `topic-partition`. */
  async committed(groupId: string, coordinator?: number): Promise<Map<string, number>> {
    const node = coordinator ?? (await this.coordinator(groupId));
    const out = new Map<string, number>();
    try {
      const res = await this.options.requests.send(node, OffsetFetchSchema, 5, {
        GroupId: groupId,
        Topics: null,
      });
      if (res.ErrorCode !== ErrorCode.NONE)
        throw new KafkaResponseError(res.ErrorCode, `OffsetFetch ${groupId}`);
      for (const t of res.Topics)
        for (const p of t.Partitions)
          if (p.ErrorCode === ErrorCode.NONE && p.CommittedOffset >= 0n)
            out.set(partitionKey(t.Name, p.PartitionIndex), Number(p.CommittedOffset));
    } catch (error) {
      if (isUnavailable(error)) this.forget(groupId);
      throw error;
    }
    return out;
  }

  private async describe(groupIds: readonly string[]): Promise<Map<string, Described>> {
    const { requests } = this.options;
    const byCoordinator = new Map<number, string[]>();
    await Promise.all(
      groupIds.map(async (groupId) => {
        try {
          const node = await this.coordinator(groupId);
          byCoordinator.set(node, [...(byCoordinator.get(node) ?? []), groupId]);
        } catch (error) {
          if (!isUnavailable(error)) throw error;
        }
      }),
    );
    const out = new Map<string, Described>();
    await Promise.all(
      [...byCoordinator].map(async ([node, ids]) => {
        try {
          const res = await requests.send(node, DescribeGroupsSchema, 4, {
            Groups: ids,
            IncludeAuthorizedOperations: false,
          });
          for (const g of res.Groups) {
            if (g.ErrorCode !== ErrorCode.NONE) {
              this.forget(g.GroupId);
              continue;
            }
            const consumer = g.ProtocolType === 'consumer';
            out.set(g.GroupId, {
              coordinator: node,
              state: g.GroupState,
              protocolType: g.ProtocolType,
              protocol: g.ProtocolData,
              members: g.Members.map((m) => ({
                memberId: m.MemberId,
                clientId: m.ClientId,
                clientHost: m.ClientHost,
                assignment: consumer ? decodeAssignment(m.MemberAssignment) : [],
              })).sort((a, b) => a.memberId.localeCompare(b.memberId)),
            });
          }
        } catch (error) {
          if (!isUnavailable(error)) throw error;
          for (const id of ids) this.forget(id);
        }
      }),
    );
    return out;
  }

  private async highWatermarks(
    topics: readonly string[],
    partitions: readonly { topic: string; partition: number }[],
  ): Promise<Map<string, number>> {
    if (topics.length === 0) return new Map();
    const { requests, fallbackHighWatermark } = this.options;
    const md = await requests.metadata(topics);
    const leaders = new Map<string, number>();
    for (const t of md.Topics) {
      for (const p of t.Partitions) leaders.set(partitionKey(t.Name ?? '', p.PartitionIndex), p.LeaderId);
    }
    const led = partitions
      .filter((p) => leaders.has(partitionKey(p.topic, p.partition)))
      .map((p) => ({ ...p, leader: leaders.get(partitionKey(p.topic, p.partition))! }));
    const found = await requests.listOffsets(led, -1);
    for (const p of partitions) {
      const key = partitionKey(p.topic, p.partition);
      const fallback = found.has(key) ? undefined : fallbackHighWatermark?.(p.topic, p.partition);
      if (fallback !== undefined) found.set(key, fallback);
    }
    return found;
  }
}

interface Described {
  readonly coordinator: number;
  readonly state: string;
  readonly protocolType: string;
  readonly protocol: string;
  readonly members: GroupMember[];
}

/** A broker that is down, moving or not (yet) coordinating: the next round asks again. */
export function isUnavailable(error: unknown): boolean {
  return error instanceof KafkaConnectionError || error instanceof KafkaResponseError;
}

function splitKey(key: string): { topic: string; partition: number } {
  const at = key.lastIndexOf('-');
  return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) };
}
