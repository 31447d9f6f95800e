/**
 * `npm run bench`: runs every benchmark and prints its figures (medians of several rounds).
 * `npm run bench -- NAME...` runs only the ones named (broker, side-by-side, pipeline, replication,
 * console, iam).
 */
import { crc32cImplementation } from '../local/kafka/crc32c';
import { runSideBySideBench, type SideBySide } from './apache-kafka.bench';
import { runBrokerBench, type Figure } from './broker.bench';
import { runColdStartBench } from './cold-start.bench';
import { runConsoleBench, runConsolePageBench } from './console.bench';
import { runIamBench } from './iam.bench';
import { runPipelineBench } from './pipeline.bench';
import { runReplicationBench } from './replication.bench';

/** Sub-millisecond latencies keep two decimals, so 0.04 and 0.14 ms do not both read 0.1. */
const format = (value: number, unit: string) =>
  unit === '' || value < 1 ? value.toFixed(2) : value >= 100 ? value.toFixed(0) : value.toFixed(1);

/** A ratio with two decimals, or two significant digits below 0.01 (a failover in ms against seconds). */
const ratio = (value: number) => (value >= 0.01 ? value.toFixed(2) : value.toPrecision(2));

function print(figures: Figure[]): void {
  const width = Math.max(...figures.map((f) => f.name.length));
  for (const f of figures) console.log(`  ${f.name.padEnd(width)}  ${format(f.value, f.unit)} ${f.unit}`);
}

/** One row per figure: embedded, Apache Kafka, and their ratio with the way that is better. */
function printSideBySide({ against, ran, comparisons }: SideBySide): void {
  console.log(`  ${against}`);
  const rows = comparisons.map((c) => [
    c.name,
    `${format(c.embedded, c.unit)} ${c.unit}`,
    ...(ran
      ? [
          `${format(c.apacheKafka!, c.unit)} ${c.unit}`,
          `${ratio(c.embedded / c.apacheKafka!)} (${c.better} is better)`,
        ]
      : []),
  ]);
  const header = ['', 'embedded', ...(ran ? ['Apache Kafka', 'embedded / Kafka'] : [])];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) {
    console.log(
      `  ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')}`,
    );
  }
}

const log = (line: string) => console.log(line);

/** The benchmarks in the order they run, each with the heading it prints. */
const BENCHES: readonly { name: string; heading: string; run: () => Promise<void> }[] = [
  {
    name: 'broker',
    heading: `broker in process: produce, fetch, start-up (CRC-32C: ${crc32cImplementation})`,
    run: async () => print(await runBrokerBench(log)),
  },
  {
    name: 'side-by-side',
    heading: 'side by side: `kw broker` and Apache Kafka, same clients and workloads',
    run: async () => printSideBySide(await runSideBySideBench(log)),
  },
  {
    name: 'pipeline',
    heading: 'local runtime: start-up, pipeline throughput, latency, mapping overhead',
    run: async () => print(await runPipelineBench(log)),
  },
  {
    name: 'replication',
    heading:
      'replication: RF 3 acks=all against RF 1 acks=1, and leader failover, on 3-broker clusters (embedded and Apache Kafka)',
    run: async () => printSideBySide(await runReplicationBench(log)),
  },
  {
    name: 'console',
    heading:
      'web console: embedded broker produce throughput with the console closed, and open and streaming; page weight, first paint, a 100,000-record topic',
    run: async () => {
      const { client, figures } = await runConsoleBench(log);
      console.log(`  live client: ${client}`);
      print(figures);
      print(await runConsolePageBench(log));
    },
  },
  {
    name: 'iam',
    heading:
      'MSK IAM: kafkajs produce throughput and connection set-up over the IAM listener (OAUTHBEARER, every request authorized) against the plain one',
    run: async () => print((await runIamBench(log)).figures),
  },
  {
    name: 'cold-start',
    heading:
      "cold start: each function bundle as cdk synth makes it, on its template's Node: size, load time beyond a bare node start (with and without source maps), first invocation",
    run: async () => print(await runColdStartBench(log)),
  },
];

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length > 0) {
    throw new Error(
      `no bench named ${unknown.join(', ')}: choose from ${BENCHES.map((b) => b.name).join(', ')}`,
    );
  }
  console.log(`benchmarks on node ${process.version}, ${new Date().toISOString()}`);
  for (const bench of BENCHES) {
    if (names.length > 0 && !names.includes(bench.name)) continue;
    console.log(bench.heading);
    await bench.run();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
