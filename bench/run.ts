/** `npm run bench`: runs every benchmark and prints its figures (medians of several rounds). */
import { crc32cImplementation } from '../local/broker/log/crc32c';
import { runBrokerBench, type Figure } from './broker.bench';
import { runGroupsBench } from './groups.bench';
import { runPipelineBench } from './pipeline.bench';

function print(figures: Figure[]): void {
  const width = Math.max(...figures.map((f) => f.name.length));
  for (const f of figures) {
    const value =
      f.unit === '' ? f.value.toFixed(2) : f.value >= 100 ? f.value.toFixed(0) : f.value.toFixed(1);
    console.log(`  ${f.name.padEnd(width)}  ${value} ${f.unit}`);
  }
}

async function main(): Promise<void> {
  console.log(`benchmarks on node ${process.version}, ${new Date().toISOString()}`);
  console.log(`broker: produce, fetch, start-up (CRC-32C: ${crc32cImplementation})`);
  print(await runBrokerBench((line) => console.log(line)));
  console.log('consumer groups: consume throughput, end-to-end latency');
  print(await runGroupsBench((line) => console.log(line)));
  console.log('local runtime: start-up, pipeline throughput, latency, mapping overhead');
  print(await runPipelineBench((line) => console.log(line)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
