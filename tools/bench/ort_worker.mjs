// ONNX Runtime side of tools/bench/vs-onnxruntime; same protocol as bench_worker.c:
//   node ort_worker.mjs ORT_DIR MODEL INPUT_NAME INPUT.npy THREADS OUTPUT.bin
// prints {"ready":true,"load_to_first_result_ms":..,"baseline_rss_bytes":..}, then serves
// "run N" -> {"times_ms":[..]} and "quit" -> {"peak_rss_bytes":..}.
// CPU execution provider, graphOptimizationLevel 'all', intraOpNumThreads = THREADS,
// sequential execution. load_to_first_result starts at session creation (after the runtime's
// shared library is loaded, as rooftop's starts after the dynamic linker has run).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { readNpy } from './npy.mjs';
import { readTensor } from './tensor_pb.mjs';

const [ortDir, model, inputName, inputPath, threadsArg, outputPath] = process.argv.slice(2);
const baselineRss = process.resourceUsage().maxRSS * 1024; // node itself, before ONNX Runtime
const ort = createRequire(path.resolve(ortDir, 'package.json'))('onnxruntime-node');
const threads = Number(threadsArg);
// .npy (float32) or a TensorProto .pb (float32 or int64: token ids)
const pb = inputPath.endsWith('.pb') ? readTensor(inputPath) : null;
const input = pb ? { kind: pb.kind, data: pb.data, shape: pb.dims } : { kind: 'float32', ...readNpy(inputPath) };
const feeds = { [inputName]: new ort.Tensor(input.kind, input.data, input.shape) };

const t0 = performance.now();
const session = await ort.InferenceSession.create(model, {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
});
const first = await session.run(feeds);
const loadToFirst = performance.now() - t0;
const out = first[session.outputNames[0]].data;
fs.writeFileSync(outputPath, Buffer.from(out.buffer, out.byteOffset, out.byteLength));
console.log(JSON.stringify({ ready: true, load_to_first_result_ms: loadToFirst, baseline_rss_bytes: baselineRss }));

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  if (line.startsWith('quit')) break;
  const m = /^run (\d+)$/.exec(line.trim());
  if (!m) { console.error(`ort_worker: unknown command '${line}' (run N | quit)`); process.exit(64); }
  const times = [];
  for (let i = 0; i < Number(m[1]); i++) {
    const a = performance.now();
    await session.run(feeds);
    times.push(performance.now() - a);
  }
  console.log(JSON.stringify({ times_ms: times }));
}
console.log(JSON.stringify({ peak_rss_bytes: process.resourceUsage().maxRSS * 1024 }));
process.exit(0);
