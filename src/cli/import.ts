/**
 * `convgen import MODEL -o DIR`: a .tflite model or a whole ONNX graph as a network spec (src/tflite, src/onnx/net),
 * or with --node one ONNX Conv as a kernel spec (src/onnx). A bad model or argument is one line, exit 2, and nothing
 * is written.
 */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { InputError } from '../errors.ts';
import { checkOutputFolder } from '../files/write.ts';
import { importOnnx, readModelFile, writeImport, type FloatTypeName } from '../onnx/index.ts';
import { importOnnxNetwork } from '../onnx/net/index.ts';
import { buildNetwork } from '../network/network.ts';
import { writeNetwork } from '../network/write.ts';
import { readNpy } from '../npy/index.ts';
import { describeNetwork, importTfliteCommand, isTfliteFile } from './network.ts';

function numbers(name: string, count: number, integer: boolean) {
  return (v: string): number[] => {
    const parts = v.split(',').map((s) => s.trim());
    const ok = parts.length === count && parts.every((s) => (integer ? /^[1-9]\d*$/ : /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i).test(s));
    if (!ok) throw new InvalidArgumentError(`${name} takes ${count} ${integer ? 'positive integers' : 'numbers'} separated by commas`);
    return parts.map(Number);
  };
}

function floatType(v: string): FloatTypeName {
  if (v !== 'q7' && v !== 'q15' && v !== 'q31') throw new InvalidArgumentError('--type is one of q7, q15, q31');
  return v;
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('a .tflite or ONNX model: write its network spec and .npy constants (ONNX: --calibrate for int8 ranges; --node NAME: one Conv as a kernel spec)')
    .argument('<model>', 'TensorFlow Lite model (.tflite) or ONNX model (.onnx)')
    .requiredOption('-o, --out <dir>', 'output folder for the specs and .npy files')
    .option('--calibrate <npy>', 'ONNX: calibration inputs (N samples, as the model takes them: NCHW) for the int8 activation ranges')
    .option('--node <name>', 'ONNX: import only this Conv node, as a kernel spec (the one-layer import)')
    .option('--input-shape <c,h,w>', "ONNX: the model input's channels, height and width (with --node: that Conv's input)", numbers('--input-shape', 3, true))
    .option('--input-range <lo,hi>', 'ONNX: with --node, the real input range of a float Conv (default -1,1); without, the range guessed inputs are drawn from when there is no --calibrate', numbers('--input-range', 2, false))
    .option('--type <t>', 'ONNX: a whole graph in Q formats, q7 or q15 (default int8); with --node the storage type of a float Conv: q7, q15 (default), q31', floatType)
    .action((model: string, o: { out: string; calibrate?: string; node?: string; inputShape?: number[]; inputRange?: number[]; type?: FloatTypeName }) => {
      checkOutputFolder(o.out);
      if (isTfliteFile(model)) {
        const onnxOnly = (['node', 'inputShape', 'inputRange', 'calibrate', 'type'] as const).find((k) => o[k] !== undefined);
        if (onnxOnly) throw new InputError(`--${onnxOnly.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, 'is for ONNX models; a .tflite model is imported whole, already quantized');
        return importTfliteCommand(model, o.out);
      }
      if (o.inputRange && !(o.inputRange[0] < o.inputRange[1])) throw new InputError('--input-range', `lo (${o.inputRange[0]}) must be below hi (${o.inputRange[1]})`);
      if (o.node === undefined) return importOnnxNetworkCommand(model, o);
      if (o.calibrate !== undefined) throw new InputError('--calibrate', 'is for the whole-graph import; --node imports one Conv as a kernel spec with Q formats');
      const type = o.type ?? 'q15';
      const result = importOnnx(readModelFile(model), model, {
        node: o.node,
        inputShape: o.inputShape as [number, number, number] | undefined,
        inputRange: o.inputRange as [number, number] | undefined,
        type,
      });
      const written = writeImport(result, o.out);
      result.layers.forEach((l, i) => {
        const numeric = l.kind === 'int8' ? 'int8' : `${type} (auto)`;
        console.log(`wrote ${written[i]}: ${l.onnxName || l.name} (${l.ops}), (${l.inputShape.join(', ')}) -> (${l.outputShape.join(', ')}), ${numeric}`);
        for (const note of l.notes) console.log(`note  ${l.name}: ${note}`);
      });
      for (const note of result.notes) console.log(`note  ${note}`);
    });
}

/**
 * The whole graph as an int8 network spec. Everything is computed and the network built (every layer checked as
 * TFLite Micro would) before anything is written.
 */
function importOnnxNetworkCommand(model: string, o: { out: string; calibrate?: string; inputShape?: number[]; inputRange?: number[]; type?: FloatTypeName }): void {
  if (o.calibrate !== undefined && o.inputRange)
    throw new InputError('--input-range', 'is for guessed ranges; with --calibrate the samples give every range');
  if (o.type === 'q31')
    throw new InputError('--type', 'q31 networks are not implemented; a whole ONNX graph imports as int8 (default), q7 or q15 (one Q format per tensor)');
  const calibration = o.calibrate ? { file: o.calibrate, array: readNpy(o.calibrate) } : undefined;
  const r = importOnnxNetwork(readModelFile(model), model, {
    inputShape: o.inputShape, calibration, inputRange: o.inputRange as [number, number] | undefined, type: o.type,
  });
  const net = buildNetwork(r.imported.spec, model, (ref, where) => {
    const a = r.imported.arrays.get(ref.npy);
    if (!a) throw new InputError(where, `constant ${ref.npy} is missing`);
    return a;
  });
  for (const w of r.warnings) console.error(`convgen: warning: ${model}: ${w}`);
  // The source as a path from the spec's folder: `convgen quantize` finds the float model there (its sha256 checked).
  r.imported.spec.source = { ...r.imported.spec.source!, file: path.relative(path.resolve(o.out), path.resolve(model)) };
  const file = writeNetwork(r.imported, o.out);
  console.log(`wrote ${file}: ${net.layers.length} layers, ${r.imported.arrays.size} constant files beside it`);
  for (const line of describeNetwork(net)) console.log(line);
  for (const n of r.notes) console.log(`note       ${n}`);
}
