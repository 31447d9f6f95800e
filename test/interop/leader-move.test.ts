/**
 * librdkafka (confluent-kafka), kafka-python and the Java client through a leader move on three
 * embedded brokers: each probe (test/peers) produces acks=all records with an idempotent producer and
 * reads them as a group member, in one process, while the test stops the broker leading the topic's
 * partition (replication factor 3, min.insync.replicas=2) and starts it again, then tells the probe to
 * stop. No acknowledged record may be lost or written twice, and the member must carry on reading.
 * kafkajs goes through the same in test/broker/leader-move.test.ts.
 */
import { embeddedDrillCluster, type DrillCluster } from '../support/drill-cluster';
import { createMovingTopic, figuresLine, leaderMoveDrill, type MovingClient } from '../support/leader-move';
import { startJavaProbe, startPythonProbe, succeeded, type LivePeer } from './clients/peers';

jest.setTimeout(300_000);

/** The probe as the drill sees it: its acked and consumed events, and a line on stdin to finish. */
function probeClient(name: string, peer: LivePeer): MovingClient {
  return {
    acknowledged: () =>
      peer.events.filter((e) => e.event === 'acked').map((e) => ({ value: String(e.value), at: e.at })),
    read: () => peer.events.filter((e) => e.event === 'consumed').map((e) => String(e.value)),
    async finish() {
      peer.tell('stop');
      succeeded(await peer.exited, name);
    },
  };
}

const CLIENTS = [
  {
    name: 'confluent-kafka (librdkafka)',
    start: (args: string[]) => startPythonProbe('confluent_probe.py', args),
  },
  { name: 'kafka-python', start: (args: string[]) => startPythonProbe('kafka_python_probe.py', args) },
  { name: 'the Java client', start: (args: string[]) => startJavaProbe(args) },
];

let cluster: DrillCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

test.each(CLIENTS)(
  '$name: an idempotent acks=all producer and a group member lose nothing while the leader stops and starts',
  async ({ name, start }) => {
    cluster = await embeddedDrillCluster();
    await createMovingTopic(cluster, 'moving-orders');
    const peer = start(['leader-move', cluster.bootstrapServers, 'moving-orders', 'moving-readers']);
    const figures = await leaderMoveDrill(cluster, 'moving-orders', probeClient(name, peer)).catch(
      async (error: Error) => {
        peer.tell('stop');
        const run = await peer.exited;
        throw new Error(`${error.message}\n${name} said:\n${run.err.slice(-3000)}`);
      },
    );
    const errors = peer.events.filter((e) => e.event.endsWith('error') || e.event === 'failed');
    console.log(
      `${figuresLine(name, figures)}; errors the client reported: ` +
        (errors.length
          ? [...new Set(errors.map((e) => `${e.event} ${String(e.error)}`))].join(', ')
          : 'none'),
    );
    expect(figures).toMatchObject({ lost: 0, lostFromLog: 0, duplicatedInLog: 0 });
    expect(figures.read).toBe(figures.acknowledged);
    expect(figures.readAfterRestart).toBeGreaterThan(0);
  },
);
