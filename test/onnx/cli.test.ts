import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { cliSandbox } from '../helpers.ts';
import { writeNpyAtomic } from '../../src/npy/index.ts';
import { attr, DT, model, node, tensor, value, values } from './models.ts';

// commander writes its own messages (bad option values) to stderr directly: captured too.
const io = cliSandbox('convgen-import-', { stderrWrites: true });
const { out, err } = io;

/** Conv -> BatchNormalization -> Relu, then a second Conv; the model input's height and width are symbolic. */
function twoLayer(): string {
  const bytes = model({
    nodes: [
      node('Conv', ['x', 'w1'], ['c1'], '/conv1/Conv', [attr.ints('pads', [1, 1, 1, 1])]),
      node('BatchNormalization', ['c1', 's', 'b', 'mu', 'v'], ['n1'], '/bn1/BatchNormalization'),
      node('Relu', ['n1'], ['r1'], '/relu/Relu'),
      node('Conv', ['r1', 'w2', 'b2'], ['y'], '/conv2/Conv', [attr.ints('strides', [2, 2])]),
    ],
    initializers: [tensor('w1', DT.FLOAT, [4, 3, 3, 3], values(108, 1)), tensor('s', DT.FLOAT, [4], values(4, 2, 0.5, 1.5)),
      tensor('b', DT.FLOAT, [4], values(4, 3)), tensor('mu', DT.FLOAT, [4], values(4, 4)), tensor('v', DT.FLOAT, [4], values(4, 5, 0.5, 2)),
      tensor('w2', DT.FLOAT, [2, 4, 1, 1], values(8, 6)), tensor('b2', DT.FLOAT, [2], values(2, 7))],
    inputs: [value('x', DT.FLOAT, ['batch', 3, 'height', 'width'])], outputs: [value('y', DT.FLOAT, ['batch', 2, 'h', 'w'])],
  });
  const file = path.join(io.dir, 'model.onnx');
  fs.writeFileSync(file, bytes);
  return file;
}

/** Conv (2 output channels, 1x1) -> BatchNormalization, with the tensors a case wants to spoil. */
function oneConv(o: { weights?: number[]; bias?: number[]; variance?: number[]; scale?: number[]; epsilon?: number }): string {
  const bytes = model({
    nodes: [
      node('Conv', ['x', 'w', 'b'], ['c'], 'conv'),
      node('BatchNormalization', ['c', 's', 'bb', 'mu', 'v'], ['y'], 'bn', [attr.float('epsilon', o.epsilon ?? 1e-5)]),
    ],
    initializers: [tensor('w', DT.FLOAT, [2, 1, 1, 1], o.weights ?? [0.5, -0.25]), tensor('b', DT.FLOAT, [2], o.bias ?? [0.1, 0.2]),
      tensor('s', DT.FLOAT, [2], o.scale ?? [1, 1]), tensor('bb', DT.FLOAT, [2], [0, 0]), tensor('mu', DT.FLOAT, [2], [0, 0]),
      tensor('v', DT.FLOAT, [2], o.variance ?? [1, 1])],
    inputs: [value('x', DT.FLOAT, [1, 1, 'h', 'w'])], outputs: [value('y', DT.FLOAT, [1, 2, 'h', 'w'])],
  });
  const file = path.join(io.dir, 'm.onnx');
  fs.writeFileSync(file, bytes);
  return file;
}

describe('convgen import (CLI)', () => {
  it('--node: writes one Conv as a kernel spec and prints one line, as the one-layer import always did', async () => {
    const file = twoLayer();
    const specs = path.join(io.dir, 'specs');
    expect(await main(['import', file, '--node', '/conv1/Conv', '-o', specs, '--input-shape', '3,16,12', '--input-range', '-2,2', '--type', 'q7'])).toBe(0);
    expect(await main(['import', file, '--node', 'conv2_conv', '-o', specs, '--input-shape', '4,16,12', '--input-range', '-2,2', '--type', 'q7'])).toBe(0);
    expect(err).toEqual([]);
    expect(fs.readdirSync(specs).sort()).toEqual(['conv1_conv.bias.npy', 'conv1_conv.json', 'conv1_conv.weights.npy',
      'conv2_conv.bias.npy', 'conv2_conv.json', 'conv2_conv.weights.npy']);
    expect(out[0]).toBe(`wrote ${path.join(specs, 'conv1_conv.json')}: /conv1/Conv (Conv + BatchNormalization + Relu), (3, 16, 12) -> (4, 16, 12), q7 (auto)`);
    expect(out[1]).toMatch(/input range \[-2, 2\] \(--input-range\)/);
    expect(out[2]).toBe(`wrote ${path.join(specs, 'conv2_conv.json')}: /conv2/Conv (Conv), (4, 16, 12) -> (2, 8, 6), q7 (auto)`);
    const spec = JSON.parse(fs.readFileSync(path.join(specs, 'conv2_conv.json'), 'utf8'));
    expect(spec.numeric).toEqual({ type: 'q7', inputRange: [-2, 2], weightFrac: 'auto', outputFrac: 'auto' });
  });

  it('without --node: the whole graph as one int8 network spec, the guessed ranges said on stderr', async () => {
    const specs = path.join(io.dir, 'net');
    expect(await main(['import', twoLayer(), '-o', specs, '--input-shape', '3,16,12'])).toBe(0);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^convgen: warning: .*model\.onnx: no --calibrate data: the 3 activation ranges are guessed from 32 random inputs normal with mean 0 and standard deviation 1/);
    expect(fs.readdirSync(specs).sort()).toEqual(['conv1_conv_bias.npy', 'conv1_conv_weights.npy', 'conv2_conv_bias.npy', 'conv2_conv_weights.npy', 'model.json']);
    expect(out[0]).toBe(`wrote ${path.join(specs, 'model.json')}: 2 layers, 4 constant files beside it`);
    const spec = JSON.parse(fs.readFileSync(path.join(specs, 'model.json'), 'utf8'));
    expect(spec.layers.map((l: { op: string; params: { activation: string } }) => [l.op, l.params.activation])).toEqual([['conv_2d', 'relu'], ['conv_2d', 'none']]);
    expect(spec.layers[0].from).toBe("Conv '/conv1/Conv' + BatchNormalization '/bn1/BatchNormalization' + Relu '/relu/Relu'");
  });

  it('without --node: --type q7 writes a Q-format network (a format per tensor, int8 weights with theirs); q31 is refused', async () => {
    const specs = path.join(io.dir, 'n');
    expect(await main(['import', twoLayer(), '-o', specs, '--input-shape', '3,8,8', '--type', 'q7'])).toBe(0);
    const spec = JSON.parse(fs.readFileSync(path.join(specs, 'model.json'), 'utf8'));
    expect(spec.numeric).toBe('q7');
    for (const t of Object.values(spec.tensors) as { frac: number; scale: number; zeroPoint: number }[]) {
      expect(Number.isInteger(t.frac)).toBe(true);
      expect([t.scale, t.zeroPoint]).toEqual([2 ** -t.frac, 0]);
    }
    expect(spec.layers.map((l: { params: { weights: { frac: number } } }) => typeof l.params.weights.frac)).toEqual(['number', 'number']);
    expect(out.some((l) => /^note       format conv1_conv: output -?\d+ fraction bits, weights \d+, bias \d+/.test(l))).toBe(true);
    expect(await main(['import', twoLayer(), '-o', path.join(io.dir, 'n31'), '--input-shape', '3,8,8', '--type', 'q31'])).toBe(2);
    expect(err.at(-1)).toBe('convgen: --type: q31 networks are not implemented; a whole ONNX graph imports as int8 (default), q7 or q15 (one Q format per tensor)');
    expect(fs.existsSync(path.join(io.dir, 'n31'))).toBe(false);
  });

  const cases: [string, () => string[], RegExp][] = [
    ['a file that is not ONNX', () => {
      fs.writeFileSync(path.join(io.dir, 'spec.onnx'), JSON.stringify({ name: 'k' }));
      return [path.join(io.dir, 'spec.onnx')];
    }, /spec\.onnx: not an ONNX model/],
    ['a truncated model', () => {
      const f = twoLayer();
      fs.writeFileSync(f, fs.readFileSync(f).subarray(0, 150));
      return [f, '--input-shape', '3,8,8'];
    }, /model\.onnx: not an ONNX model/],
    ['--node in a model without Conv nodes', () => {
      const f = path.join(io.dir, 'relu.onnx');
      fs.writeFileSync(f, model({ nodes: [node('Relu', ['x'], ['y'], 'r')], inputs: [value('x', DT.FLOAT, [1, 1, 2, 2])], outputs: [value('y', DT.FLOAT, [1, 1, 2, 2])] }));
      return [f, '--node', 'r'];
    }, /relu\.onnx: the model has no Conv or QLinearConv node \(its ops: Relu\)/],
    ['a missing file', () => [path.join(io.dir, 'none.onnx')], /none\.onnx: file not found/],
    ['an unknown node', () => [twoLayer(), '--node', '/conv3/Conv', '--input-shape', '3,8,8'],
      /--node: no Conv node '\/conv3\/Conv' in .*; its Conv nodes: '\/conv1\/Conv', '\/conv2\/Conv'/],
    ['a model input without fixed height and width', () => [twoLayer()],
      /model\.onnx: the model input 'x' has shape \(\?, 3, \?, \?\); give --input-shape C,H,W for the open dimensions/],
    ['--node on a model input without fixed height and width', () => [twoLayer(), '--node', '/conv1/Conv'],
      /Conv node '\/conv1\/Conv': the shape of its input 'x' is unknown \(the model input 'x' has no fixed shape\); give --input-shape C,H,W/],
    ['--calibrate with --node', () => [twoLayer(), '--node', '/conv1/Conv', '--calibrate', 'x.npy'], /--calibrate: is for the whole-graph import/],
    ['--calibrate samples of another shape', () => {
      const f = path.join(io.dir, 'cal.npy');
      writeNpyAtomic(f, { dtype: 'float32', shape: [4, 3, 8, 9], data: new Float32Array(4 * 3 * 8 * 9) });
      return [twoLayer(), '--input-shape', '3,8,8', '--calibrate', f];
    }, /cal\.npy: has shape \(4, 3, 8, 9\); the model input takes \(N, 3, 8, 8\): N samples as the model holds them \(NCHW\)/],
    ['--calibrate samples with a NaN', () => {
      const f = path.join(io.dir, 'cal.npy');
      writeNpyAtomic(f, { dtype: 'float32', shape: [2, 3, 8, 8], data: Float32Array.from({ length: 384 }, (_, i) => (i === 100 ? NaN : 0)) });
      return [twoLayer(), '--input-shape', '3,8,8', '--calibrate', f];
    }, /cal\.npy: element 100 is NaN; samples must be finite/],
    ['--input-range with --calibrate', () => {
      const f = path.join(io.dir, 'cal.npy');
      writeNpyAtomic(f, { dtype: 'float32', shape: [1, 3, 8, 8], data: new Float32Array(192) });
      return [twoLayer(), '--input-shape', '3,8,8', '--calibrate', f, '--input-range', '-1,1'];
    }, /--input-range: is for guessed ranges; with --calibrate the samples give every range/],
    ['a malformed --input-shape', () => [twoLayer(), '--input-shape', '3,16'], /--input-shape takes 3 positive integers/],
    ['an empty --input-range', () => [twoLayer(), '--input-shape', '3,8,8', '--input-range', '1,1'], /--input-range: lo \(1\) must be below hi \(1\)/],
    // Non-finite weights used to be written (NaN .npy files) with exit 0.
    ['a BatchNormalization whose var + epsilon is not positive', () => [oneConv({ variance: [0.5, -0.75] }), '--input-shape', '1,4,4'],
      /m\.onnx: BatchNormalization node 'bn': its var 'v' \+ epsilon is -0\.7\d+ for channel 1; it must be positive/],
    ['a NaN in the weights initializer', () => [oneConv({ weights: [0.5, NaN] }), '--input-shape', '1,4,4'],
      /m\.onnx: Conv node 'conv': its weights 'w' hold NaN at index 1; convgen needs finite numbers/],
    ['an infinite bias', () => [oneConv({ bias: [Infinity, 0] }), '--input-shape', '1,4,4'],
      /m\.onnx: Conv node 'conv': its bias 'b' hold Infinity at index 0; convgen needs finite numbers/],
    ['a fold that overflows float32', () => [oneConv({ variance: [1e-30, 1], epsilon: 0, scale: [1e30, 1] }), '--input-shape', '1,4,4'],
      /m\.onnx: BatchNormalization node 'bn': the folded weights hold [\d.e+]+, beyond float32 at index 0/],
  ];
  for (const [what, args, message] of cases) {
    it(`refuses ${what}: one line, exit 2, nothing written`, async () => {
      const specs = path.join(io.dir, 'out', 'specs');
      const before = fs.readdirSync(io.dir).sort();
      expect(await main(['import', ...args(), '-o', specs])).toBe(2);
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(/^convgen: /);
      expect(err[0]).toMatch(message);
      expect(err[0]).not.toMatch(/\n|    at /);
      expect(fs.existsSync(path.join(io.dir, 'out'))).toBe(false);
      expect(out).toEqual([]);
      // only the model the case wrote is in the folder: no temporary files
      expect(fs.readdirSync(io.dir).filter((f) => !before.includes(f) && !/\.(onnx|npy)$/.test(f))).toEqual([]);
    });
  }

  it('a given --input-shape that contradicts an inferred one is an error', async () => {
    expect(await main(['import', twoLayer(), '--node', '/conv1/Conv', '--input-shape', '3,8,8', '-o', path.join(io.dir, 'a')])).toBe(0);
    expect(fs.readdirSync(path.join(io.dir, 'a'))).toHaveLength(3);
    const f = path.join(io.dir, 'fixed.onnx');
    const bytes = model({
      nodes: [node('Conv', ['x', 'w'], ['y'], 'c')], initializers: [tensor('w', DT.FLOAT, [1, 1, 1, 1], [1])],
      inputs: [value('x', DT.FLOAT, [1, 1, 4, 4])], outputs: [value('y', DT.FLOAT, [1, 1, 4, 4])],
    });
    fs.writeFileSync(f, bytes);
    expect(await main(['import', f, '--input-shape', '1,5,5', '-o', path.join(io.dir, 'b')])).toBe(2);
    expect(err).toEqual([`convgen: --input-shape: 1,5,5 contradicts the model, where 'x' has shape (1, 1, 4, 4)`]);
    expect(fs.existsSync(path.join(io.dir, 'b'))).toBe(false);
  });
});
