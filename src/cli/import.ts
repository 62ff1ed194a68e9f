/**
 * `convgen import MODEL.onnx -o DIR`: one spec (and its .npy weights) per Conv node of an ONNX model (src/onnx).
 * Prints one line per spec written; a bad model or argument is one line, exit 2, and nothing is written.
 */
import fs from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { InputError } from '../errors.ts';
import { importOnnx, readModelFile, writeImport, type FloatTypeName } from '../onnx/index.ts';
import { importTfliteCommand, isTfliteFile } from './network.ts';

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
    .description('a .tflite model: write its network spec and .npy constants; an ONNX model: a kernel spec and .npy weights per Conv node')
    .argument('<model>', 'TensorFlow Lite model (.tflite) or ONNX model (.onnx)')
    .requiredOption('-o, --out <dir>', 'output folder for the specs and .npy files')
    .option('--node <name>', 'import only this Conv node')
    .option('--input-shape <c,h,w>', "the model input's channels, height and width (with --node: that Conv's input)", numbers('--input-shape', 3, true))
    .option('--input-range <lo,hi>', 'real range of the input of float Convs (default -1,1)', numbers('--input-range', 2, false))
    .option('--type <t>', 'storage type of float Convs: q7, q15, q31', floatType, 'q15')
    .action((model: string, o: { out: string; node?: string; inputShape?: number[]; inputRange?: number[]; type: FloatTypeName }) => {
      if (fs.existsSync(o.out) && !fs.statSync(o.out).isDirectory()) throw new InputError(o.out, 'the output folder exists and is not a folder');
      if (isTfliteFile(model)) {
        const onnxOnly = (['node', 'inputShape', 'inputRange'] as const).find((k) => o[k] !== undefined);
        if (onnxOnly) throw new InputError(`--${onnxOnly.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, 'is for ONNX models; a .tflite model is imported whole');
        return importTfliteCommand(model, o.out);
      }
      if (o.inputRange && !(o.inputRange[0] < o.inputRange[1])) throw new InputError('--input-range', `lo (${o.inputRange[0]}) must be below hi (${o.inputRange[1]})`);
      const result = importOnnx(readModelFile(model), model, {
        node: o.node,
        inputShape: o.inputShape as [number, number, number] | undefined,
        inputRange: o.inputRange as [number, number] | undefined,
        type: o.type,
      });
      const written = writeImport(result, o.out);
      result.layers.forEach((l, i) => {
        const numeric = l.kind === 'int8' ? 'int8' : `${o.type} (auto)`;
        console.log(`wrote ${written[i]}: ${l.onnxName || l.name} (${l.ops}), (${l.inputShape.join(', ')}) -> (${l.outputShape.join(', ')}), ${numeric}`);
        for (const note of l.notes) console.log(`note  ${l.name}: ${note}`);
      });
      for (const note of result.notes) console.log(`note  ${note}`);
    });
}
