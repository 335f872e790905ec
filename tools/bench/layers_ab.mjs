// Single-layer timings, alternating: rooftop (one or two builds / environments) against ONNX
// Runtime's kernel time for the same layer; see tools/bench/README.md ("layers-ab").
//   node layers_ab.mjs ORT_DIR ROOFTOP THREADS RUNS ROUNDS B_BIN B_ENV MODEL...
// B_BIN / B_ENV ('-' for none): a second rooftop binary and/or 'K=V,K=V' environment for the
// B column. Per round each side is a fresh process (ORT: a fresh session with its profiler on);
// the layer's time is the sum over its Conv layers (rooftop: profile JSON, ORT: nodes whose op
// name contains "Conv"), per run; a round gives the min and median of its runs.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median, seededFloats, writeNpy } from './npy.mjs';

const [ortDir, rooftop, threadsArg, runsArg, roundsArg, bBin, bEnv, ...models] = process.argv.slice(2);
const threads = Number(threadsArg), runs = Number(runsArg), rounds = Number(roundsArg);
const hasB = bBin !== '-' || bEnv !== '-';
const ort = createRequire(path.resolve(ortDir, 'package.json'))('onnxruntime-node');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rooftop-layers-ab-'));

async function ortRound(model, input) {
  const prefix = path.join(tmp, 'ort');
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1,
    executionMode: 'sequential', enableProfiling: true, profileFilePrefix: prefix,
  });
  const meta = session.inputMetadata[0];
  const feeds = { [meta.name]: new ort.Tensor('float32', input, meta.shape) };
  for (let i = 0; i < 3 + runs; i++) await session.run(feeds);
  await session.endProfiling();
  const file = fs.readdirSync(tmp).filter(n => n.startsWith('ort') && n.endsWith('.json')).map(n => path.join(tmp, n))[0];
  const events = JSON.parse(fs.readFileSync(file));
  fs.rmSync(file);
  const perRun = new Map(); // node -> times in run order; run i of a node is its i-th event
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || !String(e.args.op_name).includes('Conv')) continue;
    if (!perRun.has(e.name)) perRun.set(e.name, []);
    perRun.get(e.name).push(e.dur / 1000);
  }
  const sums = new Array(runs).fill(0);
  for (const t of perRun.values()) t.slice(3).forEach((v, i) => { sums[i] += v; });
  await session.release();
  return { min: Math.min(...sums), med: median(sums), kernel: [...perRun.keys()].length + ' node(s)' };
}

function rooftopRound(bin, env, model, npy, inputName) {
  const json = path.join(tmp, 'r.json');
  const r = spawnSync(bin, ['profile', model, '--input', `${inputName}=${npy}`, '--threads', String(threads), '--runs', String(runs),
    '--json', json, '-q'], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${bin} profile ${model}: ${r.stderr.trim()}`);
  const layers = JSON.parse(fs.readFileSync(json)).layers.filter(l => l.op_type === 'Conv');
  const sum = k => layers.reduce((s, l) => s + l.time_ms[k], 0);
  return { min: sum('min'), med: sum('median'), kernel: layers.map(l => l.kernel + (l.algorithm ? '/' + l.algorithm : '')).join('+') };
}

const envB = Object.fromEntries(bEnv === '-' ? [] : bEnv.split(',').map(kv => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const f = x => x.toFixed(3);
console.log(`${threads} thread(s), ${runs} runs per round, ${rounds} rounds alternating; per round: min / median of the runs (ms)`);
for (const model of models) {
  const session = await ort.InferenceSession.create(model);
  const meta = session.inputMetadata[0];
  await session.release();
  const input = seededFloats(meta.shape.reduce((a, b) => a * b, 1), 42);
  const npy = path.join(tmp, 'input.npy');
  writeNpy(npy, meta.shape, input);
  const sides = { A: [], B: [], ORT: [] };
  const kernels = {};
  for (let r = 0; r < rounds; r++) {
    const a = rooftopRound(rooftop, {}, model, npy, meta.name);
    sides.A.push(a); kernels.A = a.kernel;
    if (hasB) { const b = rooftopRound(bBin === '-' ? rooftop : bBin, envB, model, npy, meta.name); sides.B.push(b); kernels.B = b.kernel; }
    sides.ORT.push(await ortRound(model, input));
  }
  console.log(path.basename(model, '.onnx'));
  for (const [k, v] of Object.entries(sides)) {
    if (v.length === 0) continue;
    const mins = v.map(x => x.min), meds = v.map(x => x.med);
    const ratio = k === 'ORT' ? '' : `  min/ORT min ${(Math.min(...mins) / Math.min(...sides.ORT.map(x => x.min))).toFixed(2)}` +
      `  median/ORT median ${(median(meds) / median(sides.ORT.map(x => x.med))).toFixed(2)}`;
    console.log(`  ${k.padEnd(3)} min ${mins.map(f).join(' ')}  median ${meds.map(f).join(' ')}${ratio}  ${kernels[k] ?? ''}`);
  }
}
fs.rmSync(tmp, { recursive: true, force: true });
