/**
 * Every ONNX network of the suite (NETWORK_CASES: the float residual, depthwise-separable and activations CNNs
 * through calibration, the residual CNN's QDQ export) as one C module, bit-exact with the golden model at every layer on the host and under
 * QEMU on arm920t and cortex-m4: one build and one emulator start per (network, target), on poisoned memory, with
 * three inputs from the calibration distribution (as a device would be given them) and the extremes. A table printed
 * one row out of place must fail on the device, naming its layer.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { networkTestInputs } from '../../src/network/inputs.ts';
import { verifyNetwork, type NetworkCheck } from '../../src/network/verify.ts';
import { pool } from '../../src/pool.ts';
import { findTarget } from '../../src/targets/index.ts';
import { rotateTableRows } from '../ops/helpers.ts';
import { build, expectBitExact, NETWORK_CASES, type ImportedCase } from './network-cases.ts';

const TARGETS = ['host', 'arm920t', 'cortex-m4'];
const target = (name: string) => findTarget(name)!;
/** Three real images (a device's inputs) and the extremes: all −128, all 127, alternating, the zero point. */
const inputs = (c: ImportedCase) => [...c.inputsInt8.slice(0, 3), ...networkTestInputs(c.net, 1, 0)];

const cases = NETWORK_CASES.map((mk) => build(mk()));
const results = new Map<string, NetworkCheck>();

beforeAll(async () => {
  const pairs = cases.flatMap((c) => TARGETS.map((t) => ({ c, t })));
  await pool(pairs, 2, async ({ c, t }) => {
    results.set(`${c.name}/${t}`, await verifyNetwork(c.net, target(t), { inputs: inputs(c), timeoutSeconds: 120, layers: true }));
  });
}, 600_000);

describe.each(cases.map((c) => c.name))('%s', (name) => {
  it.each(TARGETS)('on %s: bit-exact at every layer for 7 inputs', (t) => {
    expectBitExact(results.get(`${name}/${t}`)!, 7);
  });
});

describe('a wrong lowering on the device', () => {
  it('arm920t: the LeakyRelu table one row (16 entries) out of place fails, and the trace names that layer', async () => {
    const c = cases.find((x) => x.name === 'residual_cnn')!;
    const r = await verifyNetwork(c.net, target('arm920t'), {
      inputs: c.inputsInt8.slice(0, 1), timeoutSeconds: 120, layers: true,
      transformLayer: (layer, code) => (layer === 'pw_act_leakyrelu' ? rotateTableRows(code) : code),
    });
    expect(r.status).toBe('fail');
    expect(r.firstLayer).toMatchObject({ name: 'pw_act_leakyrelu', input: 0 });
  });
});
