/**
 * `kw cluster status|stop N|start N|pause N|resume N`: failure drills on the embedded cluster of a
 * running `kw broker` or `kw up`, over the control channel that process prints (local/broker/control).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CONTROL_ACTIONS,
  partitionChanges,
  type ControlAction,
  type ControlStatus,
  type PartitionChange,
} from '../local/broker/control/cluster-view';
import { brokerAction, ControlError, fetchControlStatus } from '../local/broker/control/control-client';
import { findControl, type RunInfo } from '../local/broker/control/run-file';
import { BootstrapError, parseBootstrapServers, probeCluster } from '../local/runtime/kafka/bootstrap';
import {
  DEFAULT_BOOTSTRAP,
  noExtraArguments,
  parseCommandArgs,
  reportUsage,
  usageError,
  UsageError,
  wholeNumberFlag,
} from './arguments';
import type { Command, CommandIO } from './command';
import { table } from './table';

const HELP = `Usage: kw cluster status [--bootstrap H:P]
       kw cluster stop|start|pause|resume N [--bootstrap H:P] [--wait-ms 10000]

Failure drills on the embedded cluster of a running 'kw broker --brokers N' or 'kw up --brokers N',
through the control channel that process prints as 'control' (found from the broker's address).

status    each broker's address and state, and how many partitions it leads, is in the in-sync
          replicas (ISR) of and holds a replica of; then the under-replicated, under-min-ISR and
          offline partitions
stop N    controlled shutdown of broker N: the partitions it leads get a new leader from their ISR at
          once, its listener and connections close, its replicas stop following
start N   broker N listens again on its port; its replicas catch up and rejoin the ISR (waits up to
          --wait-ms for that, as resume does)
pause N   freezes broker N, like SIGSTOP: requests to it go unanswered and its replicas stop
          following; the cluster fences it after its session timeout and moves its leaders
resume N  unfreezes broker N

Each prints the partitions whose leader or ISR changed (before → after).

Options:
  --bootstrap H:P[,H:P...]  an address of the embedded cluster
                            [default: $KW_BOOTSTRAP, else ${DEFAULT_BOOTSTRAP}]
  --wait-ms N               start, resume: how long to wait for the broker to
                            rejoin the ISR                                    [default: 10000]

Examples:
  kw broker --brokers 3 &
  kw topics create drill --partitions 3 --replication-factor 3
  kw cluster stop 1
  kw topics describe drill
  kw cluster start 1
  kw cluster status`;

/** What the control channel's line in the ready blocks of kw broker and kw up points at. */
export const CLUSTER_COMMANDS = 'kw cluster status|stop N|start N|pause N|resume N';

const ids = (list: readonly number[]) => (list.length > 0 ? list.join(',') : '-');
const leaderText = (id: number) => (id === -1 ? 'none' : String(id));

/** The summary line under a status or an action. */
function summary(status: ControlStatus): string {
  const partitions = status.topics.reduce((n, t) => n + t.partitions.length, 0);
  return `${partitions} partition(s): under-replicated ${status.underReplicated} · under min ISR ${status.underMinIsr} · offline ${status.offline}`;
}

function brokerTable(status: ControlStatus): string {
  return table(
    ['BROKER', 'ADDRESS', 'STATE', 'LEADER OF', 'IN ISR OF', 'REPLICA OF'],
    status.brokers.map((b) => [
      String(b.nodeId),
      `${b.host}:${b.port}`,
      b.state,
      String(b.leaderOf),
      String(b.inSyncOf),
      String(b.replicaOf),
    ]),
  );
}

/** The partitions that are not fully in sync, or have no leader: where a drill shows. */
function laggingTable(status: ControlStatus): string | undefined {
  const rows = status.topics.flatMap((t) =>
    t.partitions
      .filter((p) => p.leader === -1 || p.isr.length < p.replicas.length)
      .map((p) => [
        `${t.name}-${p.partition}`,
        leaderText(p.leader),
        ids(p.replicas),
        ids(p.isr),
        ids(p.offlineReplicas),
      ]),
  );
  if (rows.length === 0) return undefined;
  return table(['PARTITION', 'LEADER', 'REPLICAS', 'IN-SYNC', 'OFFLINE'], rows);
}

function changeTable(changes: readonly PartitionChange[]): string {
  return table(
    ['PARTITION', 'LEADER', 'IN-SYNC'],
    changes.map((c) => [
      `${c.topic}-${c.partition}`,
      c.leader[0] === c.leader[1]
        ? leaderText(c.leader[1])
        : `${leaderText(c.leader[0])} → ${leaderText(c.leader[1])}`,
      ids(c.isr[0]) === ids(c.isr[1]) ? ids(c.isr[1]) : `${ids(c.isr[0])} → ${ids(c.isr[1])}`,
    ]),
  );
}

/** ` (kw broker --brokers 3, started 2026-11-30T03:29:50.000Z)` for a stale file that says; older files do not. */
function staleOrigin(stale: { readonly command?: string; readonly startedAt?: string }): string {
  const parts = [stale.command, stale.startedAt && `started ${stale.startedAt}`].filter(Boolean);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** Why there is no channel at `bootstrap`, telling an embedded cluster without one from anything else. */
async function noChannel(
  bootstrap: readonly string[],
  lookup: ReturnType<typeof findControl>,
): Promise<string> {
  const where = bootstrap.join(',');
  if (lookup.found) return '';
  const kafka = await probeCluster(bootstrap, 2000).then(
    () => true,
    () => false,
  );
  // A run file outlives a killed process, and its port can be taken again by another broker: what
  // answers there now decides the message, the file only adds why it names no live channel.
  const leftOver = lookup.stale
    ? `its run file ${lookup.file} is left from process ${lookup.stale.pid}${staleOrigin(lookup.stale)}, which is no longer running`
    : undefined;
  if (kafka) {
    return `the Kafka cluster at ${where} is not one kw cluster can drive: ${leftOver ?? `no kw broker or kw up on this machine wrote a control channel for it (${lookup.file})`}. kw cluster drives the embedded brokers of 'kw broker' and 'kw up' (without --bootstrap); on another cluster, stop and start the broker processes themselves.`;
  }
  if (leftOver) {
    return `no kw broker with a control channel at ${where}: ${leftOver}. Start one with 'kw broker --brokers 3'.`;
  }
  return `no kw broker with a control channel at ${where}: start one with 'kw broker --brokers 3' (or 'kw up --brokers 3'), or pass --bootstrap HOST:PORT.`;
}

async function printStatus(channel: RunInfo, io: CommandIO): Promise<number> {
  const status = await fetchControlStatus(channel);
  io.out(`cluster ${status.clusterId} (control ${channel.controlUrl})`);
  io.out(brokerTable(status));
  io.out(summary(status));
  const lagging = laggingTable(status);
  if (lagging) io.out(lagging);
  return 0;
}

/** After a start: polls until the broker is in the ISR of every partition it holds, or `waitMs` passed. */
async function untilInSync(channel: RunInfo, nodeId: number, waitMs: number): Promise<ControlStatus> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const status = await fetchControlStatus(channel);
    const broker = status.brokers.find((b) => b.nodeId === nodeId);
    if (!broker || broker.inSyncOf >= broker.replicaOf || Date.now() >= deadline) return status;
    await sleep(200);
  }
}

async function act(
  channel: RunInfo,
  action: ControlAction,
  nodeId: number,
  waitMs: number,
  io: CommandIO,
): Promise<number> {
  const result = await brokerAction(channel, action, nodeId);
  // A returning broker rejoins the ISR once caught up, after the answer: wait for that, within limits.
  const rejoins = action === 'start' || action === 'resume';
  const after = rejoins ? await untilInSync(channel, nodeId, waitMs) : result.after;
  const broker = after.brokers.find((b) => b.nodeId === nodeId);
  const address = broker ? ` (${broker.host}:${broker.port})` : '';
  const past = { stop: 'stopped', start: 'started', pause: 'paused', resume: 'resumed' }[action];
  io.out(`broker ${nodeId}${address} ${past}: now ${broker?.state ?? 'unknown'}`);
  if (action === 'pause')
    io.out('its requests are held; the cluster fences it, and moves its leaders, once its session times out');
  const changes = rejoins ? partitionChanges(result.before, after) : result.changes;
  io.out(changes.length > 0 ? changeTable(changes) : 'no partition changed leader or in-sync replicas');
  if (rejoins && broker && broker.inSyncOf < broker.replicaOf) {
    io.out(
      `still catching up after ${waitMs} ms: in the ISR of ${broker.inSyncOf} of its ${broker.replicaOf} partition(s) ('kw cluster status' shows progress)`,
    );
  }
  io.out(summary(after));
  return 0;
}

export const clusterCommand: Command = {
  help: HELP,
  async run(args, io) {
    const usage = usageError('cluster', io);
    const parsed = parseCommandArgs(
      {
        args,
        allowPositionals: true,
        options: { bootstrap: { type: 'string' }, 'wait-ms': { type: 'string', default: '10000' } },
      },
      usage,
    );
    if (parsed === 2) return 2;
    const [action, node, ...extra] = parsed.positionals;
    let bootstrap: string[];
    let nodeId: number | undefined;
    let waitMs: number;
    try {
      if (action !== 'status' && !(CONTROL_ACTIONS as readonly string[]).includes(action ?? '')) {
        throw new UsageError(`expected status, stop, start, pause or resume, got '${action ?? ''}'`);
      }
      if (action === 'status') noExtraArguments(node === undefined ? [] : [node, ...extra]);
      else {
        if (node === undefined)
          throw new UsageError(`'${action}' needs a broker id N (see 'kw cluster status')`);
        nodeId = wholeNumberFlag('broker id', node, 1);
        noExtraArguments(extra);
      }
      waitMs = wholeNumberFlag('--wait-ms', parsed.values['wait-ms'], 0);
      try {
        bootstrap = parseBootstrapServers(
          parsed.values.bootstrap ?? process.env.KW_BOOTSTRAP ?? DEFAULT_BOOTSTRAP,
        );
      } catch (error) {
        if (!(error instanceof BootstrapError)) throw error;
        throw new UsageError(`--bootstrap: ${error.message}`);
      }
    } catch (error) {
      return reportUsage(error, usage);
    }

    const lookup = findControl(bootstrap);
    if (!lookup.found) {
      io.err(`kw cluster: ${await noChannel(bootstrap, lookup)}`);
      return 1;
    }
    try {
      if (nodeId === undefined) return await printStatus(lookup.info, io);
      return await act(lookup.info, action as ControlAction, nodeId, waitMs, io);
    } catch (error) {
      if (!(error instanceof ControlError)) throw error;
      io.err(`kw cluster: ${error.message}`);
      return 1;
    }
  },
};
