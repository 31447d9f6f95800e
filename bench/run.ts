/** `npm run bench`: runs every benchmark and prints its figures (medians of several rounds). */
import { crc32cImplementation } from '../local/kafka/crc32c';
import { runSideBySideBench, type SideBySide } from './apache-kafka.bench';
import { runBrokerBench, type Figure } from './broker.bench';
import { runPipelineBench } from './pipeline.bench';

const format = (value: number, unit: string) =>
  unit === '' ? value.toFixed(2) : value >= 100 ? value.toFixed(0) : value.toFixed(1);

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
          `${(c.embedded / c.apacheKafka!).toFixed(2)} (${c.better} is better)`,
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

async function main(): Promise<void> {
  const log = (line: string) => console.log(line);
  console.log(`benchmarks on node ${process.version}, ${new Date().toISOString()}`);
  console.log(`broker in process: produce, fetch, start-up (CRC-32C: ${crc32cImplementation})`);
  print(await runBrokerBench(log));
  console.log('side by side: `kw broker` and Apache Kafka, same clients and workloads');
  printSideBySide(await runSideBySideBench(log));
  console.log('local runtime: start-up, pipeline throughput, latency, mapping overhead');
  print(await runPipelineBench(log));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
