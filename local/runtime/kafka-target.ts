/**
 * Where the local runtime's Kafka is: the embedded broker it starts, or an existing cluster it is
 * pointed at (`kw up --bootstrap`). On an existing cluster nothing is started or stopped
 * (provisioning/kafka.ts says how its topics are treated, status.ts how its offsets are read).
 */
import * as path from 'node:path';
import { PortInUseError, startBroker, type IamListenerOptions, type RunningBroker } from '../broker/broker';
import { probeCluster, type ClusterSummary } from './kafka/bootstrap';

/** The Kafka cluster the pipeline runs on. */
export interface KafkaClusterInfo {
  /** Started by this runtime, or one that was there already (--bootstrap). */
  readonly kind: 'embedded' | 'existing';
  /** The cluster id Metadata reports (existing clusters). */
  readonly clusterId?: string;
  readonly brokers: number;
}

/** Where the runtime's Kafka is. */
export interface KafkaTarget {
  readonly info: KafkaClusterInfo;
  /** The embedded broker; undefined on an existing cluster. */
  readonly broker: RunningBroker | undefined;
  readonly bootstrap: readonly string[];
  /** host:port of the embedded brokers' IAM listeners; empty without `iam`. */
  readonly iamBootstrap: readonly string[];
  /** One line for the start-up log: where Kafka listens, or what the cluster said about itself. */
  readonly description: string;
  /** Stops the embedded broker; leaves an existing cluster alone. */
  close(): Promise<void>;
}

export interface KafkaTargetOptions {
  readonly host: string;
  /** Embedded broker's first port. @default 9092 */
  readonly brokerPort?: number;
  /** Embedded brokers. @default 1 */
  readonly brokers?: number;
  /** An existing cluster instead (excludes brokerPort and brokers). */
  readonly bootstrapServers?: readonly string[];
  /** What probeCluster found at bootstrapServers, when the caller asked already. */
  readonly probedCluster?: ClusterSummary;
  /** The embedded broker keeps its data under `broker/` here. */
  readonly dataDir?: string;
  /**
   * Opens an IAM listener on each embedded broker (not on an existing cluster). Its ports: `port`
   * when given, else brokerPort + 6 onwards (as MSK serves plaintext on 9092 and IAM on 9098), or
   * brokerPort + the broker count when more than 6 brokers would reach it; free ports with brokerPort 0.
   */
  readonly iam?: IamListenerOptions;
  /** The embedded broker's diagnostics (refused authentications...). @default none */
  readonly brokerLog?: (message: string) => void;
}

/** Where the first IAM listener goes: MSK's distance from plaintext to IAM (9092 → 9098), past the plain ports. */
export function iamListenerPort(brokerPort: number, brokers: number): number {
  return brokerPort === 0 ? 0 : brokerPort + Math.max(6, brokers);
}

/** Starts the embedded broker, or checks that the existing cluster answers (throws BootstrapError if not). */
export async function startKafkaTarget(options: KafkaTargetOptions): Promise<KafkaTarget> {
  if (options.bootstrapServers) {
    if (options.brokers !== undefined || options.brokerPort !== undefined)
      throw new Error('an existing cluster (bootstrapServers) excludes brokerPort and brokers');
    if (options.iam)
      throw new Error(
        'IAM is enforced by the embedded broker: an existing cluster (bootstrapServers) has its own',
      );
    const bootstrap = options.bootstrapServers;
    const summary = options.probedCluster ?? (await probeCluster(bootstrap));
    return {
      info: { kind: 'existing', clusterId: summary.clusterId ?? undefined, brokers: summary.brokers.length },
      broker: undefined,
      bootstrap,
      iamBootstrap: [],
      description:
        `Kafka cluster ${summary.clusterId ?? '(no id)'} answers at ${summary.answeredBy}: ` +
        `${summary.brokers.length} broker(s), ${summary.brokers.map((b) => `node ${b.nodeId} at ${b.address}`).join(', ')}`,
      close: async () => undefined,
    };
  }
  const { host } = options;
  const brokerPort = options.brokerPort ?? 9092;
  const iam = options.iam && {
    ...options.iam,
    port: options.iam.port ?? iamListenerPort(brokerPort, options.brokers ?? 1),
  };
  const broker = await startBroker({
    port: brokerPort,
    host,
    brokers: options.brokers,
    dataDir: options.dataDir ? path.join(options.dataDir, 'broker') : undefined,
    log: options.brokerLog ?? (() => undefined),
    ...(iam ? { iam } : {}),
  }).catch((error: Error) => {
    if (!(error instanceof PortInUseError)) throw error;
    throw new Error(
      `Kafka port ${error.port} on ${host} is already in use (a 'kw broker' or another 'kw up'?): stop it or pass --broker-port`,
    );
  });
  const iamBootstrap = iam ? broker.iamBootstrapServers.split(',') : [];
  return {
    info: { kind: 'embedded', brokers: broker.ports.length },
    broker,
    bootstrap: broker.bootstrapServers.split(','),
    iamBootstrap,
    description:
      `broker listening on ${broker.bootstrapServers}` +
      (iam ? `, IAM listener on ${broker.iamBootstrapServers}` : ''),
    close: () => broker.close(),
  };
}
