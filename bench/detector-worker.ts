/**
 * One detector measurement in a fresh process (spawned by bench/detector.ts), so load times are cold:
 *   node dist/bench/detector-worker.js <onnxruntime|tfjs> <threads> <images...>
 * Prints one JSON line: import, load and first-image latency, then steady per-image wall and CPU time.
 */
const t0 = performance.now();
const { loadDetector } = await import('../src/model/detector.js');
const tImport = performance.now();
const [backend, threads, ...images] = process.argv.slice(2);
if ((backend !== 'onnxruntime' && backend !== 'tfjs') || images.length < 2) {
  console.error('usage: detector-worker.js <onnxruntime|tfjs> <threads> <image> <image> [...]');
  process.exit(2);
}
const detector = await loadDetector('centernet', { backend, threads: Number(threads) });
const tLoad = performance.now();
await detector.analyze(images[0]);
const tFirst = performance.now();
const cpu0 = process.cpuUsage();
const ms: number[] = [];
for (const image of images.slice(1)) {
  const t = performance.now();
  await detector.analyze(image);
  ms.push(performance.now() - t);
}
const cpu = process.cpuUsage(cpu0);
detector.dispose();
const total = ms.reduce((a, b) => a + b, 0);
console.log(JSON.stringify({
  runtime: detector.runtime,
  threads: Number(threads),
  import_ms: tImport - t0,
  load_ms: tLoad - tImport,
  first_image_ms: tFirst - tLoad,
  images: ms.length,
  ms_per_image: total / ms.length,
  images_per_s: (1000 * ms.length) / total,
  cpu_ms_per_image: (cpu.user + cpu.system) / 1000 / ms.length,
  per_image_ms: ms.map((x) => +x.toFixed(1)),
}));
