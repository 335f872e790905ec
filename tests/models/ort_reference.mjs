// ONNX Runtime's outputs for a model and its inputs, as TensorProto files: the second reference
// (next to torch's) that the exported models are checked against.
//   node ort_reference.mjs ORT_DIR MODEL INPUT.pb OUTPUT.pb   one input, the first output
//   node ort_reference.mjs ORT_DIR MODEL DATA_DIR             DATA_DIR/input_<i>.pb for the
//       model's inputs in graph order, every output to DATA_DIR/output_<i>_ort.pb
// ORT_DIR holds node_modules/onnxruntime-node (tools/bench/ort-setup.sh installs it). CPU
// provider, all graph optimisations, one thread.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { readTensor, writeTensor } from '../../tools/bench/tensor_pb.mjs';

const [ortDir, model, inputPath, outputPath] = process.argv.slice(2);
const ort = createRequire(path.resolve(ortDir, 'package.json'))('onnxruntime-node');
const session = await ort.InferenceSession.create(model, {
  executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1,
});
const dir = outputPath === undefined ? inputPath : null;
const inputs = dir ? session.inputNames.map((_, i) => path.join(dir, `input_${i}.pb`)) : [inputPath];
const feeds = {};
inputs.forEach((file, i) => {
  const t = readTensor(file);
  feeds[session.inputNames[i]] = new ort.Tensor(t.kind, t.data, t.dims);
});
const result = await session.run(feeds);
const names = dir ? session.outputNames : session.outputNames.slice(0, 1);
names.forEach((name, i) => {
  const file = dir ? path.join(dir, `output_${i}_ort.pb`) : outputPath;
  writeTensor(file + '.tmp', name, result[name]);
  fs.renameSync(file + '.tmp', file);
});
