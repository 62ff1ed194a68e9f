/**
 * `convgen quantize NET --data` and `convgen golden NET` on a network imported from ONNX, through the CLI: the
 * report and its JSON, labels, the float model found from the spec's source (its sha256 checked), NCHW float samples
 * for golden; bad input is one line, exit 2, nothing written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { readNpy, writeNpyAtomic } from '../../src/npy/index.ts';
import { loadNetwork } from '../../src/network/load.ts';
import { runNetwork } from '../../src/network/golden.ts';
import { networkInput } from '../../src/onnx/net/layout.ts';
import { make } from '../../src/onnx/eval/tensor.ts';
import { cliSandbox, fixtures } from '../helpers.ts';
import { attr, DT, model, node, tensor, value, values } from './models.ts';

const io = cliSandbox('convgen-onnx-quantize-');

/** Conv 3×3 + Relu, global average pool, flatten, a 3-class classifier; samples and labels beside it. */
async function imported(type?: 'q7' | 'q15'): Promise<{ net: string; data: string; onnx: string }> {
  const d = io.dir;
  const onnx = path.join(d, 'small.onnx');
  fs.writeFileSync(onnx, model({
    nodes: [node('Conv', ['x', 'w', 'b'], ['c'], '/c/Conv', [attr.ints('pads', [1, 1, 1, 1])]), node('Relu', ['c'], ['r'], '/c/Relu'),
      node('GlobalAveragePool', ['r'], ['g'], '/gap'), node('Flatten', ['g'], ['f'], '/flatten'), node('Gemm', ['f', 'fw', 'fb'], ['y'], '/fc/Gemm', [attr.int('transB', 1)])],
    initializers: [tensor('w', DT.FLOAT, [4, 2, 3, 3], values(72, 1, -0.5, 0.5)), tensor('b', DT.FLOAT, [4], values(4, 2, -0.1, 0.1)),
      tensor('fw', DT.FLOAT, [3, 4], values(12, 3, -1, 1)), tensor('fb', DT.FLOAT, [3], [0, 0.1, -0.1])],
    inputs: [value('x', DT.FLOAT, ['n', 2, 6, 6])], outputs: [value('y', DT.FLOAT, ['n', 3])],
  }));
  const data = path.join(d, 'data.npy');
  writeNpyAtomic(data, { dtype: 'float32', shape: [12, 2, 6, 6], data: Float32Array.from(values(12 * 72, 9, -1, 1)) });
  expect(await main(['import', onnx, '-o', path.join(d, 'net'), '--calibrate', data, ...(type ? ['--type', type] : [])])).toBe(0);
  io.out.length = 0;
  return { net: path.join(d, 'net', 'small.json'), data, onnx };
}

describe('a q15 network through the CLI', () => {
  it('quantize reports it in its formats; golden and run (host) write the same int16 outputs', async () => {
    const { net, data } = await imported('q15');
    expect(await main(['quantize', net, '--data', data])).toBe(0);
    expect(io.out[1]).toMatch(/the network's golden model on the same samples, in its q15 formats/);
    expect(io.out.slice(3, 7).map((l) => l.split(/ +/).slice(0, 2))).toEqual([['c_conv', 'conv_2d'], ['gap', 'average_pool_2d'], ['flatten', 'reshape'], ['fc_gemm', 'fully_connected']]);
    const snr = Number(/output +y: ([\d.]+) dB/.exec(io.out.join('\n'))![1]);
    expect(snr).toBeGreaterThan(60);
    const [g, r] = [path.join(io.dir, 'g.npy'), path.join(io.dir, 'r.npy')];
    expect(await main(['golden', net, '--input', data, '--output', g])).toBe(0);
    expect(await main(['run', net, '--target', 'host', '--input', data, '--output', r])).toBe(0);
    const [a, b] = [readNpy(g), readNpy(r)];
    expect([a.dtype, a.shape]).toEqual(['int16', [12, 3]]);
    expect(Array.from(b.data as Int16Array)).toEqual(Array.from(a.data as Int16Array));
    const n = loadNetwork(net);
    const x = readNpy(data).data as Float32Array;
    const want = Array.from({ length: 12 }, (_, k) => Array.from(runNetwork(n, [networkInput(n.tensors.get(n.inputs[0])!, make([1, 2, 6, 6], Float64Array.from(x.subarray(k * 72, (k + 1) * 72))))]).outputs[0])).flat();
    expect(Array.from(a.data as Int16Array)).toEqual(want);
  }, 60_000);
});

describe('a q15 network and a board image', () => {
  it('s3c2410 (a built-in int8 input) is refused in one line, nothing written', async () => {
    const { net } = await imported('q15');
    const out = path.join(io.dir, 'board');
    expect(await main(['build', net, '--target', 's3c2410', '-o', out])).toBe(2);
    expect(io.err.at(-1)).toBe(`convgen: ${net}: s3c2410's board image runs a built-in int8 input; this network is q15 (prove it on arm920t)`);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('convgen quantize NET --data', () => {
  it('prints the per-layer table, the worst layer and top-1, and writes the same as JSON', async () => {
    const { net, data } = await imported();
    const labels = path.join(io.dir, 'labels.npy');
    writeNpyAtomic(labels, { dtype: 'int32', shape: [12], data: Int32Array.from({ length: 12 }, (_, i) => i % 3) });
    const json = path.join(io.dir, 'r.json');
    expect(await main(['quantize', net, '--data', data, '--labels', labels, '--json', json])).toBe(0);
    expect(io.out[2]).toMatch(/^layer +op +SNR dB +max \|err\| +RMS err +max \|ref\|$/);
    expect(io.out.slice(3, 7).map((l) => l.split(/ +/).slice(0, 2))).toEqual([['c_conv', 'conv_2d'], ['gap', 'mean'], ['flatten', 'reshape'], ['fc_gemm', 'fully_connected']]);
    expect(io.out.join('\n')).toMatch(/top-1 +\d+ of 12 agree with the float model/);
    expect(io.out.join('\n')).toMatch(/accuracy +float [\d.]+%, int8 [\d.]+% on 12 labels/);
    const r = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(r.samples).toBe(12);
    expect(r.layers.map((l: { reference: string }) => l.reference)).toEqual(['r', 'g', 'f', 'y']);
    expect(r.worst.layer).toBe(r.layers.reduce((w: { snrDb: number }, l: { snrDb: number }) => (l.snrDb < w.snrDb ? l : w)).layer);
    expect(r.top1.total).toBe(12);
    expect(r.accuracy.labels).toBe(12);
  });

  const bad: [string, (f: { net: string; data: string; onnx: string }) => string[], RegExp][] = [
    ['no --data', (f) => [f.net], /--data: is required for a network/],
    ['--samples on a network', (f) => [f.net, '--data', f.data, '--samples', '3'], /--samples: is for kernel specs/],
    ['samples of another shape', (f) => {
      const x = path.join(io.dir, 'x.npy');
      writeNpyAtomic(x, { dtype: 'float32', shape: [2, 6, 6, 2], data: new Float32Array(144) });
      return [f.net, '--data', x];
    }, /x\.npy: has shape \(2, 6, 6, 2\); the model input takes \(N, 2, 6, 6\)/],
    ['labels of another count', (f) => {
      const l = path.join(io.dir, 'l.npy');
      writeNpyAtomic(l, { dtype: 'int32', shape: [3], data: Int32Array.from([0, 1, 2]) });
      return [f.net, '--data', f.data, '--labels', l];
    }, /l\.npy: holds 3 labels for 12 samples/],
    ['a label outside the classes', (f) => {
      const l = path.join(io.dir, 'l.npy');
      writeNpyAtomic(l, { dtype: 'int32', shape: [12], data: Int32Array.from({ length: 12 }, (_, i) => (i === 5 ? 3 : 0)) });
      return [f.net, '--data', f.data, '--labels', l];
    }, /l\.npy: label 5 is 3, outside the 3 classes 0…2/],
    ['float labels', (f) => {
      const l = path.join(io.dir, 'l.npy');
      writeNpyAtomic(l, { dtype: 'float32', shape: [12], data: new Float32Array(12) });
      return [f.net, '--data', f.data, '--labels', l];
    }, /l\.npy: has dtype float32; labels are integers/],
    ['another model as --float', (f) => {
      const other = path.join(io.dir, 'other.onnx');
      fs.writeFileSync(other, Buffer.concat([fs.readFileSync(f.onnx), Buffer.from([0])]));
      return [f.net, '--data', f.data, '--float', other];
    }, /other\.onnx: is not the model small was imported from \(its sha256 differs from the spec's source \.\.\/small\.onnx\)/],
    ['the source model moved away', (f) => {
      fs.renameSync(f.onnx, path.join(io.dir, 'moved.onnx'));
      return [f.net, '--data', f.data];
    }, /--float: give the ONNX model small was imported from \(.*small\.onnx, the spec's source, is not there\)/],
    ['a .tflite model', (f) => [path.join(fixtures, 'models', 'kws_ref_model', 'kws_ref_model.tflite'), '--data', f.data],
      /kws_ref_model\.tflite: the accuracy report compares a network with the float ONNX model it was imported from; a \.tflite model has none/],
  ];
  for (const [what, args, message] of bad) {
    it(`refuses ${what}: one line, exit 2, no JSON written`, async () => {
      const f = await imported();
      const json = path.join(io.dir, 'r.json');
      expect(await main(['quantize', ...args(f), '--json', json])).toBe(2);
      expect(io.err).toHaveLength(1);
      expect(io.err[0]).toMatch(/^convgen: /);
      expect(io.err[0]).toMatch(message);
      expect(fs.existsSync(json)).toBe(false);
    });
  }

  it('refuses --data on a kernel spec', async () => {
    const spec = path.join(io.dir, 'k.json');
    fs.writeFileSync(spec, JSON.stringify({ name: 'k', input: { channels: 1, height: 3, width: 3 }, output: { channels: 1 }, kernel: 1,
      numeric: { type: 'q15', inputFrac: 12, weightFrac: 12, outputFrac: 12 }, weights: { values: [0.5] } }));
    expect(await main(['quantize', spec, '--data', 'x.npy'])).toBe(2);
    expect(io.err).toEqual(['convgen: --data: is for network specs; a kernel spec is measured on random inputs in its range']);
  });
});

describe('convgen golden on a network imported from ONNX', () => {
  it('takes NCHW float samples, transposes and quantizes them as the caller would: the same as the int8 NHWC input', async () => {
    const { net, data } = await imported();
    const outF = path.join(io.dir, 'of.npy');
    expect(await main(['golden', net, '--input', data, '--output', outF])).toBe(0);
    const n = loadNetwork(net);
    const t = n.tensors.get(n.inputs[0])!;
    const x = readNpy(data).data as Float32Array;
    const want = Array.from({ length: 12 }, (_, k) => Array.from(runNetwork(n, [networkInput(t, make([1, 2, 6, 6], Float64Array.from(x.subarray(k * 72, (k + 1) * 72))))]).outputs[0])).flat();
    expect(readNpy(outF)).toMatchObject({ dtype: 'int8', shape: [12, 3] });
    expect(Array.from(readNpy(outF).data as Int8Array)).toEqual(want);
    // a channels-last float array is refused rather than misread
    const hwc = path.join(io.dir, 'hwc.npy');
    writeNpyAtomic(hwc, { dtype: 'float32', shape: [1, 6, 6, 2], data: new Float32Array(72) });
    expect(await main(['golden', net, '--input', hwc, '--output', outF])).toBe(2);
    expect(io.err.at(-1)).toMatch(/hwc\.npy: expected float samples as the ONNX model takes them, \(N, 2, 6, 6\) \(NCHW\), found \(1, 6, 6, 2\)/);
  });

  it('says when float samples saturate (a warning), and refuses them with --strict, as for a kernel spec', async () => {
    const { net } = await imported();
    const outF = path.join(io.dir, 'sat.npy');
    const big = path.join(io.dir, 'big.npy');
    const x = new Float32Array(72).fill(0.01);
    x[5] = 1e6;
    x[9] = -1e6;
    writeNpyAtomic(big, { dtype: 'float32', shape: [1, 2, 6, 6], data: x });
    io.err.length = 0;
    expect(await main(['golden', net, '--input', big, '--output', outF])).toBe(0);
    expect(io.err).toHaveLength(1);
    expect(io.err[0]).toMatch(/^convgen: warning: .*big\.npy: 2 of 72 float values saturated: outside the input's range /);
    fs.rmSync(outF);
    io.err.length = 0;
    expect(await main(['golden', net, '--input', big, '--output', outF, '--strict'])).toBe(2);
    expect(io.err).toHaveLength(1);
    expect(io.err[0]).toMatch(/big\.npy: --strict: 2 of 72 float values saturated/);
    expect(fs.existsSync(outF)).toBe(false);
  });
});
