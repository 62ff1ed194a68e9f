/**
 * Whole ONNX graphs to networks: the residual CNN and the depthwise-separable CNN from float ONNX through
 * calibration to the network golden model, checked layer by layer against the float64 run of the ONNX model (the
 * accuracy report); the QDQ form of the residual CNN, which must give the very same network; refusals.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runNetwork } from '../../src/network/golden.ts';
import { buildNetwork } from '../../src/network/network.ts';
import { importOnnxNetwork } from '../../src/onnx/net/index.ts';
import { samplesFromNpy } from '../../src/onnx/net/calibrate.ts';
import { prepare } from '../../src/onnx/net/prepare.ts';
import { accuracyReport, type AccuracyReport } from '../../src/quantize/network.ts';
import { residualCnn } from './cnns.ts';
import { actCase, build, dsCase, NETWORK_CASES, qdqSourceOf, residualCase, residualQdqCase, type ImportedCase } from './network-cases.ts';

function report(c: ImportedCase): AccuracyReport {
  const prep = prepare(c.onnx, `${c.name}.onnx`);
  return accuracyReport(c.net, prep, samplesFromNpy(c.test.samples, prep.input.dims, prep.input.type, 'test'), c.test.labels);
}

const layerSummary = (c: ImportedCase) => c.net.layers.map((l) => `${l.name}:${l.op.name}`);

describe('residual CNN (conv+BN+ReLU, depthwise, LeakyReLU, max pool, residual add, average pools, flatten, linear)', () => {
  let c: ImportedCase;
  let r: AccuracyReport;
  beforeAll(() => {
    c = build(residualCase());
    r = report(c);
  });

  it('maps every node: BatchNormalization folded, ReLUs fused, LeakyReLU a table, the flatten chain folded', () => {
    expect(layerSummary(c)).toEqual([
      'stem_conv_conv:conv_2d', 'dw_conv_conv:depthwise_conv_2d', 'pw_conv_conv:conv_2d', 'pw_act_leakyrelu:lut',
      'pool1_maxpool:max_pool_2d', 'res_conv1_conv:conv_2d', 'res_conv2_conv:conv_2d', 'res_add:add',
      'pool2_averagepool:average_pool_2d', 'pool3_averagepool:average_pool_2d', 'reshape:reshape', 'fc_gemm:fully_connected',
    ]);
    const p = (name: string) => c.result.imported.spec.layers.find((l) => l.name === name)!.params as Record<string, unknown>;
    expect(p('stem_conv_conv')).toMatchObject({ activation: 'relu', padding: [1, 1, 1, 1], stride: [1, 1] });
    expect(p('dw_conv_conv')).toMatchObject({ activation: 'relu', depthMultiplier: 1 });
    expect(p('pw_conv_conv')).toMatchObject({ activation: 'none' });
    expect(p('pw_act_leakyrelu')).toEqual({ function: 'leaky_relu', alpha: Math.fround(0.1) });
    expect(p('res_conv2_conv')).toMatchObject({ activation: 'none' });
    expect(p('res_add')).toEqual({ activation: 'relu' });
    expect(p('pool1_maxpool')).toMatchObject({ filter: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0] });
    expect(p('reshape')).toEqual({ shape: [1, 64] });
    // weights per output channel, in the op's layout; the flatten keeps NCHW's order for the classifier to absorb
    expect((p('stem_conv_conv').weights as { scales: number[] }).scales).toHaveLength(8);
    expect(c.result.imported.arrays.get('stem_conv_conv_weights.npy')!.shape).toEqual([8, 3, 3, 3]);
    expect(c.result.imported.arrays.get('dw_conv_conv_weights.npy')!.shape).toEqual([1, 3, 3, 8]);
    expect(c.result.imported.arrays.get('fc_gemm_weights.npy')!.shape).toEqual([10, 64]);
    expect(c.result.imported.spec.tensors.reshape_output_0.sourceLayout).toEqual({ flattenedNchw: [16, 2, 2] });
    expect(c.result.imported.spec.tensors.input).toMatchObject({ shape: [1, 16, 16, 3], sourceLayout: 'nchw', callerConverts: 'quantize' });
    expect(c.result.imported.spec.tensors[c.net.outputs[0]]).toMatchObject({ callerConverts: 'dequantize', name: '/fc/Gemm_output_0' });
  });

  it('keeps data movement at its input\'s quantization (pooling, reshape), as TFLite Micro requires', () => {
    const q = (id: string) => c.net.tensors.get(id)!;
    for (const l of c.net.layers.filter((x) => ['max_pool_2d', 'average_pool_2d', 'reshape'].includes(x.op.name))) {
      expect([q(l.outputs[0]).scale, q(l.outputs[0]).zeroPoint]).toEqual([q(l.inputs[0]).scale, q(l.inputs[0]).zeroPoint]);
    }
    // a ReLU output's range starts at 0: zero point −128
    expect(q('stem_act_relu_output_0').zeroPoint).toBe(-128);
  });

  it('agrees with the float model on at least 99% of 200 inputs from its calibration distribution, every layer above 28 dB', () => {
    expect(r.samples).toBe(200);
    expect(r.top1.agreement).toBeGreaterThanOrEqual(0.99);
    expect(r.top1.agree).toBe(200); // the figure docs/pytorch.md states
    expect(r.accuracy!.float).toBeGreaterThan(0.95);
    expect(r.accuracy!.int8).toBeGreaterThan(0.95);
    expect(r.layers).toHaveLength(12);
    for (const l of r.layers) expect(l.snrDb, l.layer).toBeGreaterThan(28);
    expect(r.worst!.layer).toBe(r.layers.reduce((w, l) => (l.snrDb < w.snrDb ? l : w)).layer);
  });

  it('fails the comparison when the network is wrong: weights of one channel negated give a low SNR from that layer on', () => {
    const spec = structuredClone(c.result.imported.spec);
    const arrays = new Map(c.result.imported.arrays);
    const w = arrays.get('res_conv1_conv_weights.npy')!;
    const data = Int8Array.from(w.data as Int8Array, (v, i) => (i < 144 ? -v : v)); // output channel 0
    arrays.set('res_conv1_conv_weights.npy', { ...w, data });
    const broken = buildNetwork(spec, 'broken.json', (ref) => arrays.get(ref.npy)!);
    const bad = report({ ...c, net: broken });
    const snr = (rep: AccuracyReport, name: string) => rep.layers.find((l) => l.layer === name)!.snrDb;
    expect(snr(bad, 'res_conv1_conv')).toBeLessThan(15);
    expect(snr(bad, 'pw_conv_conv')).toBe(snr(r, 'pw_conv_conv'));
    expect(bad.worst!.snrDb).toBeLessThan(15);
  });
});

describe('depthwise-separable CNN (ReLU6 as Clip with Cast bounds, global average pool, softmax)', () => {
  let c: ImportedCase;
  let r: AccuracyReport;
  beforeAll(() => {
    c = build(dsCase());
    r = report(c);
  });

  it('maps Clip(0, 6) behind Casts to relu6, GlobalAveragePool to mean, softmax at 1/256', () => {
    expect(layerSummary(c)).toEqual([
      'stem_conv_conv:conv_2d', 'block1_dw_conv:depthwise_conv_2d', 'block1_pw_conv:conv_2d', 'block2_dw_conv:depthwise_conv_2d',
      'block2_pw_conv:conv_2d', 'gap_globalaveragepool:mean', 'flatten_flatten:reshape', 'fc_gemm:fully_connected', 'softmax_softmax:softmax',
    ]);
    for (const l of c.result.imported.spec.layers.slice(0, 5)) expect(l.params.activation, l.name).toBe('relu6');
    expect(c.result.imported.spec.layers[0].params).toMatchObject({ stride: [2, 2] });
    expect(c.result.imported.spec.layers[5].params).toEqual({ axes: [1, 2], keepDims: true });
    const out = c.net.tensors.get(c.net.outputs[0])!;
    expect([out.scale, out.zeroPoint]).toEqual([1 / 256, -128]);
    // relu6 outputs: the range [0, 6] observed, zero point −128
    expect(c.net.tensors.get('stem_act_clip_output_0')!.zeroPoint).toBe(-128);
  });

  it('stays close to the float model layer by layer', () => {
    for (const l of r.layers) expect(l.snrDb, l.layer).toBeGreaterThan(28);
    expect(r.output.snrDb).toBeGreaterThan(30);
    expect(r.top1.agreement).toBeGreaterThanOrEqual(0.95);
  });
});

describe('activations CNN (Clip to real bounds, padded pools, Pad, HardSwish, Sigmoid, Tanh, Concat, SiLU, HardSigmoid)', () => {
  let c: ImportedCase;
  let r: AccuracyReport;
  beforeAll(() => {
    c = build(actCase());
    r = report(c);
  });

  it('maps every node: the Clip a clamp to its real bounds, padded pools, the activations tables, the Concat\'s inputs requantized', () => {
    expect(layerSummary(c)).toEqual([
      'stem_conv_conv:conv_2d', 'pool1_maxpool:max_pool_2d', 'pad_pad:pad', 'conv2_conv:conv_2d', 'act2_hardswish:lut',
      'branch_a_conv:conv_2d', 'branch_a_sigmoid:lut', 'branch_b_conv:conv_2d', 'branch_b_tanh:lut',
      'branch_a_sigmoid_output_0_requantize:quantize', 'branch_b_tanh_output_0_requantize:quantize', 'cat_concat:concatenation',
      'conv3_conv:conv_2d', 'act3_sigmoid:lut', 'pool2_averagepool:average_pool_2d', 'conv4_conv:conv_2d', 'act4_hardsigmoid:lut',
      'gap_globalaveragepool:mean', 'flatten_flatten:reshape', 'fc_gemm:fully_connected',
    ]);
    const p = (name: string) => c.result.imported.spec.layers.find((l) => l.name === name)!.params as Record<string, unknown>;
    expect(p('stem_conv_conv')).toMatchObject({ activation: { min: -1.5, max: 2.5 } });
    expect(p('pool1_maxpool')).toMatchObject({ filter: [3, 3], stride: [2, 2], padding: [1, 1, 0, 0] });
    expect(p('pool2_averagepool')).toMatchObject({ filter: [3, 3], stride: [2, 2], padding: [1, 1, 0, 0] });
    // 0.25 at the max pool's scale 1/63.75 and zero point −32: 15.94 -> 16 − 32 = −16 (not the zero point: a layer of its own)
    expect(p('pad_pad')).toEqual({ paddings: [[0, 0], [1, 1], [1, 1], [0, 0]], value: -16 });
    expect(['act2_hardswish', 'branch_a_sigmoid', 'branch_b_tanh', 'act3_sigmoid', 'act4_hardsigmoid'].map((n) => p(n).function))
      .toEqual(['hard_swish', 'sigmoid', 'tanh', 'silu', 'hard_sigmoid']);
  });

  it('agrees with the float model on at least 99% of 200 inputs, every layer above 28 dB', () => {
    expect(r.samples).toBe(200);
    expect(r.top1.agreement).toBeGreaterThanOrEqual(0.99);
    expect(r.layers).toHaveLength(18); // the two requantizations have no ONNX value to compare with
    for (const l of r.layers) expect(l.snrDb, l.layer).toBeGreaterThan(28);
  });
});

describe('the QDQ form of the residual CNN', () => {
  it('imports with the scales and zero points it gives: the same network as the calibrated float import, bit for bit', () => {
    const f = build(residualCase());
    const q = residualCnn(qdqSourceOf(f.result.imported.spec, f.result.imported.arrays));
    const qdq = importOnnxNetwork(q, 'residual_qdq.onnx');
    expect(qdq.warnings).toEqual([]);
    expect(qdq.notes.join('\n')).toMatch(/no calibration needed/);
    const a = f.result.imported.spec;
    const b = qdq.imported.spec;
    expect(b.layers.map((l) => [l.name, l.op])).toEqual(a.layers.map((l) => [l.name, l.op]));
    b.layers.forEach((l, i) => {
      const k = a.layers[i];
      expect(l.params, l.name).toEqual(k.params);
      const ta = a.tensors[k.outputs[0]];
      const tb = b.tensors[l.outputs[0]];
      expect([tb.scale, tb.zeroPoint], l.name).toEqual([ta.scale, ta.zeroPoint]);
      for (const ref of ['weights', 'bias'] as const) {
        const npy = (l.params[ref] as { npy?: string } | undefined)?.npy;
        if (npy) expect(Array.from(qdq.imported.arrays.get(npy)!.data as Int8Array), `${l.name} ${ref}`).toEqual(Array.from(f.result.imported.arrays.get(npy)!.data as Int8Array));
      }
    });
    const net = buildNetwork(b, 'qdq.json', (ref) => qdq.imported.arrays.get(ref.npy)!);
    for (const x of f.inputsInt8.slice(0, 20)) expect(runNetwork(net, [x]).outputs[0]).toEqual(runNetwork(f.net, [x]).outputs[0]);
  });

  it('is in the list of networks the QEMU proof loops over, with the float ones', () => {
    const names = NETWORK_CASES.map((c) => c().name);
    expect(names).toEqual(['residual_cnn', 'ds_cnn', 'act_cnn', 'residual_cnn_qdq']);
    const q = build(residualQdqCase());
    expect(q.calibration).toBeUndefined();
    expect(q.inputsInt8).toHaveLength(200);
    expect(q.net.layers.map((l) => l.op.name)).toEqual(build(residualCase()).net.layers.map((l) => l.op.name));
  });
});
