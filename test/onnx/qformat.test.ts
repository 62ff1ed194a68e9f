/**
 * Q-format networks (`convgen import MODEL.onnx --calibrate X.npy --type q7|q15`): the residual CNN and the
 * depthwise-separable CNN (ending at its logits: a softmax has no Q-format path) imported with one Q format per
 * tensor, and a CNN with Pad and Concat, bit-exact with the golden model at every layer on the host and under QEMU
 * on arm920t and cortex-m4 (the Pad/Concat CNN on arm920t; one
 * build and one emulator start per network and target, poisoned memory, three calibration-distribution inputs and
 * the extremes of int8 or int16); the accuracy report against the float model (the figures docs/networks.md states);
 * what has no Q-format path refused naming every node; a layer one element wrong named on the device.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { assign, bin, cast, index } from '../../src/ir/expr.ts';
import { buildNetwork } from '../../src/network/network.ts';
import { networkTestInputs } from '../../src/network/inputs.ts';
import { measureNetwork } from '../../src/network/measure.ts';
import { verifyNetwork, type NetworkCheck } from '../../src/network/verify.ts';
import { samplesFromNpy } from '../../src/onnx/net/calibrate.ts';
import { importOnnxNetwork } from '../../src/onnx/net/index.ts';
import { prepare } from '../../src/onnx/net/prepare.ts';
import type { LayerCode } from '../../src/ops/op.ts';
import { pool } from '../../src/pool.ts';
import { accuracyReport, type AccuracyReport } from '../../src/quantize/network.ts';
import { findTarget } from '../../src/targets/index.ts';
import { actCase, build, concatPadCase, expectBitExact, dsCase, dsLogitsCase, residualCase, type ImportedCase } from './network-cases.ts';

const TARGETS = ['host', 'arm920t', 'cortex-m4'];
const TYPES = ['q7', 'q15'] as const;
const target = (name: string) => findTarget(name)!;
const inputs = (c: ImportedCase) => [...c.inputsInt8.slice(0, 3), ...networkTestInputs(c.net, 1, 0)];

const cases = [residualCase, dsLogitsCase].flatMap((mk) => TYPES.map((type) => ({ type, c: build(mk(), type) })));
const key = (c: ImportedCase, type: string) => `${c.name}/${type}`;
const results = new Map<string, NetworkCheck>();

/** Pad and Concat (an input requantized to the concatenation's format): on the host and the default target. */
const PAD_TARGETS = ['host', 'arm920t'];
const padCases = TYPES.map((type) => ({ type, c: build(concatPadCase(), type) }));

beforeAll(async () => {
  const pairs = [...cases.flatMap(({ c, type }) => TARGETS.map((t) => ({ c, type, t }))), ...padCases.flatMap(({ c, type }) => PAD_TARGETS.map((t) => ({ c, type, t })))];
  await pool(pairs, 2, async ({ c, type, t }) => {
    results.set(`${key(c, type)}/${t}`, await verifyNetwork(c.net, target(t), { inputs: inputs(c), timeoutSeconds: 120, layers: true }));
  });
}, 600_000);

describe.each(cases.map(({ c, type }) => key(c, type)))('%s', (name) => {
  it('holds one Q format per tensor in its storage type', () => {
    const { c, type } = cases.find((x) => key(x.c, x.type) === name)!;
    expect(c.net.numeric).toBe(type);
    for (const t of c.net.tensors.values()) {
      expect(t.dtype).toBe(type === 'q15' ? 'int16' : 'int8');
      expect(Number.isInteger(t.frac)).toBe(true);
    }
  });
  it.each(TARGETS)('on %s: bit-exact at every layer for 7 inputs', (t) => {
    expectBitExact(results.get(`${name}/${t}`)!, 7);
  });
});

describe.each(padCases.map(({ c, type }) => key(c, type)))('%s', (name) => {
  const { c } = padCases.find((x) => key(x.c, x.type) === name)!;
  it('pads in its input\'s format and requantizes the concatenation\'s finer input explicitly', () => {
    expect(c.net.layers.map((l) => l.op.name)).toEqual([
      'conv_2d', 'pad', 'conv_2d', 'conv_2d', 'conv_2d', 'add', 'requantize', 'concatenation', 'max_pool_2d', 'average_pool_2d', 'reshape', 'fully_connected',
    ]);
    const rq = c.net.layers.find((l) => l.op.name === 'requantize')!;
    const [from, to] = [c.net.tensors.get(rq.inputs[0])!.frac!, c.net.tensors.get(rq.outputs[0])!.frac!];
    expect(from - to).toBe(1);
    expect(c.net.layers.find((l) => l.op.name === 'concatenation')!.inputs).toContain(rq.outputs[0]);
  });
  it.each(PAD_TARGETS)('on %s: bit-exact at every layer for 7 inputs', (t) => {
    expectBitExact(results.get(`${name}/${t}`)!, 7);
  });
});

function report(c: ImportedCase): AccuracyReport {
  const prep = prepare(c.onnx, `${c.name}.onnx`);
  return accuracyReport(c.net, prep, samplesFromNpy(c.test.samples, prep.input.dims, prep.input.type, 'test'), c.test.labels);
}

describe('the accuracy report on 200 inputs of the calibration distribution', () => {
  const reports = new Map<string, AccuracyReport>();
  beforeAll(() => {
    for (const { c, type } of cases) reports.set(key(c, type), report(c));
  });
  // The figures docs/networks.md states (top-1 agreement with the float model, output SNR).
  it.each([
    ['residual_cnn/q7', 199, 20], ['residual_cnn/q15', 200, 60],
    ['ds_cnn_logits/q7', 183, 20], ['ds_cnn_logits/q15', 200, 60],
  ] as const)('%s: top-1 agreement %i of 200, output SNR above %i dB, every layer compared', (name, agree, snr) => {
    const r = reports.get(name)!;
    expect(r.top1.total).toBe(200);
    expect(r.top1.agree).toBe(agree);
    expect(r.output.snrDb).toBeGreaterThan(snr);
    expect(r.unmatched).toEqual([]);
    expect(r.layers.length).toBe(cases.find((x) => key(x.c, x.type) === name)!.c.net.layers.length);
  });
  it('q15 is more accurate than q7 at every layer', () => {
    for (const net of ['residual_cnn', 'ds_cnn_logits']) {
      const [a, b] = [reports.get(`${net}/q7`)!, reports.get(`${net}/q15`)!];
      a.layers.forEach((l, i) => expect(b.layers[i].snrDb).toBeGreaterThan(l.snrDb + 20));
    }
  });
});

describe('no Q-format path: refused, every node named, exit 2', () => {
  it('the softmax of the depthwise-separable CNN', () => {
    const c = dsCase();
    expect(() => importOnnxNetwork(c.onnx, 'ds.onnx', { calibration: { file: 'cal.npy', array: c.calibration! }, type: 'q7' }))
      .toThrow(/^ds\.onnx: --type q7: no Q-format path for: Softmax '\/softmax\/Softmax' \(a softmax's exponentials and division have no Q-format path in this cut; end the model at the logits, or import it as int8\)\. Nothing was written\./);
  });
  it('the activations CNN: its tables, in graph order', () => {
    const c = actCase();
    let message = '';
    try {
      importOnnxNetwork(c.onnx, 'act.onnx', { calibration: { file: 'cal.npy', array: c.calibration! }, type: 'q15' });
    } catch (e) {
      message = (e as Error).message;
    }
    const named = [...message.matchAll(/(\w+) '(\/[^']+)'/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(named).toEqual([
      'HardSwish /act2/HardSwish', 'Sigmoid /branch_a/Sigmoid', 'Tanh /branch_b/Tanh', 'Sigmoid /act3/Sigmoid', 'Mul /act3/Mul', 'HardSigmoid /act4/HardSigmoid',
    ]);
    expect(message).toMatch(/Sigmoid '\/branch_a\/Sigmoid' \(a lookup table\) \(sigmoid needs a lookup table, which convgen builds for int8 only\)/);
  });
  it('a network spec with an op that has no Q path', () => {
    const { c } = cases.find((x) => x.c.name === 'residual_cnn' && x.type === 'q7')!;
    const spec = structuredClone(c.result.imported.spec);
    spec.layers.push({ name: 'sm', op: 'softmax', inputs: [spec.outputs[0]], outputs: ['probs'], params: { beta: 1 } });
    spec.tensors.probs = { ...spec.tensors[spec.outputs[0]] };
    expect(() => buildNetwork(spec, 'r.json', (ref) => c.result.imported.arrays.get(ref.npy)!))
      .toThrow(/^r\.json: \$\.layers\[\d+\]\.op: layer sm: op softmax has no Q-format path \(q7\); ops of Q-format networks: conv_2d, depthwise_conv_2d, fully_connected, average_pool_2d, max_pool_2d, add, reshape, pad, concatenation, requantize$/);
  });
});

describe('the Q-format network spec', () => {
  const { c } = cases.find((x) => x.c.name === 'residual_cnn' && x.type === 'q7')!;
  const load = (spec: unknown) => buildNetwork(spec, 'r.json', (ref) => c.result.imported.arrays.get(ref.npy)!);
  const edit = (f: (s: typeof c.result.imported.spec) => void) => {
    const spec = structuredClone(c.result.imported.spec);
    f(spec);
    return () => load(spec);
  };
  it('builds as imported', () => expect(load(c.result.imported.spec).layers.length).toBe(c.net.layers.length));
  it.each([
    ['a tensor without its format', (s: typeof c.result.imported.spec) => { delete s.tensors[s.inputs[0]].frac; },
      /^r\.json: \$\.tensors\.input: a q7 network's tensors need "frac" \(their Q format's fraction bits\)$/],
    ['a scale that is not 2^-frac', (s: typeof c.result.imported.spec) => { s.tensors[s.inputs[0]].scale *= 3; },
      /^r\.json: \$\.tensors\.input: a Q-format tensor has scale 2\^-frac = [\d.e-]+ and zero point 0; found scale/],
    ['a format in an int8 network', (s: typeof c.result.imported.spec) => { delete s.numeric; },
      /^r\.json: \$\.tensors\.\w+\.frac: a Q format belongs to a Q-format network \("numeric": "q7" or "q15"\); this one is int8$/],
    ['int8 scales for a Q layer\'s weights', (s: typeof c.result.imported.spec) => {
      const w = s.layers[0].params.weights as { frac?: number; scales?: number[] };
      delete w.frac;
      w.scales = [0.01];
    }, /^r\.json: \$\.layers\[0\]\.params\.weights: layer stem_conv_conv \(conv_2d\): a Q-format network's weights carry their Q format \("frac"\), not "scales"$/],
  ] as const)('refuses %s in one line naming where', (_what, f, msg) => {
    expect(edit(f)).toThrow(msg);
  });
});

/** The layer's output element 0 off by one (its last statement): what a wrong shift or rounding would leave. */
function offByOne(code: LayerCode, elem: 'int8_t' | 'int16_t'): LayerCode {
  if (code.k !== 'ir') return code;
  return {
    ...code,
    items: code.items.map((it) => (it.k === 'func' ? {
      ...it, fn: { ...it.fn, body: [...it.fn.body, { k: 'expr', e: assign(index('output', 0), cast(elem, bin('^', index('output', 0), 1))) }] },
    } : it)),
  };
}

describe('a wrong layer on the device', () => {
  it('arm920t, q15: the residual add one element off fails, naming that layer', async () => {
    const { c } = cases.find((x) => x.c.name === 'residual_cnn' && x.type === 'q15')!;
    const r = await verifyNetwork(c.net, target('arm920t'), {
      inputs: c.inputsInt8.slice(0, 1), timeoutSeconds: 120, layers: true,
      transformLayer: (layer, code) => (layer === 'res_add' ? offByOne(code, 'int16_t') : code),
    });
    expect(r.status).toBe('fail');
    expect(r.firstLayer).toMatchObject({ name: 'res_add', input: 0, mismatches: 1, index: 0 });
  });
});

describe('the bench on a q15 network', () => {
  it('cortex-m4: every output checked as int16, the empty inference with the int16 signature, weights counted in bytes', async () => {
    const { c } = padCases.find((x) => x.type === 'q15')!;
    const r = await measureNetwork(c.net, target('cortex-m4'), { inputs: networkTestInputs(c.net, 1), timeoutSeconds: 120, optimize: 'default' });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('ok');
    expect(r.verified).toEqual({ inputs: 6, elements: 60, mismatches: 0 });
    expect(r.instructions).toBeGreaterThan(0);
    const weights = c.net.layers.reduce((a, l) => a + ((l.model as { kernel?: { weights: Int32Array } }).kernel?.weights.length ?? 0), 0);
    expect(r.parameters.modelWeights).toBe(2 * weights);
  }, 120_000);
});
