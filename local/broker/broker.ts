/**
 * The embedded Kafka-protocol broker as a library: `startBroker()` listens on one port per broker
 * (all in this process, each partition replicated on its own brokers' logs) and resolves once every
 * port accepts connections. `control` stops, starts, pauses and resumes single brokers: the drills.
 * With `iam`, every broker also listens on a second port where clients must authenticate with MSK IAM
 * (SASL AWS_MSK_IAM or OAUTHBEARER), as MSK serves IAM on its own port; the plain port stays open.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { RequestAuthorizer, type DenialRecord } from './auth/authorize-request';
import { parseClusterArn } from './auth/iam/arns';
import type { SaslSettings } from './auth/sasl/session';
import { Cluster, type BrokerInfo } from './cluster/cluster';
import type { BrokerState } from './replication/controller';
import { DataDir, DataDirError, type FsyncPolicy } from './storage/data-dir';
import { GroupCoordinator } from './groups/group-coordinator';
import { HANDLERS } from './handlers';
import { advertisedApiKeys, Connection } from './server/connection';

export interface BrokerOptions {
  /** Port of the first broker; 0 picks free ports. Further brokers take the next ports. @default 9092 */
  readonly port?: number;
  /** Address to listen on and to advertise in Metadata. @default '127.0.0.1' */
  readonly host?: string;
  /** Brokers to run in this process. @default 1 */
  readonly brokers?: number;
  /** Directory where topics, logs and committed offsets persist. @default none: memory only */
  readonly dataDir?: string;
  /** When written data is flushed to the device (see storage/data-dir.ts). @default 'interval' */
  readonly fsync?: FsyncPolicy;
  /** Create topics named in Metadata requests. @default true */
  readonly autoCreateTopics?: boolean;
  /** Partitions of auto-created topics. @default 1 */
  readonly defaultPartitions?: number;
  /** Largest request accepted (socket.request.max.bytes). @default 100 MiB */
  readonly maxRequestBytes?: number;
  /** How often retention is applied. @default 5000 ms */
  readonly retentionCheckMs?: number;
  /**
   * `host:port` clients are told to use for each broker, when that differs from where it listens
   * (a proxy, a container's port mapping). @default the listening address
   */
  readonly advertisedListeners?: readonly string[];
  /** Diagnostic messages (closed connections and why). @default none */
  readonly log?: (message: string) => void;
  /** Replication factor of auto-created topics and of CreateTopics' -1. @default min(3, brokers) */
  readonly defaultReplicationFactor?: number;
  /** replica.lag.time.max.ms: how long a follower may lag before it leaves the ISR. @default 30000 */
  readonly replicaLagTimeMaxMs?: number;
  /** broker.session.timeout.ms: how long a paused broker keeps its leaderships. @default 9000 */
  readonly brokerSessionTimeoutMs?: number;
  /**
   * Keep a partition's high watermark where it is while its ISR is below min.insync.replicas, as
   * Apache Kafka 3.9 does (test/conformance/drills.test.ts shows it): a record acknowledged with acks=1
   * meanwhile is read only once it is replicated, and an acks=-1 produce whose ISR shrank below the
   * minimum while it waited times out. `false` lets the high watermark follow the ISR down to the
   * leader alone, the rule Kafka's documentation described before KIP-966: acks=1 records are readable
   * at once, and such a produce gets NOT_ENOUGH_REPLICAS_AFTER_APPEND. @default true
   */
  readonly freezeHighWatermarkUnderMinIsr?: boolean;
  /**
   * Opens an IAM listener on every broker, checking tokens against these credentials; with an
   * `authorizer`, every request there is also authorized by MSK's action table. @default none
   */
  readonly iam?: IamListenerOptions;
}

/** The IAM listener: where it listens and what it checks a client's token and Connect against. */
export interface IamListenerOptions extends SaslSettings {
  /**
   * Port of the first broker's IAM listener; further brokers take the next ports. 0 picks free ports.
   * @default the ports right after the plain listeners' (0 when `port` is 0)
   */
  readonly port?: number;
  /** The clock sessions expire by. @default Date.now */
  readonly now?: () => number;
}

export type { BrokerState };

/** One broker of the cluster, as `control.status()` reports it. */
export interface BrokerStatus {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly state: BrokerState;
  /** Partitions it leads, holds a replica of, and is in the ISR of. */
  readonly leaderOf: number;
  readonly replicaOf: number;
  readonly inSyncOf: number;
}

export interface ClusterStatus {
  readonly brokers: readonly BrokerStatus[];
  /** Partitions whose ISR is smaller than their replica set. */
  readonly underReplicated: number;
  /** Partitions whose ISR is smaller than min.insync.replicas. */
  readonly underMinIsr: number;
  /** Partitions with no leader. */
  readonly offline: number;
}

/** Failure drills on a running cluster; the CLI's `kw cluster` and the console use it. */
export interface BrokerControl {
  status(): ClusterStatus;
  /**
   * A controlled shutdown: its partitions get new leaders at once, it leaves every ISR, its listener
   * and connections close and its replicas stop copying.
   */
  stop(nodeId: number): Promise<void>;
  /** Listens again on its port; its replicas cut what their leaders do not have, catch up and rejoin the ISR. */
  start(nodeId: number): Promise<void>;
  /**
   * Freezes it, as SIGSTOP would: requests it reads wait unanswered and its replicas stop copying; after
   * brokerSessionTimeoutMs its partitions get new leaders.
   */
  pause(nodeId: number): void;
  resume(nodeId: number): void;
}

export interface RunningBroker {
  /** Port of the first broker. */
  readonly port: number;
  /** Ports of every broker, by node id - 1. */
  readonly ports: readonly number[];
  readonly host: string;
  /** host:port list for clients' bootstrap setting. */
  readonly bootstrapServers: string;
  /** IAM listener ports of every broker, by node id - 1; empty without the `iam` option. */
  readonly iamPorts: readonly number[];
  /** host:port list of the IAM listeners ('' without the `iam` option). */
  readonly iamBootstrapServers: string;
  /** The shared state, for tests and tools in the same process. */
  readonly cluster: Cluster;
  /** The group coordinator, likewise. */
  readonly groups: GroupCoordinator;
  /** What every topic holds right now, as plain data that later writes do not change. */
  stats(): BrokerStats;
  /**
   * The permissions requests on the IAM listener were denied so far, once each per principal, action
   * and resource, with how often; empty without `iam.authorizer`.
   */
  denials(): readonly DenialRecord[];
  /** Stop, start, pause and resume single brokers. */
  readonly control: BrokerControl;
  /** Stops listening, closes client connections and timers. */
  close(): Promise<void>;
}

/** One partition's offsets and size, as ListOffsets and DescribeLogDirs would report them. */
export interface PartitionStats {
  readonly partition: number;
  /** Node id of the broker leading it, -1 when none can. */
  readonly leader: number;
  readonly leaderEpoch: number;
  /** Node ids of its replicas, of those in sync, and of those on brokers that are down. */
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offlineReplicas: readonly number[];
  /** First offset still in the log. */
  readonly logStartOffset: number;
  /** Offset the next record will get (also the last stable offset: there are no transactions). */
  readonly highWatermark: number;
  readonly sizeInBytes: number;
}

export interface TopicStats {
  readonly name: string;
  /** By partition index. */
  readonly partitions: readonly PartitionStats[];
}

export interface BrokerStats {
  /** Every topic, internal ones (`__...`) included. */
  readonly topics: readonly TopicStats[];
}

/** Raised for options that cannot work; the message says what to change. */
export class BrokerOptionsError extends Error {
  public override readonly name: string = 'BrokerOptionsError';
}

/** Raised when a broker's port is taken, so callers can name their own flag for it. */
export class PortInUseError extends BrokerOptionsError {
  public override readonly name = 'PortInUseError';

  constructor(
    readonly port: number,
    readonly host: string,
  ) {
    super(`port ${port} on ${host} is already in use: stop what runs there or pass another --port`);
  }
}

function clusterStats(cluster: Cluster): BrokerStats {
  return {
    topics: [...cluster.topics.values()].map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((p) => ({
        partition: p.index,
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicas: [...p.replicas],
        isr: [...p.isr],
        offlineReplicas: p.offlineReplicas,
        logStartOffset: p.log.logStartOffset,
        highWatermark: p.log.highWatermark,
        sizeInBytes: p.log.sizeInBytes,
      })),
    })),
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, host) : error);
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function clusterStatus(cluster: Cluster): ClusterStatus {
  const partitions = [...cluster.topics.values()].flatMap((t) => t.partitions);
  return {
    brokers: cluster.brokers.map((b) => ({
      nodeId: b.nodeId,
      host: b.host,
      port: b.port,
      state: b.state,
      leaderOf: partitions.filter((p) => p.leader === b.nodeId).length,
      replicaOf: partitions.filter((p) => p.replicas.includes(b.nodeId)).length,
      inSyncOf: partitions.filter((p) => p.isr.includes(b.nodeId)).length,
    })),
    underReplicated: partitions.filter((p) => p.isr.length < p.replicas.length).length,
    underMinIsr: partitions.filter((p) => p.isr.length < p.effectiveMinIsr).length,
    offline: partitions.filter((p) => p.leader < 0).length,
  };
}

/** One broker's listeners, its open connections and, while it is paused, the requests it holds. */
class BrokerListener {
  /** The plain listener, then the IAM one when there is one. */
  servers: Server[] = [];
  readonly sockets = new Set<Socket>();
  private resumed?: Promise<void>;
  private release = (): void => undefined;

  constructor(readonly broker: BrokerInfo) {}

  /** Resolves at once while running; while paused, when the broker resumes. */
  admission = (): Promise<void> | undefined => this.resumed;

  pause(): void {
    this.resumed ??= new Promise((resolve) => (this.release = resolve));
  }

  resume(): void {
    this.release();
    this.resumed = undefined;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const servers = this.servers;
    this.servers = [];
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

export async function startBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  const host = options.host ?? '127.0.0.1';
  const count = options.brokers ?? 1;
  const firstPort = options.port ?? 9092;
  if (!Number.isInteger(count) || count < 1 || count > 16)
    throw new BrokerOptionsError(`brokers must be 1-16, got ${count}`);
  if (!Number.isInteger(firstPort) || firstPort < 0 || firstPort > 65535)
    throw new BrokerOptionsError(`invalid port ${firstPort}`);
  const factor = options.defaultReplicationFactor;
  if (factor !== undefined && (!Number.isInteger(factor) || factor < 1 || factor > count))
    throw new BrokerOptionsError(
      `default replication factor must be 1-${count} (the brokers), got ${factor}`,
    );
  const iam = options.iam;
  const firstIamPort = iam?.port ?? (firstPort === 0 ? 0 : firstPort + count);
  if (iam && (!Number.isInteger(firstIamPort) || firstIamPort < 0 || firstIamPort > 65535))
    throw new BrokerOptionsError(`invalid IAM listener port ${firstIamPort}`);
  const log = options.log ?? (() => undefined);
  let requests: RequestAuthorizer | undefined;
  try {
    requests = iam?.authorizer && new RequestAuthorizer(iam.authorizer, parseClusterArn(iam.clusterArn), log);
  } catch (error) {
    throw new BrokerOptionsError((error as Error).message);
  }
  let storage: DataDir | undefined;
  try {
    storage =
      options.dataDir === undefined ? undefined : new DataDir(options.dataDir, { fsync: options.fsync });
  } catch (error) {
    throw new BrokerOptionsError((error as Error).message);
  }
  const cluster = new Cluster({
    autoCreateTopics: options.autoCreateTopics,
    defaultPartitions: options.defaultPartitions,
    storage,
    defaultReplicationFactor: options.defaultReplicationFactor,
    replicaLagTimeMaxMs: options.replicaLagTimeMaxMs,
    brokerSessionTimeoutMs: options.brokerSessionTimeoutMs,
    freezeHighWatermarkUnderMinIsr: options.freezeHighWatermarkUnderMinIsr,
  });
  for (let i = 0; i < count; i++) cluster.addBroker(host, 0);
  try {
    cluster.restore(); // topics and logs from the data directory, now that leadership can be assigned
  } catch (error) {
    cluster.replication.close();
    storage?.close();
    if (error instanceof DataDirError) throw new BrokerOptionsError(error.message);
    throw error;
  }
  const groups = new GroupCoordinator({ offsetsJournal: storage?.offsets });
  const apiKeys = advertisedApiKeys(HANDLERS);
  const listeners = cluster.brokers.map((b) => new BrokerListener(b));
  const listenPorts = new Map<number, number>();
  const iamPortOf = new Map<number, number>();

  const retention = setInterval(() => cluster.enforceRetention(), options.retentionCheckMs ?? 5000);
  retention.unref();

  const closeAll = async () => {
    clearInterval(retention);
    cluster.replication.close();
    groups.close();
    for (const l of listeners) l.resume();
    await Promise.all(listeners.map((l) => l.close()));
    storage?.close();
  };

  // On the IAM listener brokers are advertised at their IAM ports, so a client stays on it.
  const advertiseIam = (b: BrokerInfo) => ({ host: b.host, port: iamPortOf.get(b.nodeId) ?? -1 });
  const serve = (listener: BrokerListener, sasl: boolean): Server => {
    const server = createServer((socket) => {
      listener.sockets.add(socket);
      socket.on('close', () => listener.sockets.delete(socket));
      new Connection(socket, {
        handlers: HANDLERS,
        maxFrameBytes: options.maxRequestBytes ?? 100 * 1024 * 1024,
        context: {
          cluster,
          broker: listener.broker,
          groups,
          apiKeys,
          advertise: sasl ? advertiseIam : undefined,
        },
        log,
        admission: listener.admission,
        sasl: sasl ? iam : undefined,
        now: iam?.now,
        authorize: sasl ? requests : undefined,
      });
    });
    listener.servers.push(server);
    return server;
  };
  /** Listens on the broker's plain port and, with `iam`, its IAM port; resolves to both ports. */
  const open = async (listener: BrokerListener, port: number, iamPort: number): Promise<[number, number]> => {
    const plain = await listen(serve(listener, false), port, host);
    const secured = iam ? await listen(serve(listener, true), iamPort, host) : -1;
    return [plain, secured];
  };

  try {
    for (const listener of listeners) {
      const { broker } = listener;
      const offset = broker.nodeId - 1;
      const [port, iamPort] = await open(
        listener,
        firstPort === 0 ? 0 : firstPort + offset,
        firstIamPort === 0 ? 0 : firstIamPort + offset,
      );
      listenPorts.set(broker.nodeId, port);
      if (iam) iamPortOf.set(broker.nodeId, iamPort);
      broker.port = port;
    }
  } catch (error) {
    await closeAll();
    throw error;
  }

  const ports = cluster.brokers.map((b) => b.port);
  const iamPorts = iam ? cluster.brokers.map((b) => iamPortOf.get(b.nodeId)!) : [];
  options.advertisedListeners?.forEach((listener, i) => {
    const broker = cluster.brokers[i];
    const at = listener.lastIndexOf(':');
    if (!broker || at < 1) return;
    broker.host = listener.slice(0, at);
    broker.port = Number(listener.slice(at + 1));
  });

  const listenerOf = (nodeId: number): BrokerListener => {
    const found = listeners.find((l) => l.broker.nodeId === nodeId);
    if (!found) {
      throw new BrokerOptionsError(
        `no broker ${nodeId}: this cluster has brokers ${cluster.brokers.map((b) => b.nodeId).join(', ')}`,
      );
    }
    return found;
  };
  const control: BrokerControl = {
    status: () => clusterStatus(cluster),
    async stop(nodeId) {
      const listener = listenerOf(nodeId);
      if (listener.broker.state === 'stopped') return;
      cluster.replication.stopped(nodeId);
      listener.resume(); // held requests fail with their connections rather than hang
      await listener.close();
    },
    async start(nodeId) {
      const listener = listenerOf(nodeId);
      if (listener.broker.state !== 'stopped') return;
      await open(listener, listenPorts.get(nodeId)!, iamPortOf.get(nodeId) ?? -1);
      cluster.replication.started(nodeId);
    },
    pause(nodeId) {
      const listener = listenerOf(nodeId);
      if (listener.broker.state !== 'running') return;
      listener.pause();
      cluster.replication.paused(nodeId);
    },
    resume(nodeId) {
      const listener = listenerOf(nodeId);
      if (listener.broker.state !== 'paused') return;
      cluster.replication.resumed(nodeId);
      listener.resume();
    },
  };

  return {
    port: ports[0],
    ports,
    host,
    bootstrapServers: ports.map((p) => `${host}:${p}`).join(','),
    iamPorts,
    iamBootstrapServers: iamPorts.map((p) => `${host}:${p}`).join(','),
    cluster,
    groups,
    stats: () => clusterStats(cluster),
    denials: () => requests?.denials() ?? [],
    control,
    close: closeAll,
  };
}
