/**
 * What the whole-graph import refuses: every unsupported node named in one line (name and op type, and why for an op
 * convgen knows), non-finite weights and a BatchNormalization variance at or below −epsilon naming the node; always
 * exit 2 and nothing written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { importOnnxNetwork } from '../../src/onnx/net/index.ts';
import { importOnnx } from '../../src/onnx/index.ts';
import { cliSandbox } from '../helpers.ts';
import { attr, DT, model, node, tensor, value, values } from './models.ts';

const io = cliSandbox('convgen-onnx-refuse-');

/** Conv, then branches that convgen cannot run, each a model output: a Mul of two tensors, Resize, a reflect Pad, a custom op, ConvTranspose. */
function refusedModel(): Uint8Array {
  return model({
    nodes: [
      node('Conv', ['x', 'w'], ['c'], '/conv/Conv', [attr.ints('pads', [1, 1, 1, 1])]),
      node('Sigmoid', ['c'], ['s'], '/act/Sigmoid'),
      node('Mul', ['s', 's'], ['silu'], '/act/Mul'),
      node('Resize', ['c', '', 'scales'], ['up'], '/up/Resize', [attr.str('mode', 'nearest')]),
      node('Pad', ['c', 'pads'], ['padded'], '/pad/Pad', [attr.str('mode', 'reflect')]),
      { ...node('MyOp', ['c'], ['custom'], '/custom/MyOp'), domain: 'com.example' },
      node('ConvTranspose', ['c', 'wt'], ['deconv'], '/deconv/ConvTranspose'),
    ],
    initializers: [tensor('w', DT.FLOAT, [4, 3, 3, 3], values(108, 1)), tensor('scales', DT.FLOAT, [4], [1, 1, 2, 2]),
      tensor('pads', DT.INT64, [8], [0, 0, 1, 1, 0, 0, 1, 1]), tensor('wt', DT.FLOAT, [4, 2, 2, 2], values(32, 2))],
    inputs: [value('x', DT.FLOAT, [1, 3, 8, 8])],
    outputs: ['silu', 'up', 'padded', 'custom', 'deconv'].map((o) => value(o, DT.FLOAT, [1, 4, 'h', 'w'])),
  });
}

const EXPECTED = "m.onnx: unsupported: Mul '/act/Mul'; Resize '/up/Resize'; Pad '/pad/Pad' (mode 'reflect' (convgen pads with a constant)); " +
  "com.example.MyOp '/custom/MyOp' (an op of domain 'com.example'); ConvTranspose '/deconv/ConvTranspose'. Nothing was written. convgen imports Conv, ";

describe('unsupported nodes', () => {
  it('are all named in one line, in the order of the graph', () => {
    let msg = '';
    try {
      importOnnxNetwork(refusedModel(), 'm.onnx');
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg.startsWith(EXPECTED), msg).toBe(true);
    expect(msg.slice(0, msg.indexOf('Nothing was written'))).not.toMatch(/Sigmoid|Conv '\/conv\/Conv'/);
    expect(msg).not.toMatch(/\n/);
  });

  it('names a node that follows a refused one only as a count when its own configuration cannot be checked', () => {
    const bytes = model({
      nodes: [node('Resize', ['x', '', 'scales'], ['up'], '/up/Resize'), node('Relu', ['up'], ['y'], '/relu/Relu')],
      initializers: [tensor('scales', DT.FLOAT, [4], [1, 1, 2, 2])],
      inputs: [value('x', DT.FLOAT, [1, 3, 4, 4])], outputs: [value('y', DT.FLOAT, [1, 3, 8, 8])],
    });
    expect(() => importOnnxNetwork(bytes, 'm.onnx')).toThrow(/^m\.onnx: unsupported: Resize '\/up\/Resize' \(1 later node of supported types read their results and could not be checked\)\. Nothing/);
  });

  it('the CLI: exit 2, the one line on stderr, no folder created', async () => {
    const f = path.join(io.dir, 'm.onnx');
    fs.writeFileSync(f, refusedModel());
    const out = path.join(io.dir, 'out', 'net');
    expect(await main(['import', f, '-o', out])).toBe(2);
    expect(io.err).toHaveLength(1);
    expect(io.err[0].startsWith(`convgen: ${path.join(io.dir, EXPECTED)}`), io.err[0]).toBe(true);
    expect(fs.existsSync(path.join(io.dir, 'out'))).toBe(false);
    expect(io.out).toEqual([]);
  });
});

describe('weights with no real value', () => {
  const convBn = (w: number[], variance: number[]) => model({
    nodes: [node('Conv', ['x', 'w'], ['c'], '/conv/Conv'), node('BatchNormalization', ['c', 's', 'b', 'm', 'v'], ['y'], '/bn/BatchNormalization', [attr.float('epsilon', 1e-3)])],
    initializers: [tensor('w', DT.FLOAT, [2, 1, 1, 1], w, true), tensor('s', DT.FLOAT, [2], [1, 1]), tensor('b', DT.FLOAT, [2], [0, 0]),
      tensor('m', DT.FLOAT, [2], [0, 0]), tensor('v', DT.FLOAT, [2], variance)],
    inputs: [value('x', DT.FLOAT, [1, 1, 2, 2])], outputs: [value('y', DT.FLOAT, [1, 2, 2, 2])],
  });

  const cases: [string, Uint8Array, string][] = [
    ['a NaN weight', convBn([1, NaN], [1, 1]), "m.onnx: Conv node '/conv/Conv': its weights 'w' hold NaN at index 1; convgen needs finite numbers"],
    ['an infinite variance', convBn([1, 2], [Infinity, 1]), "m.onnx: BatchNormalization node '/bn/BatchNormalization': its var 'v' hold Infinity at index 0; convgen needs finite numbers"],
    ['a variance at or below −epsilon', convBn([1, 2], [1, -0.001]),
      `m.onnx: BatchNormalization node '/bn/BatchNormalization': its var 'v' + epsilon is ${-0.0010000000474974513 + Math.fround(1e-3)} for channel 1; it must be positive (a variance of -0.0010000000474974513 cannot be folded)`],
    ['a weight beyond float32', convBn([1, 1e39], [1, 1]), "m.onnx: Conv node '/conv/Conv': its weights 'w' hold Infinity at index 1; convgen needs finite numbers"],
  ];
  for (const [what, bytes, message] of cases) {
    it(`refuses ${what}, naming the node and the tensor: the whole-graph import says what the one-layer import says`, () => {
      expect(() => importOnnxNetwork(bytes, 'm.onnx')).toThrow(message);
      const one = (() => { try { importOnnx(bytes, 'm.onnx', { node: '/conv/Conv' }); return ''; } catch (e) { return (e as Error).message; } })();
      expect(one.split(':').slice(0, 2)).toEqual(message.split(':').slice(0, 2));
    });
  }

  it('a variance just above −epsilon is a real (if huge) scale and imports', () => {
    expect(() => importOnnxNetwork(convBn([1, 2], [1, -0.0009]), 'm.onnx')).not.toThrow();
  });
});
