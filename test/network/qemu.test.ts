/**
 * The three MLPerf Tiny models as one C module each, bit-exact with TensorFlow Lite Micro on every shared input
 * (in_0..in_3), on the host and under QEMU on every target: one build and one emulator start per (model, target),
 * the four inputs batched, arena, output and stack poisoned before each inference. A target the model does not fit
 * is reported with why (RAM or flash, with the numbers). Then the synthetic network on the families' other cores,
 * and a wrong layer named through the trace on the device.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runNetwork } from '../../src/network/golden.ts';
import { networkTestInputs } from '../../src/network/inputs.ts';
import { loadNetwork } from '../../src/network/load.ts';
import type { Network } from '../../src/network/network.ts';
import { verifyNetwork, type NetworkCheck } from '../../src/network/verify.ts';
import { readNpy } from '../../src/npy/index.ts';
import { pool } from '../../src/pool.ts';
import { targets, type Target } from '../../src/targets/index.ts';
import { fixtures } from '../helpers.ts';
import { mixedNetwork } from './synthetic.ts';

const MODELS = ['kws_ref_model', 'pretrainedResnet_quant', 'ad01_int8'];
const TARGETS = targets.filter((t) => t.run === 'qemu' || t.run === 'host');
/** What does not fit, and which memory: the Cortex-M0 board (micro:bit) has 16 KiB of RAM and 256 KiB of flash. */
const DOES_NOT_FIT: Record<string, Record<string, RegExp>> = {
  kws_ref_model: { 'cortex-m0': /^does not fit cortex-m0 \(QEMU microbit\): RAM: arena 16000 \+ input 490 \+ output 12 \+ the image's stack 2048 = 18,550 B, the machine has 16,384 B/ },
  pretrainedResnet_quant: { 'cortex-m0': /^does not fit cortex-m0 \(QEMU microbit\): RAM: arena 49152 \+ .* the machine has 16,384 B/ },
  ad01_int8: { 'cortex-m0': /^does not fit cortex-m0 \(QEMU microbit\): flash: code \d+ \+ parameters \d+ = [\d,]+ B, the machine has 262,144 B/ },
};

const int8 = (file: string) => Int8Array.from(readNpy(file).data as Int8Array);

interface Case {
  name: string;
  net: Network;
  target: Target;
  inputs: Int8Array[];
}

const cases: Case[] = MODELS.flatMap((name) => {
  const dir = path.join(fixtures, 'models', name);
  const net = loadNetwork(path.join(dir, `${name}.tflite`));
  const inputs = [0, 1, 2, 3].map((k) => int8(path.join(dir, `in_${k}.npy`)));
  return TARGETS.map((target) => ({ name, net, target, inputs }));
});
const results = new Map<Case, NetworkCheck>();

beforeAll(async () => {
  // Two at a time: compiling the modules is most of the time.
  await pool(cases, 2, async (c) => results.set(c, await verifyNetwork(c.net, c.target, { inputs: c.inputs, timeoutSeconds: 120 })));
}, 600_000);

describe.each(MODELS)('%s', (name) => {
  it('the golden model gives TFLM\'s outputs for in_0..in_3 (what the devices are compared with)', () => {
    const c = cases.find((x) => x.name === name)!;
    c.inputs.forEach((x, k) => expect(Array.from(runNetwork(c.net, [x]).outputs[0])).toEqual(Array.from(int8(path.join(fixtures, 'models', name, `out_${k}.npy`)))));
  });

  it.each(TARGETS.map((t) => t.name))('on %s: bit-exact on in_0..in_3, or does not fit with why', (t) => {
    const r = results.get(cases.find((x) => x.name === name && x.target.name === t)!)!;
    const fit = DOES_NOT_FIT[name][t];
    if (fit) {
      expect(r.status).toBe('does-not-fit');
      expect(r.note).toMatch(fit);
      return;
    }
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
    expect(r.inputs).toBe(4);
  });
});

describe('the synthetic network (every op, conv families) on the other cores', () => {
  const net = mixedNetwork();
  it.each(['arm926ej-s', 'cortex-m3', 'cortex-m55', 'cortex-a9'])('on %s: bit-exact at every layer', async (t) => {
    const r = await verifyNetwork(net, targets.find((x) => x.name === t)!, { inputs: networkTestInputs(net, 5, 2), timeoutSeconds: 60, layers: true });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
  });
});

describe('a wrong layer on the device', () => {
  it('arm920t: the trace (layers.bin over semihosting) names the first layer that differs', async () => {
    const c = cases.find((x) => x.name === 'ad01_int8')!;
    const r = await verifyNetwork(c.net, targets.find((x) => x.name === 'arm920t')!, {
      inputs: c.inputs.slice(0, 2), timeoutSeconds: 60,
      transformLayer: (layer, code) => {
        if (layer !== 'fully_connected_6' || code.k !== 'embedded') return code;
        const wrong = `${code.entry}_wrong`;
        return { ...code, entry: wrong, text: `${code.text}\nstatic void ${wrong}(const int8_t *input, int8_t *output)\n` +
          `{\n    ${code.entry}(input, output);\n    output[100] = (int8_t)(output[100] ^ 4);\n}\n` };
      },
    });
    expect(r.status).toBe('fail');
    expect(r.firstLayer).toMatchObject({ name: 'fully_connected_6', layer: 6, input: 0, index: 100 });
  });
});

