/**
 * `convgen import MODEL.tflite`, `convgen golden NET.json|MODEL.tflite` (single input, a batch, --intermediates),
 * generate, test and run on a network, and bad models: one line, exit 2, nothing written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { readNpy, writeNpyAtomic } from '../../src/npy/index.ts';
import { cliSandbox, fixtures, root } from '../helpers.ts';
import { TensorType } from '../../src/tflite/schema.ts';
import { buildTflite, int8Bytes } from '../tflite/builder.ts';

const io = cliSandbox('convgen-net-cli-');
const models = path.join(fixtures, 'models');
const kws = path.join(models, 'kws_ref_model', 'kws_ref_model.tflite');
const int8 = (f: string) => Array.from(readNpy(f).data as Int8Array);

describe('import and golden', () => {
  it('imports a .tflite into a readable spec and .npy constants; golden on the spec gives TFLM\'s output', async () => {
    const out = path.join(io.dir, 'kws');
    expect(await main(['import', kws, '-o', out])).toBe(0);
    expect(io.out[0]).toMatch(/^wrote .*kws_ref_model\.json: 13 layers, 20 constant files beside it$/);
    expect(io.out.join('\n')).toMatch(/memory {5}arena 16000 B/);
    const spec = JSON.parse(fs.readFileSync(path.join(out, 'kws_ref_model.json'), 'utf8'));
    expect(spec.layers[0]).toMatchObject({ name: 'conv_2d_0', op: 'conv_2d', inputs: ['t0'], outputs: ['t22'] });
    expect(fs.readdirSync(out)).toHaveLength(21);
    const o = path.join(io.dir, 'o.npy');
    expect(await main(['golden', path.join(out, 'kws_ref_model.json'), '--input', path.join(models, 'kws_ref_model', 'in_2.npy'), '--output', o])).toBe(0);
    expect(int8(o)).toEqual(int8(path.join(models, 'kws_ref_model', 'out_2.npy')));
  });

  it('runs a batch of N inputs from a .tflite and writes every tensor with TFLM\'s dump names', async () => {
    const dir = path.join(models, 'pretrainedResnet_quant');
    const inputs = [0, 1, 2, 3].map((k) => readNpy(path.join(dir, `in_${k}.npy`)));
    const batch = path.join(io.dir, 'batch.npy');
    writeNpyAtomic(batch, { dtype: 'int8', shape: [4, 32, 32, 3], data: Int8Array.from(inputs.flatMap((a) => Array.from(a.data as Int8Array))) });
    const o = path.join(io.dir, 'o.npy');
    const inter = path.join(io.dir, 'inter');
    expect(await main(['golden', path.join(dir, 'pretrainedResnet_quant.tflite'), '--input', batch, '--output', o, '--intermediates', inter])).toBe(0);
    const got = readNpy(o);
    expect(got.shape).toEqual([4, 10]);
    expect(Array.from(got.data as Int8Array)).toEqual([0, 1, 2, 3].flatMap((k) => int8(path.join(dir, `out_${k}.npy`))));
    for (const f of fs.readdirSync(path.join(dir, 'intermediates'))) {
      const mine = readNpy(path.join(inter, f));
      expect(mine.shape[0]).toBe(4);
      const size = (mine.data as Int8Array).length / 4;
      expect(Array.from((mine.data as Int8Array).subarray(0, size))).toEqual(int8(path.join(dir, 'intermediates', f)));
    }
  });
});

describe('float edges', () => {
  it('a float input is quantized as TFLite does when the model\'s QUANTIZE was left to the caller', async () => {
    const m = path.join(io.dir, 'edge.tflite');
    fs.writeFileSync(m, buildTflite({
      tensors: [
        { shape: [1, 3], type: TensorType.FLOAT32 }, { shape: [1, 3], scale: 0.5, zeroPoint: 1 },
        { shape: [3, 3], data: int8Bytes([1, 2, 3, 4, 5, 6, 7, 8, 9]), scale: 0.25 },
        { shape: [1, 3], scale: 0.25, zeroPoint: -3 }, { shape: [1, 3], type: TensorType.FLOAT32 },
      ],
      ops: [{ op: 'QUANTIZE', inputs: [0], outputs: [1] }, { op: 'FULLY_CONNECTED', inputs: [1, 2, -1], outputs: [3] }, { op: 'DEQUANTIZE', inputs: [3], outputs: [4] }],
      inputs: [0], outputs: [4],
    }));
    const f = path.join(io.dir, 'f.npy');
    const q = path.join(io.dir, 'q.npy');
    // 1.25 / 0.5 = 2.5 -> 3 (half away from zero) + 1 = 4; −0.75 / 0.5 = −1.5 -> −2 + 1 = −1; 100 -> 200 + 1, clamped to 127
    writeNpyAtomic(f, { dtype: 'float32', shape: [1, 3], data: Float32Array.from([1.25, -0.75, 100]) });
    writeNpyAtomic(q, { dtype: 'int8', shape: [1, 3], data: Int8Array.from([4, -1, 127]) });
    const [of, oq] = [path.join(io.dir, 'of.npy'), path.join(io.dir, 'oq.npy')];
    expect(await main(['golden', m, '--input', f, '--output', of])).toBe(0);
    expect(await main(['golden', m, '--input', q, '--output', oq])).toBe(0);
    expect(int8(of)).toEqual(int8(oq));
    const fk = path.join(io.dir, 'fk.npy');
    writeNpyAtomic(fk, { dtype: 'float32', shape: [1, 49, 10, 1], data: new Float32Array(490) });
    io.err.length = 0;
    expect(await main(['golden', kws, '--input', fk, '--output', of])).toBe(2);
    expect(io.err).toEqual([`convgen: ${fk}: found dtype float32; the network's input t0 is int8 (raw quantized values)`]);
  });
});

describe('the C commands on networks', () => {
  const ad01 = path.join(models, 'ad01_int8', 'ad01_int8.tflite');

  it('generate writes the module for the target, the stack it measured stated in the header', async () => {
    const out = path.join(io.dir, 'gen');
    expect(await main(['generate', ad01, '--target', 'cortex-m4', '-o', out])).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['ad01_int8.c', 'ad01_int8.h', 'convgen_net_entry.h']);
    const h = fs.readFileSync(path.join(out, 'ad01_int8.h'), 'utf8');
    expect(h).toMatch(/^#define AD01_INT8_STACK_BYTES [1-9]\d*u$/m);
    expect(h).toContain('Target     cortex-m4: Cortex-M4, ARMv7E-M, Thumb-2');
    expect(h).toMatch(/^#define AD01_INT8_ARENA_BYTES 256u$/m);
  });

  it('test runs every target given; one it does not fit is named with why, and the exit is 0 when all that ran pass', async () => {
    expect(await main(['test', ad01, '--target', 'cortex-m0,arm920t', '--jobs', '1'])).toBe(0);
    expect(io.out.find((l) => l.startsWith('SKIP'))).toMatch(/^SKIP  ad01_int8\.tflite on cortex-m0: does not fit cortex-m0 \(QEMU microbit\): flash: code \d+ \+ parameters \d+ = [\d,]+ B, the machine has 262,144 B$/);
    expect(io.out.find((l) => l.startsWith('PASS'))).toMatch(/^PASS  ad01_int8\.tflite on arm920t: bit-exact, 3840 output elements over 6 inputs/);
    expect(io.out.at(-1)).toBe('1 passed, 0 failed, 0 errors, 1 do not fit');
  });

  it('run computes a batch on the device: TFLM\'s outputs', async () => {
    const dir = path.join(models, 'ad01_int8');
    const batch = path.join(io.dir, 'batch.npy');
    writeNpyAtomic(batch, { dtype: 'int8', shape: [4, 640], data: Int8Array.from([0, 1, 2, 3].flatMap((k) => int8(path.join(dir, `in_${k}.npy`)))) });
    const o = path.join(io.dir, 'o.npy');
    expect(await main(['run', ad01, '--target', 'cortex-m3', '--input', batch, '--output', o])).toBe(0);
    expect(readNpy(o).shape).toEqual([4, 640]);
    expect(int8(o)).toEqual([0, 1, 2, 3].flatMap((k) => int8(path.join(dir, `out_${k}.npy`))));
  });

  it('refuses kernel specs and networks in one test run, and kernel-only options, with one line', async () => {
    const spec = path.join(root, 'examples', 'edge3x3.json');
    expect(await main(['test', spec, kws])).toBe(2);
    expect(io.err).toEqual([`convgen: ${spec}: convgen test takes kernel specs or networks, not both in one run`]);
    io.err.length = 0;
    expect(await main(['test', kws, '--html', path.join(io.dir, 'r.html')])).toBe(2);
    expect(io.err).toEqual(['convgen: --html: is for kernel specs; a network test writes --json']);
  });

  it('refuses --variant given for a network (it would be ignored), with one line and nothing written', async () => {
    const out = path.join(io.dir, 'kernel-only');
    const input = path.join(models, 'kws_ref_model', 'in_0.npy');
    const cases: [string[], string][] = [
      [['generate', kws, '-o', out, '--variant', 'naive'], '--variant'],
      [['build', kws, '--target', 'arm920t', '-o', out, '--variant', 'reference'], '--variant'],
      [['test', kws, '--target', 'host', '--variant', 'naive'], '--variant'],
      [['run', kws, '--target', 'host', '--input', input, '--output', path.join(io.dir, 'kernel-only.npy'), '--variant', 'naive'], '--variant'],
      [['bench', kws, '--target', 'arm920t', '--variant', 'naive'], '--variant'],
    ];
    for (const [argv, flag] of cases) {
      io.err.length = 0;
      expect(await main(argv), argv.join(' ')).toBe(2);
      expect(io.err).toHaveLength(1);
      expect(io.err[0]).toMatch(new RegExp(`^convgen: ${flag}: is for kernel specs: `));
      expect(fs.existsSync(out), argv.join(' ')).toBe(false);
      expect(fs.existsSync(path.join(io.dir, 'kernel-only.npy'))).toBe(false);
    }
  });
});

describe('refusals', () => {
  it('a malformed .tflite: one line, exit 2, nothing written', async () => {
    const bad = path.join(io.dir, 'bad.tflite');
    fs.writeFileSync(bad, fs.readFileSync(kws).subarray(0, 4000));
    const out = path.join(io.dir, 'never');
    expect(await main(['import', bad, '-o', out])).toBe(2);
    expect(io.err).toHaveLength(1);
    expect(io.err[0]).toMatch(/^convgen: .*bad\.tflite: not a valid \.tflite model: /);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('unsupported ops: every one named in one line, exit 2, nothing written', async () => {
    const t = { shape: [1, 4], scale: 0.5, zeroPoint: 0 };
    const m = path.join(io.dir, 'm.tflite');
    fs.writeFileSync(m, buildTflite({ tensors: [t, t, t], ops: [{ op: 'LOGISTIC', inputs: [0], outputs: [1] }, { op: 'HARD_SWISH', inputs: [1], outputs: [2] }], inputs: [0], outputs: [2] }));
    const out = path.join(io.dir, 'never');
    expect(await main(['import', m, '-o', out])).toBe(2);
    expect(io.err).toHaveLength(1);
    expect(io.err[0]).toMatch(/unsupported: LOGISTIC \(operator 0: t0 -> t1\); HARD_SWISH \(operator 1: t1 -> t2\)\./);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a layer TFLite Micro would refuse fails the import before anything is written', async () => {
    const m = path.join(io.dir, 'softmax.tflite');
    const t = (scale: number, zeroPoint: number) => ({ shape: [1, 4], scale, zeroPoint });
    fs.writeFileSync(m, buildTflite({ tensors: [t(0.1, 0), t(1 / 128, -128)], ops: [{ op: 'SOFTMAX', inputs: [0], outputs: [1], options: { type: 9, fields: [[0, 'float32', 1]] } }], inputs: [0], outputs: [1] }));
    const out = path.join(io.dir, 'never');
    expect(await main(['import', m, '-o', out])).toBe(2);
    expect(io.err).toEqual([`convgen: ${m}: $.layers[0]: layer softmax_0 (softmax): an int8 softmax output must have zero point −128 and scale 1/256 (TFLite Micro requires it); found zero point -128, scale 0.0078125`]);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a network spec with a misspelt key gets a suggestion', async () => {
    const out = path.join(io.dir, 'kws');
    expect(await main(['import', kws, '-o', out])).toBe(0);
    const file = path.join(out, 'kws_ref_model.json');
    const spec = JSON.parse(fs.readFileSync(file, 'utf8'));
    spec.layers[1].params.strides = spec.layers[1].params.stride;
    delete spec.layers[1].params.stride;
    fs.writeFileSync(file, JSON.stringify(spec));
    io.err.length = 0;
    expect(await main(['golden', file, '--input', path.join(models, 'kws_ref_model', 'in_0.npy'), '--output', path.join(io.dir, 'o.npy')])).toBe(2);
    expect(io.err).toEqual([`convgen: ${file}: $.layers[1].params: layer depthwise_conv_2d_0 (depthwise_conv_2d): unknown key 'strides' (did you mean 'stride'?); allowed keys: stride, dilation, padding, depthMultiplier, activation, weights, bias`]);
  });

  it('--intermediates is for networks', async () => {
    expect(await main(['golden', path.join(root, 'examples', 'edge3x3.json'), '--input', 'x.npy', '--output', path.join(io.dir, 'o.npy'), '--intermediates', io.dir])).toBe(2);
    expect(io.err[0]).toMatch(/--intermediates: is for networks/);
  });

  it('ONNX-only options are refused for a .tflite', async () => {
    expect(await main(['import', kws, '-o', path.join(io.dir, 'x'), '--node', 'conv'])).toBe(2);
    expect(io.err[0]).toMatch(/--node: is for ONNX models/);
  });
});
