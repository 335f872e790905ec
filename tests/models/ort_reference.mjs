// ONNX Runtime's output for a model and one input, as a TensorProto file: the second reference
// (next to torch's) that the transformer exports are checked against.
//   node ort_reference.mjs ORT_DIR MODEL INPUT.pb OUTPUT.pb
// ORT_DIR holds node_modules/onnxruntime-node (tools/bench/ort-setup.sh installs it). CPU
// provider, all graph optimisations, one thread.
import { createRequire } from 'node:module';
import path from 'node:path';
import { readTensor, writeTensor } from '../../tools/bench/tensor_pb.mjs';

const [ortDir, model, inputPath, outputPath] = process.argv.slice(2);
const ort = createRequire(path.resolve(ortDir, 'package.json'))('onnxruntime-node');
const input = readTensor(inputPath);
const session = await ort.InferenceSession.create(model, {
  executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1,
});
const feeds = { [session.inputNames[0]]: new ort.Tensor(input.kind, input.data, input.dims) };
const result = await session.run(feeds);
const name = session.outputNames[0];
writeTensor(outputPath, name, result[name]);
