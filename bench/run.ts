import { writeResult, type Benchmark } from './harness.js';
import { coldStart } from './cold-start.js';
import { encoderThroughput } from './encoder-throughput.js';
import { onnxVsTransformersjs } from './onnx-vs-transformersjs.js';
import { libraryBench } from './library-bench.js';
import { serverLoad } from './server-load.js';
import { storeBench } from './store-bench.js';
import { detectorBench } from './detector.js';
import { captionSpeed } from './caption-speed.js';

/**
 * `npm run bench [-- name ...]`: runs the named benchmarks (default: all) and writes bench/results/<name>.json.
 * Speed is measured here, never in timed unit tests.
 */
const BENCHMARKS: Benchmark[] = [coldStart, encoderThroughput, onnxVsTransformersjs, libraryBench, storeBench, serverLoad, detectorBench, captionSpeed];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const names = args.filter((a) => !a.startsWith('-'));
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
    process.exit(2);
  }
  for (const b of BENCHMARKS.filter((b) => names.length === 0 || names.includes(b.name))) {
    console.error(`bench ${b.name}: ${b.description}`);
    const result = await b.run(args);
    const path = writeResult(b.name, result);
    console.log(JSON.stringify({ benchmark: b.name, file: path, ...result }));
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
