// Per-layer times of rooftop (its own profile) next to ONNX Runtime's (its profiler), for the
// README's explanation of where a model is slower: see tools/bench/README.md.
//   node layers_vs_onnxruntime.mjs ORT_DIR ROOFTOP MODEL THREADS RUNS OUT_DIR
// Layers are matched by the tensor they produce: ONNX Runtime names a fused or NCHWc-converted
// node after its output ("<output>_nchwc"), rooftop lists each layer's outputs. Unmatched ORT
// nodes (its layout reorders, for instance) are summed in their own row.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { median, readNpy, seededFloats, writeNpy } from './npy.mjs';

const [ortDir, rooftop, model, threadsArg, runsArg, outDir] = process.argv.slice(2);
const threads = Number(threadsArg), runs = Number(runsArg);
fs.mkdirSync(outDir, { recursive: true });
const base = path.join(outDir, path.basename(model, '.onnx'));

const ort = createRequire(path.resolve(ortDir, 'package.json'))('onnxruntime-node');
const session = await ort.InferenceSession.create(model, {
  executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1,
  executionMode: 'sequential', enableProfiling: true, profileFilePrefix: `${base}.ort_profile`,
});
const meta = session.inputMetadata[0];
const npy = `${base}.input.npy`;
writeNpy(npy, meta.shape, seededFloats(meta.shape.reduce((a, b) => a * b, 1), 42));
const input = readNpy(npy);
const feeds = { [meta.name]: new ort.Tensor('float32', input.data, input.shape) };
for (let i = 0; i < 3 + runs; i++) await session.run(feeds);
await session.endProfiling(); // writes <prefix>_<date>.json; the binding does not return its name
const prefix = `${path.basename(base)}.ort_profile`;
const profileFile = fs.readdirSync(outDir).filter(n => n.startsWith(prefix) && n.endsWith('.json'))
  .map(n => path.join(outDir, n)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];

// ORT kernel times per node, warm-up runs dropped (the first 3 occurrences of each node).
const events = JSON.parse(fs.readFileSync(profileFile));
const ortNodes = new Map();
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
  const name = e.name.slice(0, -'_kernel_time'.length);
  if (!ortNodes.has(name)) ortNodes.set(name, { op: e.args.op_name, times: [] });
  ortNodes.get(name).times.push(e.dur / 1000);
}
for (const v of ortNodes.values()) v.ms = median(v.times.slice(3));

// rooftop's profile of the same model and input.
const json = `${base}.rooftop.json`;
const r = spawnSync(rooftop, ['profile', model, '--input', `${meta.name}=${npy}`, '--threads', String(threads), '--runs', String(runs), '--json', json],
  { encoding: 'utf8' });
if (r.status !== 0) { console.error(r.stderr.trim()); process.exit(1); }
const prof = JSON.parse(fs.readFileSync(json));

const byOutput = new Map();
for (const [name, v] of ortNodes) byOutput.set(name.replace(/_nchwc$/, ''), { name, ...v });
const rows = [];
const used = new Set();
for (const l of prof.layers) {
  let hit = null;
  for (const o of l.outputs) if (byOutput.has(o.name)) hit = byOutput.get(o.name);
  if (!hit && ortNodes.has(l.name)) hit = { name: l.name, ...ortNodes.get(l.name) };
  if (hit) used.add(hit.name);
  rows.push({ name: l.name, op: l.op_type, ms: l.time_ms.median, eff: l.efficiency, bound: l.bound, gflops: l.achieved_gflops,
    flops: l.flops, ort_ms: hit ? hit.ms : null, ort_op: hit ? hit.op : '' });
}
let unmatched = 0, unmatchedN = 0;
for (const [name, v] of ortNodes) if (!used.has(name)) { unmatched += v.ms; unmatchedN++; }

const f = (x, d = 3) => (x == null ? '-' : x.toFixed(d));
const short = s => (s.length > 40 ? `${s.slice(0, 19)}~${s.slice(-20)}` : s);
console.log(`${path.basename(model)}, ${threads} thread(s), ${runs} runs: rooftop layer medians vs ONNX Runtime kernel medians`);
console.log(`${'layer'.padEnd(41)} ${'op'.padEnd(14)} ${'rooftop'.padStart(8)} ${'eff'.padStart(5)} ${'GF/s'.padStart(6)} ${'ORT'.padStart(8)} ${'ratio'.padStart(6)}`);
for (const x of [...rows].sort((a, b) => b.ms - a.ms)) {
  console.log(`${short(x.name).padEnd(41)} ${x.op.slice(0, 14).padEnd(14)} ${f(x.ms).padStart(8)} ${(x.eff == null ? '-' : (100 * x.eff).toFixed(0) + '%').padStart(5)} ` +
    `${f(x.gflops, 0).padStart(6)} ${f(x.ort_ms).padStart(8)} ${(x.ort_ms ? f(x.ms / x.ort_ms, 2) : '-').padStart(6)}`);
}
const sum = a => a.reduce((s, x) => s + x, 0);
const matched = rows.filter(x => x.ort_ms != null);
console.log(`matched ${matched.length} of ${rows.length} rooftop layers: rooftop ${f(sum(matched.map(x => x.ms)))} ms, ORT ${f(sum(matched.map(x => x.ort_ms)))} ms`);
console.log(`unmatched: rooftop ${f(sum(rows.filter(x => x.ort_ms == null).map(x => x.ms)))} ms in ${rows.length - matched.length} layers, ` +
  `ORT ${f(unmatched)} ms in ${unmatchedN} nodes; totals rooftop ${f(prof.run.layer_sum_ms)} ms, ORT ${f(sum([...ortNodes.values()].map(v => v.ms)))} ms`);
const byOp = new Map();
for (const x of matched) {
  const k = x.op;
  const v = byOp.get(k) ?? { n: 0, r: 0, o: 0 };
  v.n++; v.r += x.ms; v.o += x.ort_ms; byOp.set(k, v);
}
for (const [k, v] of byOp) console.log(`  ${k.padEnd(18)} n=${String(v.n).padStart(3)}  rooftop ${f(v.r)} ms  ORT ${f(v.o)} ms  ratio ${f(v.r / v.o, 2)}`);
