// rooftop against ONNX Runtime, side by side: see tools/bench/README.md.
// Both engines run as child processes of this driver (one process tree), on the same .npy
// input, alternating A B A B for --rounds rounds of --runs timed runs (or as many as last --round-ms)
// after warm-up batches of --warmup runs for --warmup-ms each.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { median, seededFloats, writeNpy } from './npy.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);

function parseArgs(argv) {
  const o = {
    root: path.resolve(here, '../..'), zoo: null, out: null, ort: null, threads: [1, 2], rounds: 5,
    runs: 20, warmup: 5, warmupMs: 1000, roundMs: 300, models: ['resnet18', 'resnet50', 'mobilenet_v2', 'mobilenet_v3_small',
      'shufflenet_v2_x1_0', 'squeezenet1_1', 'efficientnet_b0'], variants: ['plain', 'raw'],
    scaling: true, transformers: [], transformerDir: null, textdet: [], textdetDir: null,
    frames: [], sequenceDir: null, frameCalls: 500, qdq: [], qdqDir: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i], argv[i + 1]];
    const list = () => { i++; return v.split(',').filter(Boolean); };
    if (k === '--threads') o.threads = list().map(Number);
    else if (k === '--models') o.models = list();
    else if (k === '--variants') o.variants = list();
    else if (k === '--rounds') { o.rounds = Number(v); i++; }
    else if (k === '--runs') { o.runs = Number(v); i++; }
    else if (k === '--warmup') { o.warmup = Number(v); i++; }
    else if (k === '--warmup-ms') { o.warmupMs = Number(v); i++; }
    else if (k === '--round-ms') { o.roundMs = Number(v); i++; }
    else if (k === '--zoo') { o.zoo = v; i++; }
    else if (k === '--out') { o.out = v; i++; }
    else if (k === '--ort') { o.ort = v; i++; }
    else if (k === '--no-scaling') o.scaling = false;
    else if (k === '--transformers') o.transformers = list();
    else if (k === '--transformer-dir') { o.transformerDir = v; i++; }
    else if (k === '--textdet') o.textdet = list();
    else if (k === '--textdet-dir') { o.textdetDir = v; i++; }
    else if (k === '--frames') o.frames = list();
    else if (k === '--sequence-dir') { o.sequenceDir = v; i++; }
    else if (k === '--frame-calls') { o.frameCalls = Number(v); i++; }
    else if (k === '--qdq') o.qdq = list();
    else if (k === '--qdq-dir') { o.qdqDir = v; i++; }
    else throw new Error(`unknown argument '${k}'`);
  }
  o.zoo ??= path.join(o.root, 'build/zoo');
  o.transformerDir ??= path.join(o.root, 'build/transformers');
  o.textdetDir ??= path.join(o.root, 'build/textdet');
  o.sequenceDir ??= path.join(o.root, 'build/sequence');
  o.qdqDir ??= path.join(o.root, 'build/qdq_zoo');
  for (const m of o.frames) if (!STREAMS[m]) throw new Error(`--frames: '${m}' is not a streaming model (${Object.keys(STREAMS).join(', ')})`);
  o.out ??= path.join(o.root, 'build/bench');
  o.ort = path.resolve(o.ort ?? path.join(o.out, 'onnxruntime'));
  if (o.rounds < 5 || o.runs < 20) console.error('note: fewer than 5 rounds of 20 runs is below the benchmark\'s standard');
  return o;
}

// The streaming models of tools/export_sequence.py and their state: output OUT becomes input IN
// of the next call (the pairs the export's forward() defines).
const STREAMS = { gru_state: ['hn=h0'], vad_small: ['hn=h0', 'cn=c0'] };

// A child speaking the worker protocol: JSON lines out, commands in.
class Worker {
  constructor(cmd, args) {
    this.proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.stderr = '';
    this.proc.stderr.on('data', d => { this.stderr += d; });
    this.lines = readline.createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }
  async next() {
    const r = await this.lines.next();
    if (r.done) throw new Error(`worker ${this.proc.spawnargs.slice(0, 3).join(' ')} ended: ${this.stderr.trim()}`);
    return JSON.parse(r.value);
  }
  async run(n) { this.proc.stdin.write(`run ${n}\n`); return (await this.next()).times_ms; }
  async quit() { this.proc.stdin.write('quit\n'); const r = await this.next(); this.proc.stdin.end(); return r; }
}

// tol: largest difference allowed, relative to the largest ORT output (1e-3 for float models;
// int8 models: 5% of it, the QDQ acceptance's bar, since the two engines' integer kernels may
// round an accumulator differently and a step of the output's scale then shows)
function compareOutputs(a, b, tol = 1e-3) {
  const floats = file => { const b = fs.readFileSync(file); return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); };
  const x = floats(a), y = floats(b);
  if (x.length !== y.length) return { ok: false, rel: Infinity };
  let maxAbs = 0, maxRef = 0;
  for (let i = 0; i < x.length; i++) { maxAbs = Math.max(maxAbs, Math.abs(x[i] - y[i])); maxRef = Math.max(maxRef, Math.abs(y[i])); }
  const rel = maxAbs / (maxRef || 1);
  return { ok: rel <= tol, rel };
}

async function inputShape(o, model) {
  const probe = new Worker(process.execPath, ['-e', `
    const ort = require(${JSON.stringify(path.join(o.ort, 'node_modules/onnxruntime-node'))});
    ort.InferenceSession.create(${JSON.stringify(model)}).then(s => console.log(JSON.stringify(s.inputMetadata[0])));`]);
  return probe.next();
}

// Share of rooftop's layer time spent on reference kernels (per-layer "kernel" of its profile
// JSON): the layers that still run the naive oracle. A short profile of its own, after the timed
// rounds, on the same input and threads.
function refShare(o, model, inputName, npy, threads, label) {
  const json = path.join(o.out, 'tmp', `${label}.t${threads}.profile.json`);
  const r = spawnSync(path.join(o.root, 'build/rooftop'), ['profile', model, '--input', `${inputName}=${npy}`, '--threads',
    String(threads), '--runs', '5', '--warmup', '2', '--quiet', '--json', json], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rooftop profile ${model}: ${r.stderr.trim()}`);
  const layers = JSON.parse(fs.readFileSync(json)).layers;
  const sum = ls => ls.reduce((a, l) => a + l.time_ms.median, 0);
  const ref = layers.filter(l => l.kernel === 'ref');
  const ops = [...new Set(ref.map(l => l.op_type))].join(' ');
  return { share: sum(ref) / (sum(layers) || 1), ops };
}

// --warmup runs, repeated until --warmup-ms have passed: a fresh worker's first few hundred ms
// at 2 threads ran slower and with spikes (rooftop's bench_worker on MobileNet v2, Zen 5 VM: median
// 2.36-2.52 ms over its first 30-50 runs, single runs up to 10 ms, then 1.86-1.94; the same
// process after a 1 s pause: no slow start), which five runs did not cover.
// Returns the median of the last warm-up batch.
async function warmUp(w, o) {
  const t0 = performance.now();
  let last;
  do last = await w.run(o.warmup); while (performance.now() - t0 < o.warmupMs);
  return median(last);
}

// One configuration: model file, input shape, threads. Returns a result row. `inputFile`: a
// given input (the transformer exports' input_0.pb, token ids for BERT and GPT) instead of
// seeded floats.
async function measure(o, label, model, shape, threads, inputFile = null, tol = 1e-3) {
  const meta = await inputShape(o, model);
  const dims = shape ?? meta.shape;
  const dir = path.join(o.out, 'tmp');
  fs.mkdirSync(dir, { recursive: true });
  let npy = inputFile;
  if (!npy) {
    npy = path.join(dir, `${label}.npy`);
    writeNpy(npy, dims, seededFloats(dims.reduce((a, b) => a * b, 1), 42));
  }
  const outA = path.join(dir, `${label}.rooftop.bin`), outB = path.join(dir, `${label}.ort.bin`);
  const A = new Worker(path.join(o.root, 'build/bench_worker'), [model, meta.name, npy, String(threads), outA]);
  const B = new Worker(process.execPath, [path.join(here, 'ort_worker.mjs'), o.ort, model, meta.name, npy, String(threads), outB]);
  const readyA = await A.next(), readyB = await B.next();
  // runs per round: --runs, or more so that a round of the slower engine lasts --round-ms (a
  // 20-run round of a 2 ms model lasted 40 ms, and its ratio moved by 0.3 between rounds at 2 threads)
  const slow = Math.max(await warmUp(A, o), await warmUp(B, o));
  const runs = Math.max(o.runs, Math.ceil(o.roundMs / slow));
  const ta = [], tb = [], ratios = [];
  for (let r = 0; r < o.rounds; r++) {
    const a = await A.run(runs), b = await B.run(runs);
    ta.push(...a); tb.push(...b);
    ratios.push(median(a) / median(b));
  }
  const endA = await A.quit(), endB = await B.quit();
  const check = compareOutputs(outA, outB, tol);
  const ref = refShare(o, model, meta.name, npy, threads, label);
  return {
    label, threads, shape: dims.join('x'), model_mb: fs.statSync(model).size / 1048576,
    rooftop_ms: median(ta), ort_ms: median(tb), ratio: median(ratios), ratios,
    // the best run of each side: on a shared machine a burst of load lengthens some runs of
    // either engine, never shortens one, so the minima are the steadier comparison
    rooftop_min_ms: Math.min(...ta), ort_min_ms: Math.min(...tb), min_ratio: Math.min(...ta) / Math.min(...tb),
    rooftop_rss_mb: endA.peak_rss_bytes / 1048576, ort_rss_mb: endB.peak_rss_bytes / 1048576,
    node_rss_mb: readyB.baseline_rss_bytes / 1048576,
    rooftop_first_ms: readyA.load_to_first_result_ms, ort_first_ms: readyB.load_to_first_result_ms,
    max_rel_diff: check.rel, outputs_agree: check.ok, ref_share: ref.share, ref_ops: ref.ops,
  };
}

// Per-frame latency of a streaming model: `rooftop profile --feedback` and ort_frames.mjs, each a
// fresh process per round (load is outside both figures), alternating for --rounds rounds of
// --frame-calls calls after 20 warm-up calls each. Figures in microseconds per call.
function measureFrames(o, m, threads) {
  const model = path.join(o.sequenceDir, `${m}.onnx`), data = path.join(o.sequenceDir, m);
  const names = fs.readFileSync(path.join(data, 'inputs.txt'), 'utf8').split('\n').filter(Boolean);
  const inputs = names.flatMap((n, i) => ['--input', `${n}=${path.join(data, `input_${i}.pb`)}`]);
  const feedback = STREAMS[m].flatMap(p => ['--feedback', p]);
  const json = path.join(o.out, 'tmp', `${m}.frames.t${threads}.json`);
  fs.mkdirSync(path.dirname(json), { recursive: true });
  const run = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.slice(0, 2).join(' ')}: ${r.error?.message ?? (r.stderr || r.stdout).trim()}`);
    return r.stdout;
  };
  const ta = [], tb = [], pa = [], pb = [], ratios = [];
  for (let r = 0; r < o.rounds; r++) {
    run(path.join(o.root, 'build/rooftop'), ['profile', model, ...inputs, ...feedback, '--threads', String(threads),
      '--runs', String(o.frameCalls), '--warmup', '20', '--quiet', '--json', json]);
    const lat = JSON.parse(fs.readFileSync(json)).run.latency_ms;
    const out = run(process.execPath, [path.join(here, 'ort_frames.mjs'), o.ort, model, data, String(threads),
      String(o.frameCalls), ...STREAMS[m]]);
    const hit = /median ([\d.]+) us per call \(p99 ([\d.]+) us\)/.exec(out);
    if (!hit) throw new Error(`ort_frames.mjs ${m}: unexpected output '${out.trim()}'`);
    ta.push(lat.median * 1000); pa.push(lat.p99 * 1000); tb.push(Number(hit[1])); pb.push(Number(hit[2]));
    ratios.push(ta[r] / tb[r]);
  }
  return {
    label: m, threads, shape: 'frames', model_mb: fs.statSync(model).size / 1048576, state: STREAMS[m].join(' '),
    rooftop_us: median(ta), ort_us: median(tb), rooftop_p99_us: median(pa), ort_p99_us: median(pb),
    rooftop_ms: median(ta) / 1000, ort_ms: median(tb) / 1000, ratio: median(ratios), ratios,
  };
}

const f = (x, d = 2) => x.toFixed(d);

function printFrameRow(r) {
  console.log(`${r.label.padEnd(34)} t${r.threads} frames       rooftop ${f(r.rooftop_us, 1).padStart(7)} us/call  ORT ${f(r.ort_us, 1).padStart(7)} us/call  ` +
    `ratio ${f(r.ratio, 3)} [${r.ratios.map(x => f(x, 3)).join(' ')}]  p99 ${f(r.rooftop_p99_us, 0)}/${f(r.ort_p99_us, 0)} us  state ${r.state}`);
}

function printRow(r) {
  console.log(`${r.label.padEnd(34)} t${r.threads} ${r.shape.padEnd(12)} rooftop ${f(r.rooftop_ms).padStart(7)} ms  ORT ${f(r.ort_ms).padStart(7)} ms  ` +
    `ratio ${f(r.ratio, 3)} [${r.ratios.map(x => f(x, 3)).join(' ')}] best ${f(r.min_ratio, 3)}  RSS ${f(r.rooftop_rss_mb, 0)}/${f(r.ort_rss_mb, 0)} MB  ` +
    `first ${f(r.rooftop_first_ms, 0)}/${f(r.ort_first_ms, 0)} ms  diff ${r.max_rel_diff.toExponential(1)}${r.outputs_agree ? '' : ' DISAGREE'}  ` +
    `ref ${f(100 * r.ref_share, 1)}%${r.ref_ops ? ` (${r.ref_ops})` : ''}`);
}

const COLS = ['label', 'threads', 'shape', 'model_mb', 'rooftop_ms', 'ort_ms', 'ratio', 'ratios', 'rooftop_min_ms', 'ort_min_ms',
  'min_ratio', 'rooftop_rss_mb', 'ort_rss_mb',
  'node_rss_mb', 'rooftop_first_ms', 'ort_first_ms', 'max_rel_diff', 'outputs_agree', 'ref_share', 'ref_ops',
  'rooftop_us_per_call', 'ort_us_per_call', 'rooftop_p99_us', 'ort_p99_us', 'state'];

function writeCsv(file, rows) {
  const cell = v => {
    if (v === undefined) return '';
    const s = Array.isArray(v) ? v.map(x => f(x, 4)).join(' ') : typeof v === 'number' ? String(+v.toPrecision(6)) : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const field = (r, c) => r[{ rooftop_us_per_call: 'rooftop_us', ort_us_per_call: 'ort_us' }[c] ?? c];
  fs.writeFileSync(file, [COLS.join(','), ...rows.map(r => COLS.map(c => cell(field(r, c))).join(','))].join('\n') + '\n');
}

// One line per thread count: the geometric means of both ratios over the zoo rows (plain variant).
function zooGeomeans(rows, o) {
  const geo = xs => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
  return o.threads.map(t => rows.filter(r => r.threads === t && o.models.includes(r.label) && r.min_ratio != null))
    .filter(z => z.length > 1)
    .map(z => `Zoo, ${z[0].threads} thread(s), geometric mean over ${z.length} models: ratio ${f(geo(z.map(r => r.ratio)), 3)}, ` +
      `best ${f(geo(z.map(r => r.min_ratio)), 3)}.`);
}

function writeMarkdown(file, all, o, ortVersion) {
  const rows = all.filter(r => r.shape !== 'frames'), frames = all.filter(r => r.shape === 'frames');
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines = !rows.length ? [`Measured ${new Date().toISOString().slice(0, 10)} on ${cpu} (${os.cpus().length} logical CPUs), ` +
    `rooftop vs ONNX Runtime ${ortVersion} (onnxruntime-node, CPU EP, graphOptimizationLevel all).`] : [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu} (${os.cpus().length} logical CPUs), ` +
    `rooftop vs ONNX Runtime ${ortVersion} (onnxruntime-node, CPU EP, graphOptimizationLevel all), ` +
    `${o.rounds} alternating rounds of ${o.runs} runs or more (as many as the slower engine runs in ${o.roundMs} ms) after ` +
    `warm-up batches of ${o.warmup} runs for ${o.warmupMs} ms, median of all timed runs each. ` +
    `Ratio = median over rounds of rooftop / ORT (below 1: rooftop faster); best = rooftop's fastest run / ORT's fastest. RSS of ORT includes Node.js ` +
    `(${f(rows[0]?.node_rss_mb ?? 0, 0)} MB before ONNX Runtime loads). Ref share = rooftop's layer time on reference ` +
    `kernels (its profile JSON, 5 runs), with their op types.`,
    '',
    '| model | file MB | threads | input | rooftop ms | ORT ms | ratio | best | peak RSS rooftop / ORT MB | load to first result rooftop / ORT ms | max rel diff | ref share |',
    '|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(r => `| ${r.label} | ${f(r.model_mb, 1)} | ${r.threads} | ${r.shape} | ${f(r.rooftop_ms)} | ${f(r.ort_ms)} | ${f(r.ratio, 3)} | ${f(r.min_ratio, 3)} | ` +
      `${f(r.rooftop_rss_mb, 0)} / ${f(r.ort_rss_mb, 0)} | ${f(r.rooftop_first_ms, 0)} / ${f(r.ort_first_ms, 0)} | ${r.max_rel_diff.toExponential(1)} | ` +
      `${f(100 * r.ref_share, 1)}%${r.ref_ops ? ` (${r.ref_ops})` : ''} |`),
  ];
  for (const g of zooGeomeans(rows, o)) lines.push('', g);
  const q8 = rows.filter(r => r.int8_vs_float != null);
  if (q8.length) {
    lines.push('', 'int8 QDQ models against their float32 source on rooftop (rows above, this run):', '',
      '| model | threads | rooftop int8 ms | rooftop float32 ms | int8 / float32 |', '|---|---:|---:|---:|---:|',
      ...q8.map(r => `| ${r.label} | ${r.threads} | ${f(r.rooftop_ms)} | ${f(r.rooftop_ms / r.int8_vs_float)} | ${f(r.int8_vs_float, 3)} |`));
  }
  if (frames.length) {
    lines.push('', `Per-frame latency of the streaming models (tools/export_sequence.py), state outputs fed back as inputs ` +
      `between calls: \`rooftop profile --feedback\` against ort_frames.mjs (timed around session.run from Node.js, so ORT's ` +
      `figure includes the binding's per-call overhead), ${o.rounds} alternating rounds of ${o.frameCalls} calls after 20 ` +
      `warm-up calls, each round a fresh process. Median over rounds of each round's median and p99; ratio = median over ` +
      `rounds of rooftop / ORT.`, '',
    '| model | threads | state fed back | rooftop us/call | ORT us/call | ratio | p99 rooftop / ORT us |',
    '|---|---:|---|---:|---:|---:|---:|',
    ...frames.map(r => `| ${r.label} | ${r.threads} | ${r.state} | ${f(r.rooftop_us, 1)} | ${f(r.ort_us, 1)} | ${f(r.ratio, 3)} | ` +
      `${f(r.rooftop_p99_us, 0)} / ${f(r.ort_p99_us, 0)} |`));
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const ortVersion = JSON.parse(fs.readFileSync(path.join(o.ort, 'node_modules/onnxruntime-node/package.json'))).version;
  const rows = [];
  for (const m of o.models) {
    for (const v of o.variants) {
      const file = path.join(o.zoo, v === 'raw' ? `${m}_raw.onnx` : `${m}.onnx`);
      for (const t of o.threads) {
        const r = await measure(o, v === 'raw' ? `${m}_raw` : m, file, null, t);
        printRow(r); rows.push(r);
      }
    }
  }
  // tools/export_transformers.py's acceptance models and tools/export_textdet.py's detector, on
  // their exported inputs
  const exported = [...o.transformers.map(m => [o.transformerDir, m]), ...o.textdet.map(m => [o.textdetDir, m])];
  for (const [dir, m] of exported) {
    const file = path.join(dir, `${m}.onnx`);
    for (const t of o.threads) {
      const r = await measure(o, m, file, null, t, path.join(dir, m, 'input_0.pb'));
      printRow(r); rows.push(r);
    }
  }
  // int8 QDQ models of the zoo (tests/models/qdq_models.sh, tools/quantize_qdq.py) on the zoo's
  // inputs: the same file on both engines; rooftop int8 / rooftop float32 beside each
  for (const m of o.qdq) {
    const file = path.join(o.qdqDir, `${m}_qdq.onnx`);
    for (const t of o.threads) {
      const r = await measure(o, `${m}_qdq`, file, null, t, path.join(o.zoo, m, 'input_0.pb'), 0.05);
      const float = rows.find(x => x.label === m && x.threads === t);
      r.int8_vs_float = float ? r.rooftop_ms / float.rooftop_ms : null;
      printRow(r); rows.push(r);
      if (float) console.log(`${m} t${t}: rooftop int8 / float32 ${f(r.int8_vs_float, 3)} (${f(r.rooftop_ms)} / ${f(float.rooftop_ms)} ms, from this run's rows)`);
    }
  }
  if (o.scaling) {
    // Latency against input size and batch on the dynamic exports (tools/bench/export_dynamic.py).
    for (const m of ['resnet18', 'mobilenet_v2']) {
      const file = path.join(o.out, 'dynamic', `${m}_dynamic.onnx`);
      const shapes = [[1, 3, 224, 224], [1, 3, 320, 320], [1, 3, 448, 448], [2, 3, 224, 224], [4, 3, 224, 224]];
      for (const s of shapes) {
        const r = await measure(o, `${m}_dynamic`, file, s, 1);
        printRow(r); rows.push(r);
      }
    }
  }
  // the streaming models' per-frame latency (tools/export_sequence.py, exported first)
  for (const m of o.frames) {
    for (const t of o.threads) {
      const r = measureFrames(o, m, t);
      printFrameRow(r); rows.push(r);
    }
  }
  writeCsv(path.join(o.out, 'vs-onnxruntime.csv'), rows);
  writeMarkdown(path.join(o.out, 'vs-onnxruntime.md'), rows, o, ortVersion);
  for (const g of zooGeomeans(rows, o)) console.log(g);
  console.log(`wrote ${path.join(o.out, 'vs-onnxruntime.csv')} and vs-onnxruntime.md`);
  const worst = rows.filter(r => r.shape !== 'frames' && !r.outputs_agree);
  if (worst.length) { console.error(`outputs disagree: ${worst.map(r => r.label).join(', ')}`); process.exitCode = 1; }
}

main().catch(e => { console.error(`vs-onnxruntime: ${e.message}`); process.exit(1); });
