/**
 * The embedded Kafka-protocol broker as a library: `startBroker()` listens on one port per broker
 * (all sharing one cluster state in this process) and resolves once every port accepts connections.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Cluster } from './cluster/cluster';
import { DataDir, type FsyncPolicy } from './storage/data-dir';
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
}

export interface RunningBroker {
  /** Port of the first broker. */
  readonly port: number;
  /** Ports of every broker, by node id - 1. */
  readonly ports: readonly number[];
  readonly host: string;
  /** host:port list for clients' bootstrap setting. */
  readonly bootstrapServers: string;
  /** The shared state, for tests and tools in the same process. */
  readonly cluster: Cluster;
  /** The group coordinator, likewise. */
  readonly groups: GroupCoordinator;
  /** What every topic holds right now, as plain data that later writes do not change. */
  stats(): BrokerStats;
  /** Stops listening, closes client connections and timers. */
  close(): Promise<void>;
}

/** One partition's offsets and size, as ListOffsets and DescribeLogDirs would report them. */
export interface PartitionStats {
  readonly partition: number;
  /** Node id of the broker leading it. */
  readonly leader: number;
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

export async function startBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  const host = options.host ?? '127.0.0.1';
  const count = options.brokers ?? 1;
  const firstPort = options.port ?? 9092;
  if (!Number.isInteger(count) || count < 1 || count > 16)
    throw new BrokerOptionsError(`brokers must be 1-16, got ${count}`);
  if (!Number.isInteger(firstPort) || firstPort < 0 || firstPort > 65535)
    throw new BrokerOptionsError(`invalid port ${firstPort}`);
  const log = options.log ?? (() => undefined);
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
  });
  for (let i = 0; i < count; i++) cluster.addBroker(host, 0);
  cluster.restore(); // topics and logs from the data directory, now that leadership can be assigned
  const groups = new GroupCoordinator({ offsetsJournal: storage?.offsets });
  const apiKeys = advertisedApiKeys(HANDLERS);
  const servers: Server[] = [];
  const sockets = new Set<Socket>();

  const retention = setInterval(() => cluster.enforceRetention(), options.retentionCheckMs ?? 5000);
  retention.unref();

  const closeAll = async () => {
    clearInterval(retention);
    groups.close();
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    storage?.close();
  };

  try {
    for (const broker of cluster.brokers) {
      const server = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        new Connection(socket, {
          handlers: HANDLERS,
          maxFrameBytes: options.maxRequestBytes ?? 100 * 1024 * 1024,
          context: { cluster, broker, groups, apiKeys },
          log,
        });
      });
      servers.push(server);
      broker.port = await listen(server, firstPort === 0 ? 0 : firstPort + broker.nodeId - 1, host);
    }
  } catch (error) {
    await closeAll();
    throw error;
  }

  const ports = cluster.brokers.map((b) => b.port);
  options.advertisedListeners?.forEach((listener, i) => {
    const broker = cluster.brokers[i];
    const at = listener.lastIndexOf(':');
    if (!broker || at < 1) return;
    broker.host = listener.slice(0, at);
    broker.port = Number(listener.slice(at + 1));
  });
  return {
    port: ports[0],
    ports,
    host,
    bootstrapServers: ports.map((p) => `${host}:${p}`).join(','),
    cluster,
    groups,
    stats: () => clusterStats(cluster),
    close: closeAll,
  };
}
