/**
 * The network golden model against TensorFlow Lite Micro's reference kernels on the three MLPerf Tiny models: every
 * input gives exactly TFLM's output, and for in_0 every intermediate tensor matches by tensor index (the first
 * layer that differs is named). Both from the .tflite directly and from the network spec `convgen import` writes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runNetwork } from '../../src/network/golden.ts';
import { loadNetwork } from '../../src/network/load.ts';
import type { Network } from '../../src/network/network.ts';
import { writeNetwork } from '../../src/network/write.ts';
import { readNpy } from '../../src/npy/index.ts';
import { importTflite } from '../../src/tflite/import.ts';
import { fixtures } from '../helpers.ts';

const MODELS = ['kws_ref_model', 'pretrainedResnet_quant', 'ad01_int8'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-net-models-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const int8 = (file: string) => readNpy(file).data as Int8Array;

/** The first layer (in execution order) whose output differs from TFLM's dump, with the count, or null. */
function firstDifference(net: Network, dir: string, tensors: Map<string, Int8Array | Int16Array>): string | null {
  const dumps = fs.readdirSync(path.join(dir, 'intermediates'));
  for (const layer of net.layers) {
    const t = net.tensors.get(layer.outputs[0])!;
    const file = dumps.find((f) => f.startsWith(`t${t.tfliteIndex}_`));
    if (!file) return `${layer.name}: no TFLM dump for tensor t${t.tfliteIndex}`;
    const want = int8(path.join(dir, 'intermediates', file));
    const got = tensors.get(t.name)!;
    const bad = Array.from(got).reduce((n, v, i) => n + (v === want[i] ? 0 : 1), 0);
    if (bad || got.length !== want.length) return `${layer.name} (${layer.op.name}, t${t.tfliteIndex}): ${bad} of ${want.length} elements differ`;
  }
  return null;
}

describe.each(MODELS)('%s', (name) => {
  const dir = path.join(fixtures, 'models', name);
  const model = path.join(dir, `${name}.tflite`);
  const fromTflite = loadNetwork(model);
  const specFile = writeNetwork(importTflite(fs.readFileSync(model), model), path.join(tmp, name));
  const fromSpec = loadNetwork(specFile);

  it.each([0, 1, 2, 3])('in_%i gives TFLM output exactly (from the .tflite and from the spec)', (k) => {
    const input = int8(path.join(dir, `in_${k}.npy`));
    const want = Array.from(int8(path.join(dir, `out_${k}.npy`)));
    expect(Array.from(runNetwork(fromTflite, [input]).outputs[0])).toEqual(want);
    expect(Array.from(runNetwork(fromSpec, [input]).outputs[0])).toEqual(want);
  });

  it('every intermediate tensor of in_0 matches TFLM by tensor index', () => {
    const run = runNetwork(fromTflite, [int8(path.join(dir, 'in_0.npy'))]);
    expect(firstDifference(fromTflite, dir, run.tensors)).toBeNull();
    // every dumped tensor is one the network computes
    const indices = new Set([...fromTflite.tensors.values()].map((t) => t.tfliteIndex));
    for (const f of fs.readdirSync(path.join(dir, 'intermediates'))) expect(indices.has(Number(/^t(\d+)_/.exec(f)![1]))).toBe(true);
  });

  it('the MAC count is the manifest\'s', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    expect(fromTflite.layers.reduce((a, l) => a + l.macs, 0)).toBe(manifest.macs.total);
    expect(fromTflite.layers.map((l) => l.op.name.toUpperCase())).toEqual(manifest.ops.sequence);
  });
});

describe('a broken layer is named', () => {
  it('the comparison names the first layer whose output differs', () => {
    const dir = path.join(fixtures, 'models', 'kws_ref_model');
    const net = loadNetwork(path.join(dir, 'kws_ref_model.tflite'));
    const run = runNetwork(net, [int8(path.join(dir, 'in_0.npy'))]);
    const t = run.tensors.get('t24')!;
    t[17] = (t[17] + 1) & 0x7f; // what an off-by-one in conv_2d_1 would leave
    expect(firstDifference(net, dir, run.tensors)).toMatch(/^conv_2d_1 \(conv_2d, t24\): 1 of 8000 elements differ/);
  });
});
