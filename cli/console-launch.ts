/**
 * The web console as `kw broker` and `kw up` run it: its two flags, and the sources and server
 * started once the brokers (and the runtime) run, closed before them; with the control channel of
 * the drills, the services both commands start beside their brokers.
 */
import type { RunningBroker } from '../local/broker/broker';
import { startControlServer, type RunningControl } from '../local/broker/control/control-server';
import { createClusterSource } from '../local/console/kafka/cluster-source';
import { createPipelineSource } from '../local/console/pipeline/pipeline-source';
import { ConsolePortInUseError, startConsole } from '../local/console/server/console-server';
import type { ClusterSource, PipelineSource } from '../local/console/api';
import type { LocalRuntime } from '../local/runtime/runtime';
import { portFlag } from './arguments';
import type { CommandIO } from './command';

export const DEFAULT_CONSOLE_PORT = 8080;

/** The flags, for parseArgs. */
export const CONSOLE_OPTIONS = {
  'console-port': { type: 'string' },
  'no-console': { type: 'boolean', default: false },
} as const;

/** Where the console goes; undefined with --no-console. */
export interface ConsoleChoice {
  readonly port: number;
  /** Given with --console-port: a busy port is then an error, not a warning. */
  readonly explicit: boolean;
}

/** Reads --console-port and --no-console (which wins: a script can add it to a command line that sets the port). */
export function consoleChoice(values: {
  readonly 'console-port'?: string;
  readonly 'no-console'?: boolean;
}): ConsoleChoice | undefined {
  const given = values['console-port'];
  if (values['no-console']) return undefined;
  return {
    port: given === undefined ? DEFAULT_CONSOLE_PORT : portFlag('--console-port', given),
    explicit: given !== undefined,
  };
}

export interface LaunchedConsole {
  /** What the ready block prints: http://HOST:PORT/ */
  readonly url: string;
  /** Closes the console, then the pipeline source, then the cluster source. */
  close(): Promise<void>;
}

export interface ConsoleTarget {
  readonly host: string;
  /** Comma-separated, as the runtime and the broker say it. */
  readonly bootstrapServers: string;
  /** The embedded brokers, when they run in this process. */
  readonly broker?: RunningBroker;
  /** Under `kw up`: the pipeline. */
  readonly runtime?: LocalRuntime;
  /** Tells what the sources and the server log (--verbose). */
  readonly log?: (message: string) => void;
}

/**
 * Starts the console on what runs. The brokers and the pipeline work without it, so a failure is a
 * warning (`warn`) and undefined, except a busy port the user chose with --console-port: that
 * ConsolePortInUseError is thrown, for the command to stop as it does for its other ports.
 */
export async function launchConsole(
  choice: ConsoleChoice,
  target: ConsoleTarget,
  warn: (message: string) => void,
): Promise<LaunchedConsole | undefined> {
  let cluster: ClusterSource | undefined;
  let pipeline: PipelineSource | undefined;
  const closeSources = async () => {
    await pipeline?.close();
    await cluster?.close();
  };
  try {
    cluster = await createClusterSource({
      bootstrapServers: target.bootstrapServers.split(','),
      broker: target.broker,
      log: target.log,
    });
    const runtime = target.runtime;
    if (runtime) pipeline = createPipelineSource({ runtime, cluster, log: target.log });
    const { clusterId } = await cluster.cluster();
    const running = await startConsole({
      host: target.host,
      port: choice.port,
      cluster,
      pipeline,
      info: {
        mode: runtime ? 'pipeline' : 'broker',
        bootstrapServers: target.bootstrapServers,
        clusterId,
        controllable: cluster.controllable,
        ...(runtime?.urls[0] ? { ingestUrl: runtime.urls[0].url } : {}),
      },
      log: target.log,
    });
    return {
      url: `${running.url}/`,
      async close() {
        await running.close();
        await closeSources();
      },
    };
  } catch (error) {
    await closeSources().catch(() => undefined);
    if (error instanceof ConsolePortInUseError && choice.explicit) throw error;
    warn(`no web console: ${(error as Error).message}`);
    return undefined;
  }
}

/** What `kw broker` and `kw up` serve beside the brokers: the drills' control channel and the console. */
export interface SideServices {
  readonly control: RunningControl | undefined;
  readonly web: LaunchedConsole | undefined;
  /** Closes the console first (its live streams read the brokers until then), then the channel. */
  close(): Promise<void>;
}

/**
 * Starts the control channel (with embedded brokers) and the console for command `name`. Either may
 * fail with a warning on `io.err`; the brokers serve clients without them. A busy --console-port is
 * the exception: it is said, the channel closed, and undefined returned for the command to stop.
 */
export async function startSideServices(
  name: string,
  io: Pick<CommandIO, 'err'>,
  choice: ConsoleChoice | undefined,
  target: ConsoleTarget,
): Promise<SideServices | undefined> {
  let control: RunningControl | undefined;
  if (target.broker) {
    try {
      control = await startControlServer(target.broker);
    } catch (error) {
      // Only the drills need the channel.
      io.err(`kw ${name}: warning: no control channel for kw cluster: ${(error as Error).message}`);
    }
  }
  let web: LaunchedConsole | undefined;
  if (choice) {
    try {
      web = await launchConsole(choice, target, (m) => io.err(`kw ${name}: warning: ${m}`));
    } catch (error) {
      if (!(error instanceof ConsolePortInUseError)) throw error;
      io.err(`kw ${name}: ${error.message}`);
      await control?.close();
      return undefined;
    }
  }
  return {
    control,
    web,
    async close() {
      await web?.close();
      await control?.close();
    },
  };
}
