/**
 * What one client of a Kafka cluster knows about it: the brokers the last Metadata answer listed, each
 * topic's partition leaders, and where to ask again.
 *
 * Metadata and FindCoordinator may go to any broker, so they go to whichever answers: brokers from the
 * last Metadata answer first, then the bootstrap list. A client given one bootstrap address keeps
 * working while that broker is down, as Kafka's own clients do (they too use the bootstrap list only
 * to learn the cluster). Answers are not cached past the caller's need: a partition whose leader moved
 * asks again, and gets the controller's current view.
 */
import { ErrorCode } from '../../kafka/errors';
import { FindCoordinatorSchema } from '../../kafka/messages/10-find-coordinator';
import { MetadataSchema } from '../../kafka/messages/03-metadata';
import {
  KafkaAuthenticationError,
  KafkaConnectionError,
  KafkaResponseError,
  type WireClient,
} from './wire-client';

/** Opens connections on behalf of their owner, which closes whatever is still open when it stops. */
export interface Connections {
  open(address: string): Promise<WireClient>;
  /** Closes `client` and forgets it; undefined is ignored. */
  release(client: WireClient | undefined): void;
}

/** One partition as Metadata describes it. */
export interface PartitionLayout {
  /** NONE, or why the partition has no usable leader (LEADER_NOT_AVAILABLE while one is elected). */
  readonly errorCode: number;
  /** Node id of the leader; -1 while there is none. */
  readonly leader: number;
}

/** A topic as Metadata describes it; `partitions` is empty when the topic does not exist. */
export interface TopicLayout {
  readonly errorCode: number;
  readonly partitions: ReadonlyMap<number, PartitionLayout>;
}

/** A broker: its node id and where it listens. */
export interface BrokerAddress {
  readonly nodeId: number;
  readonly address: string;
}

export class ClusterView {
  private readonly brokers = new Map<number, string>();
  private client: WireClient | undefined;
  private connecting: Promise<WireClient> | undefined;
  /** Which known broker to try first next time, so one that is down is not always tried first. */
  private rotation = 0;

  constructor(
    private readonly bootstrap: readonly string[],
    private readonly connections: Connections,
  ) {
    if (bootstrap.length === 0) throw new Error('no bootstrap servers: give at least one host:port');
  }

  /** Where broker `nodeId` listens, from the last Metadata answer. */
  address(nodeId: number): string | undefined {
    return this.brokers.get(nodeId);
  }

  /** The topic's partitions and their leaders, asked now. */
  async topic(name: string): Promise<TopicLayout> {
    const res = await this.ask((client) =>
      client.request(MetadataSchema, 8, { Topics: [{ Name: name }], AllowAutoTopicCreation: false }),
    );
    this.brokers.clear();
    for (const b of res.Brokers) this.brokers.set(b.NodeId, `${b.Host}:${b.Port}`);
    const topic = res.Topics.find((t) => t.Name === name);
    const partitions = new Map<number, PartitionLayout>();
    if (!topic) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, partitions };
    for (const p of topic.Partitions ?? []) {
      partitions.set(p.PartitionIndex, {
        errorCode: p.ErrorCode,
        leader: p.LeaderId,
      });
    }
    return { errorCode: topic.ErrorCode, partitions };
  }

  /** The broker coordinating `group`; throws KafkaResponseError while there is none (e.g. after a move). */
  async coordinator(group: string): Promise<BrokerAddress> {
    const res = await this.ask((client) =>
      client.request(FindCoordinatorSchema, 2, { Key: group, KeyType: 0 }),
    );
    if (res.ErrorCode !== ErrorCode.NONE)
      throw new KafkaResponseError(res.ErrorCode, `FindCoordinator ${group}`);
    return { nodeId: res.NodeId, address: `${res.Host}:${res.Port}` };
  }

  /** Closes the connection kept for Metadata and FindCoordinator. */
  close(): void {
    this.connections.release(this.client);
    this.client = undefined;
  }

  /** Runs `request` on the kept connection, reconnecting to another broker once if that one failed. */
  private async ask<T>(request: (client: WireClient) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.anyBroker();
      try {
        return await request(client);
      } catch (error) {
        if (!(error instanceof KafkaConnectionError) || attempt > 0) throw error;
        if (this.client === client) this.close();
      }
    }
  }

  /** The kept connection, or a new one to the first broker that accepts. */
  private anyBroker(): Promise<WireClient> {
    if (this.client && !this.client.closed) return Promise.resolve(this.client);
    this.connecting ??= this.connectToAny().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connectToAny(): Promise<WireClient> {
    const known = [...this.brokers.values()];
    const start = known.length === 0 ? 0 : this.rotation++ % known.length;
    const candidates = [...new Set([...known.slice(start), ...known.slice(0, start), ...this.bootstrap])];
    const failures: string[] = [];
    for (const address of candidates) {
      try {
        this.client = await this.connections.open(address);
        return this.client;
      } catch (error) {
        // Every broker checks the same credentials: a refused token is the answer, not a broker down.
        if (error instanceof KafkaAuthenticationError) throw error;
        failures.push((error as Error).message);
      }
    }
    throw new KafkaConnectionError(`no broker answers (${failures.join('; ')})`);
  }
}
