import { runPipelineBench } from './pipeline.bench';
runPipelineBench(console.log).then((f) => { for (const x of f) console.log(x.name, x.value.toFixed(2), x.unit); process.exit(0); });
