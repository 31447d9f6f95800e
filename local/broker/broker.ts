/**
 * The embedded Kafka-protocol broker as a library: `startBroker()` listens on one port per broker
 * (all sharing one cluster state in this process) and resolves once every port accepts connections.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Cluster } from './cluster/cluster';
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
  /** Persistent storage directory. Not available yet: logs are kept in memory. */
  readonly dataDir?: string;
  /** Create topics named in Metadata requests. @default true */
  readonly autoCreateTopics?: boolean;
  /** Partitions of auto-created topics. @default 1 */
  readonly defaultPartitions?: number;
  /** Largest request accepted (socket.request.max.bytes). @default 100 MiB */
  readonly maxRequestBytes?: number;
  /** How often retention is applied. @default 5000 ms */
  readonly retentionCheckMs?: number;
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
  /** Stops listening, closes client connections and timers. */
  close(): Promise<void>;
}

/** Raised for options that cannot work; the message says what to change. */
export class BrokerOptionsError extends Error {
  public override readonly name = 'BrokerOptionsError';
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(
        error.code === 'EADDRINUSE'
          ? new BrokerOptionsError(
              `port ${port} on ${host} is already in use: stop what runs there or pass another --port`,
            )
          : error,
      );
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
  if (options.dataDir !== undefined) {
    throw new BrokerOptionsError(
      '--data-dir (persistent storage) is not available yet: omit it to keep logs in memory',
    );
  }
  const log = options.log ?? (() => undefined);
  const cluster = new Cluster({
    autoCreateTopics: options.autoCreateTopics,
    defaultPartitions: options.defaultPartitions,
  });
  const groups = new GroupCoordinator();
  const apiKeys = advertisedApiKeys(HANDLERS);
  const servers: Server[] = [];
  const sockets = new Set<Socket>();

  const closeAll = async () => {
    clearInterval(retention);
    groups.close();
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  };

  const retention = setInterval(() => cluster.enforceRetention(), options.retentionCheckMs ?? 5000);
  retention.unref();

  try {
    for (let i = 0; i < count; i++) {
      const broker = cluster.addBroker(host, 0);
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
      broker.port = await listen(server, firstPort === 0 ? 0 : firstPort + i, host);
    }
  } catch (error) {
    await closeAll();
    throw error;
  }

  const ports = cluster.brokers.map((b) => b.port);
  return {
    port: ports[0],
    ports,
    host,
    bootstrapServers: ports.map((p) => `${host}:${p}`).join(','),
    cluster,
    close: closeAll,
  };
}
