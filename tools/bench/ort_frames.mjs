// Per-frame latency of a streaming model on ONNX Runtime, next to `rooftop profile --feedback`:
//   node ort_frames.mjs ORT_DIR MODEL DATA_DIR THREADS RUNS [OUT=IN ...]
// DATA_DIR/input_<i>.pb feed the model's inputs in graph order (tools/export_sequence.py writes
// them); after every call each output OUT becomes input IN of the next (the state), outside the
// timed region, as rooftop's --feedback does. Prints the median and p99 per call in
// microseconds after 20 warm-up calls. CPU provider, graphOptimizationLevel 'all', sequential.
import { createRequire } from 'node:module';
import path from 'node:path';
import { readTensor } from './tensor_pb.mjs';

const [ortDir, model, dir, threadsArg, runsArg, ...pairs] = process.argv.slice(2);
const ort = createRequire(path.resolve(ortDir, 'package.json'))('onnxruntime-node');
const session = await ort.InferenceSession.create(model, {
  executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: Number(threadsArg),
  interOpNumThreads: 1, executionMode: 'sequential',
});
const feeds = {};
session.inputNames.forEach((name, i) => {
  const t = readTensor(path.join(dir, `input_${i}.pb`));
  feeds[name] = new ort.Tensor(t.kind, t.data, t.dims);
});
const feedback = pairs.map(p => p.split('='));
const times = [];
const runs = Number(runsArg);
for (let i = 0; i < runs + 20; i++) {
  const t0 = process.hrtime.bigint();
  const out = await session.run(feeds);
  const t1 = process.hrtime.bigint();
  if (i >= 20) times.push(Number(t1 - t0) / 1000);
  for (const [o, inp] of feedback) feeds[inp] = out[o];
}
times.sort((a, b) => a - b);
const q = p => times[Math.min(times.length - 1, Math.floor(p * times.length))];
console.log(`${path.basename(model)}: ONNX Runtime ${threadsArg} thread(s), ${runs} calls: median ${q(0.5).toFixed(1)} us per call (p99 ${q(0.99).toFixed(1)} us); state fed back: ${pairs.join(', ') || 'none'}`);
