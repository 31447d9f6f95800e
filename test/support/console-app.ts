/**
 * The console in the test's process, on real parts: three embedded brokers (startBroker) read by the
 * cluster source, or the whole local runtime (the synthesized app, as `kw up` runs it) read by both
 * sources. Every port is 0. What `kw broker` and `kw up` put together, without their processes.
 */
import * as path from 'node:path';
import { PROJECT_ROOT, staleReason, synthesize, withSynthLock } from '../../cli/synth';
import { startBroker, type RunningBroker } from '../../local/broker/broker';
import { createClusterSource } from '../../local/console/kafka/cluster-source';
import { createPipelineSource } from '../../local/console/pipeline/pipeline-source';
import { startConsole, type RunningConsole } from '../../local/console/server/console-server';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime/runtime';

export interface ClusterConsole {
  readonly broker: RunningBroker;
  readonly console: RunningConsole;
  /** Closes the console, then the sources, then the brokers. */
  close(): Promise<void>;
}

/** `kw broker --brokers 3` with its console. */
export async function startClusterConsole(
  log: (line: string) => void = () => undefined,
): Promise<ClusterConsole> {
  const broker = await startBroker({ brokers: 3, port: 0 });
  const cluster = await createClusterSource({
    bootstrapServers: broker.bootstrapServers.split(','),
    broker,
    log,
  });
  const console = await startConsole({
    host: '127.0.0.1',
    port: 0,
    cluster,
    info: {
      mode: 'broker',
      bootstrapServers: broker.bootstrapServers,
      clusterId: broker.cluster.clusterId,
      controllable: cluster.controllable,
    },
    log,
  });
  return {
    broker,
    console,
    async close() {
      await console.close();
      await cluster.close();
      await broker.close();
    },
  };
}

export interface PipelineConsole {
  readonly runtime: LocalRuntime;
  readonly console: RunningConsole;
  /** The ingest Function URL orders are posted to. */
  readonly ingestUrl: string;
  close(): Promise<void>;
}

const ASSEMBLY = path.join(PROJECT_ROOT, 'cdk.out');

/** `kw up --brokers 3` with its console: the synthesized app on three embedded brokers. */
export async function startPipelineConsole(
  log: (line: string) => void = () => undefined,
): Promise<PipelineConsole> {
  // As kw up does: synthesize only when cdk.out is out of date, one synthesis at a time.
  await withSynthLock(ASSEMBLY, async () => {
    if (staleReason(ASSEMBLY, {})) await synthesize(ASSEMBLY, {}, () => undefined);
  });
  const runtime = await startLocalRuntime({
    assembly: ASSEMBLY,
    brokers: 3,
    brokerPort: 0,
    httpPort: 0,
    dynamodbPort: 0,
    log,
  });
  try {
    const ingestUrl = runtime.urls[0].url;
    const cluster = await createClusterSource({
      bootstrapServers: runtime.bootstrapServers.split(','),
      broker: runtime.broker,
      log,
    });
    const pipeline = createPipelineSource({ runtime, cluster, log });
    const console = await startConsole({
      host: '127.0.0.1',
      port: 0,
      cluster,
      pipeline,
      info: {
        mode: 'pipeline',
        bootstrapServers: runtime.bootstrapServers,
        clusterId: runtime.broker?.cluster.clusterId ?? 'unknown',
        controllable: cluster.controllable,
        ingestUrl,
      },
      log,
    });
    return {
      runtime,
      console,
      ingestUrl,
      async close() {
        await console.close();
        await pipeline.close();
        await cluster.close();
        await runtime.close();
      },
    };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}
