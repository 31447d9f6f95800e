/**
 * Reaching an existing Kafka cluster from its bootstrap list (`kw up --bootstrap HOST:PORT[,...]`):
 * reading the list, and a first look at the cluster that fails early, naming the address and what to
 * check, instead of leaving pollers and functions to retry against something that will never answer.
 *
 * Only plaintext listeners are spoken here (as by the functions with KAFKA_AUTH=none): a TLS or SASL
 * listener closes the connection or answers nothing a plaintext client understands.
 */
import { MetadataSchema } from '../../kafka/messages/03-metadata';
import { parseHostPort, WireClient } from './wire-client';

/** A bootstrap list that cannot be read, or a cluster that cannot be reached; the message says why. */
export class BootstrapError extends Error {
  public override readonly name = 'BootstrapError';
}

/** `host:port[,host:port...]` as a list; throws BootstrapError naming the first bad entry. */
export function parseBootstrapServers(text: string): string[] {
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (entries.length === 0) throw new BootstrapError(`expected host:port[,host:port...], got '${text}'`);
  for (const entry of entries) {
    try {
      parseHostPort(entry);
    } catch {
      throw new BootstrapError(`'${entry}' is not host:port (in '${text}')`);
    }
  }
  return entries;
}

/** What the cluster says about itself. */
export interface ClusterSummary {
  /** The bootstrap address that answered. */
  readonly answeredBy: string;
  readonly clusterId: string | null;
  /** Live brokers, by node id. */
  readonly brokers: readonly { readonly nodeId: number; readonly address: string }[];
}

/**
 * Asks the bootstrap servers, in order, for the cluster's brokers, then checks that each broker's
 * advertised address can be reached from here (clients are sent there for every partition it leads).
 */
export async function probeCluster(servers: readonly string[], timeoutMs = 5000): Promise<ClusterSummary> {
  const failures: string[] = [];
  for (const address of servers) {
    let client: WireClient | undefined;
    try {
      client = await WireClient.open(address, 'kw-up', timeoutMs);
      const res = await client.request(
        MetadataSchema,
        8,
        { Topics: [], AllowAutoTopicCreation: false },
        timeoutMs,
      );
      const summary: ClusterSummary = {
        answeredBy: address,
        clusterId: res.ClusterId ?? null,
        brokers: res.Brokers.map((b) => ({ nodeId: b.NodeId, address: `${b.Host}:${b.Port}` })).sort(
          (a, b) => a.nodeId - b.nodeId,
        ),
      };
      await checkAdvertised(summary, timeoutMs);
      return summary;
    } catch (error) {
      if (error instanceof BootstrapError) throw error;
      const reason = plain((error as Error).message, address);
      failures.push(servers.length === 1 ? reason : `${address}: ${reason}`);
    } finally {
      client?.close();
    }
  }
  throw new BootstrapError(
    `cannot reach Kafka at ${servers.join(',')} (${failures.join('; ')}). ` +
      'Check that the cluster is running and that each address is a plaintext listener of one of its ' +
      'brokers that this machine can reach (kw up speaks neither TLS nor SASL).',
  );
}

async function checkAdvertised(summary: ClusterSummary, timeoutMs: number): Promise<void> {
  const unreachable: string[] = [];
  await Promise.all(
    summary.brokers.map(async (b) => {
      try {
        (await WireClient.open(b.address, 'kw-up', timeoutMs)).close();
      } catch (error) {
        unreachable.push(
          `broker ${b.nodeId} at ${b.address} (${plain((error as Error).message, b.address)})`,
        );
      }
    }),
  );
  if (unreachable.length > 0) {
    throw new BootstrapError(
      `${summary.answeredBy} answered, but clients are sent to addresses this machine cannot reach: ` +
        `${unreachable.sort().join(', ')}. Check the brokers' advertised.listeners: they must name ` +
        'addresses reachable from here.',
    );
  }
}

/** A connection error without the address it already starts with. */
function plain(message: string, address: string): string {
  return message.startsWith(`${address}: `) ? message.slice(address.length + 2) : message;
}
