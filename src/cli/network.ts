/**
 * The CLI's network commands: `import MODEL.tflite -o DIR` and `golden NET.json|MODEL.tflite` (generate, build, test
 * and run: network-commands.ts; bench: bench.ts).
 */
import path from 'node:path';
import { InputError } from '../errors.ts';
import { readNpy, writeNpyAtomic, type NpyArray } from '../npy/index.ts';
import { quantizeInt8 } from '../numerics/index.ts';
import { runNetwork } from '../network/golden.ts';
import { isNetworkFile, loadNetwork, readModelBytes } from '../network/load.ts';
import { buildNetwork, type Network, type NetworkTensor } from '../network/network.ts';
import { encodeNpy } from '../npy/index.ts';
import { elements } from '../ops/op.ts';
import { importTflite } from '../tflite/import.ts';
import { writeNetwork } from '../network/write.ts';
import { writeOutputFolder } from '../files/write.ts';
import { planMemory } from '../network/plan.ts';
import { networkInput } from '../onnx/net/layout.ts';
import { DataType } from '../onnx/proto.ts';
import type { FTensor } from '../onnx/eval/tensor.ts';

export { isNetworkFile };

/** A command given kernel specs and networks together: one line, exit 2 (each kind runs in its own command). */
export function refuseMixed(files: string[], command: string): boolean {
  const nets = files.filter(isNetworkFile);
  if (nets.length && nets.length !== files.length)
    throw new InputError(files.find((f) => !isNetworkFile(f))!, `convgen ${command} takes kernel specs or networks, not both in one run`);
  return nets.length > 0;
}

export function isTfliteFile(file: string): boolean {
  return file.toLowerCase().endsWith('.tflite');
}

export function importTfliteCommand(model: string, out: string): void {
  const imported = importTflite(readModelBytes(model), model);
  // Built before anything is written: a layer TFLite Micro would refuse (say, a softmax output not at scale 1/256)
  // fails here and leaves no files.
  const net = buildNetwork(imported.spec, model, (ref, where) => {
    const a = imported.arrays.get(ref.npy);
    if (!a) throw new InputError(where, `constant ${ref.npy} is missing`);
    return a;
  });
  const file = writeNetwork(imported, out);
  console.log(`wrote ${file}: ${net.layers.length} layers, ${imported.arrays.size} constant files beside it`);
  for (const line of describeNetwork(net)) console.log(line);
}

/** A few lines about a network: each layer with its op, shapes and MACs; the memory plan. */
/** The first line of generate and build: which model, how many layers, its int8 input and output. */
export function networkHeadLine(net: Network): string {
  const io = (ts: string[]) => ts.map((t) => `${t} [${net.tensors.get(t)!.shape.join(', ')}]`).join(' + ');
  return `network    ${net.source}: ${net.layers.length} layers, int8 input ${io(net.inputs)} -> output ${io(net.outputs)}`;
}

export function describeNetwork(net: Network): string[] {
  const shape = (t: string) => `[${net.tensors.get(t)!.shape.join(', ')}]`;
  const lines = net.layers.map((l) =>
    `layer      ${l.name.padEnd(22)} ${l.inputs.map(shape).join(' + ')} -> ${shape(l.outputs[0])}${l.macs ? `, ${l.macs} MACs` : ''}` +
    `${l.from?.includes('fused') ? ' (PAD fused)' : ''}`);
  const plan = planMemory(net);
  const macs = net.layers.reduce((a, l) => a + l.macs, 0);
  lines.push(`work       ${macs} MACs per inference`);
  lines.push(`memory     arena ${plan.arenaBytes} B (inputs and outputs in the caller's buffers; largest live input+output pair ${plan.pairBound} B at ${plan.pairBoundLayer})`);
  for (const t of [...net.inputs, ...net.outputs]) {
    const x = net.tensors.get(t)!;
    if (x.callerConverts) {
      const nchw = x.sourceLayout === 'nchw' ? (x.callerConverts === 'quantize' ? 'transposes NCHW to NHWC and ' : 'transposes NHWC to NCHW and ') : '';
      lines.push(`note       ${t}: the caller ${nchw}${x.callerConverts}s with scale ${x.scale}, zero point ${x.zeroPoint}`);
    }
  }
  for (const n of net.notes) lines.push(`note       ${n}`);
  return lines;
}

/**
 * Read the network's input: its int8 tensor, or a batch of N of them (shape [N, ...] where the model's batch is 1).
 * A float .npy is accepted where the model's float input was quantized by a QUANTIZE that the caller now applies.
 */
export function readNetworkInput(t: NetworkTensor, file: string): { samples: Int8Array[]; batched: boolean } {
  const fits = (shape: number[]) => {
    const exact = shape.length === t.shape.length && shape.every((n, i) => n === t.shape[i]);
    const batched = !exact && t.shape[0] === 1 && shape.length === t.shape.length && shape.slice(1).every((n, i) => n === t.shape[i + 1]);
    return { exact, batched };
  };
  // An input imported from ONNX takes float samples in the model's layout, (N, C, H, W).
  const nchw = t.callerConverts === 'quantize' && t.sourceLayout === 'nchw';
  const floatType = (d: string) => d === 'float32' || d === 'float64';
  // The shape is checked on the header, before the data is read.
  const arr = readNpy(file, {
    maxElements: 2 ** 26,
    check: (h) => {
      if (nchw && floatType(h.dtype)) return checkNchwShape(t, h.shape, file);
      const f = fits(h.shape);
      if (!f.exact && !f.batched)
        throw new InputError(file, `expected shape (${t.shape.join(', ')}) (or a batch (N, ${t.shape.slice(1).join(', ')})), found (${h.shape.join(', ')})`);
    },
  });
  const isFloat = floatType(arr.dtype);
  if (isFloat && nchw) return readNchwInput(t, arr, file);
  const { exact, batched } = fits(arr.shape);
  if (isFloat && t.callerConverts !== 'quantize')
    throw new InputError(file, `found dtype ${arr.dtype}; the network's input ${t.name} is int8 (raw quantized values)`);
  const values = Int8Array.from(arr.data as ArrayLike<number | bigint>, (v, i) => {
    const n = Number(v);
    if (isFloat) {
      if (!Number.isFinite(n)) throw new InputError(file, `element ${i} is ${n}; values must be finite`);
      return quantizeInt8(n, t.scale, t.zeroPoint);
    }
    if (n < -128 || n > 127) throw new InputError(file, `element ${i} is ${n}, outside int8 (−128…127)`);
    return n;
  });
  const size = elements(t.shape.slice(1)) * (exact ? t.shape[0] : 1);
  const count = values.length / size;
  return { samples: Array.from({ length: count }, (_, k) => values.subarray(k * size, (k + 1) * size)), batched };
}

/**
 * Float samples of an input imported from ONNX: in the model's layout, (N, C, H, W), transposed to the network's NHWC
 * and quantized as TFLite does (the caller's conversion).
 */
function checkNchwShape(t: NetworkTensor, shape: number[], file: string): void {
  const [n, h, w, c] = t.shape;
  const exact = shape.length === 4 && [n, c, h, w].every((d, i) => d === shape[i]);
  const batched = n === 1 && shape.length === 4 && [c, h, w].every((d, i) => d === shape[i + 1]);
  if (!exact && !batched)
    throw new InputError(file, `expected float samples as the ONNX model takes them, (N, ${c}, ${h}, ${w}) (NCHW), found (${shape.join(', ')})`);
}

function readNchwInput(t: NetworkTensor, arr: NpyArray, file: string): { samples: Int8Array[]; batched: boolean } {
  const [, h, w, c] = t.shape;
  const data = arr.data as ArrayLike<number>;
  const size = c * h * w;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) throw new InputError(file, `element ${i} is ${data[i]}; values must be finite`);
  const count = data.length / size;
  const samples = Array.from({ length: count }, (_, k) => {
    const x: FTensor = { dims: [1, c, h, w], data: Float64Array.from({ length: size }, (_, i) => data[k * size + i]), type: DataType.FLOAT };
    return networkInput(t, x);
  });
  return { samples, batched: arr.shape[0] !== t.shape[0] };
}

/** TFLM dumps' file name for a tensor: t<index>_<name with other characters than [A-Za-z0-9.-] as _, 64 at most>. */
export function intermediateName(t: NetworkTensor): string {
  if (t.tfliteIndex === undefined) return `${t.name}.npy`;
  return `t${t.tfliteIndex}_${(t.sourceName ?? t.name).replace(/[^A-Za-z0-9.-]+/g, '_').slice(0, 64).replace(/^_+|_+$/g, '')}.npy`;
}

export function networkGolden(file: string, o: { input: string; output: string; intermediates?: string; root?: string }): void {
  const net = loadNetwork(file, o.root);
  if (net.inputs.length !== 1 || net.outputs.length !== 1)
    throw new InputError(file, `convgen golden takes one input and one output tensor; this network has ${net.inputs.length} and ${net.outputs.length}`);
  const input = net.tensors.get(net.inputs[0])!;
  const output = net.tensors.get(net.outputs[0])!;
  const { samples, batched } = readNetworkInput(input, o.input);
  const runs = samples.map((s) => runNetwork(net, [s]));
  const stack = (t: NetworkTensor, values: Int8Array[]): NpyArray => {
    const data = new Int8Array(values.reduce((a, v) => a + v.length, 0));
    let at = 0;
    for (const v of values) { data.set(v, at); at += v.length; }
    return { dtype: 'int8', shape: batched ? [values.length, ...t.shape.slice(1)] : [...t.shape], data };
  };
  if (o.intermediates) {
    const files = [...net.tensors.values()].filter((t) => runs[0].tensors.has(t.name))
      .map((t) => ({ name: intermediateName(t), content: encodeNpy(stack(t, runs.map((r) => r.tensors.get(t.name)!))) }));
    writeOutputFolder(o.intermediates, files);
    console.log(`wrote ${files.length} tensors into ${o.intermediates}`);
  }
  writeNpyAtomic(o.output, stack(output, runs.map((r) => r.outputs[0])));
  console.log(`wrote ${o.output} (${batched ? `${runs.length} x ` : ''}${output.shape.join('x')} int8, tensor ${output.name} of ${path.basename(file)})`);
}
