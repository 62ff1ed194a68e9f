/**
 * Parameter bytes (issue 17: "parameters at most the model's own weight bytes"): every family stores a per-channel
 * quantity as a constant when all channels share it and otherwise in the narrowest type that holds it
 * (src/ir/output-stage.ts). A per-tensor model (anomaly detection) then needs no bytes beyond its weights and biases
 * on any target (the compiled module object's .rodata + .data, as bench measures it), and no generated table repeats
 * one value in every entry.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { channelQuantity, narrowestType } from '../../src/ir/output-stage.ts';
import { generateNetwork } from '../../src/network/c/module.ts';
import { loadNetwork } from '../../src/network/load.ts';
import { writeModule } from '../../src/network/verify.ts';
import { analyzeKernelObject } from '../../src/measure/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { fixtures } from '../helpers.ts';

describe('per-channel tables', () => {
  it('take the narrowest type that holds every value', () => {
    expect(narrowestType([0, 7, 255])).toBe('uint8_t');
    expect(narrowestType([0, 7, 255], false)).toBe('int16_t');
    expect(narrowestType([-128, 127])).toBe('int8_t');
    expect(narrowestType([-129, 5])).toBe('int16_t');
    expect(narrowestType([-32768, 32767])).toBe('int16_t');
    expect(narrowestType([40000])).toBe('int32_t');
    expect(narrowestType([-(2 ** 31), 2 ** 31 - 1])).toBe('int32_t');
    expect(narrowestType([2n ** 31n])).toBe('int64_t');
  });

  it('are constants where every channel shares the value', () => {
    expect(channelQuantity([1518500250, 1518500250], 't')).toEqual({ k: 'const', value: 1518500250 });
    expect(channelQuantity([7, 6], 't')).toMatchObject({ k: 'table', table: 't', cType: 'uint8_t' });
  });
});

const TARGETS = ['arm920t', 'cortex-m4', 'cortex-m55', 'cortex-a9'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-params-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Each `static const T name[...] = { ... };` of a C text: its name and its values (comments removed). */
function tables(c: string): { name: string; values: string[] }[] {
  return [...c.matchAll(/^static const [a-z_0-9 ]+ (\w+)\[[^\]]*\][^=\n]*= \{\n([\s\S]*?)^\};/gm)].map((m) => ({
    name: m[1], values: m[2].replace(/\/\*[\s\S]*?\*\//g, '').split(',').map((v) => v.trim()).filter((v) => v !== ''),
  }));
}

describe('parameters of the anomaly-detection model (per-tensor quantization)', () => {
  const net = loadNetwork(path.join(fixtures, 'models', 'ad01_int8', 'ad01_int8.tflite'));
  for (const t of TARGETS)
    it(`on ${t}: at most its weights and biases, no table of one repeated value`, async () => {
      const target = findTarget(t)!;
      const mod = generateNetwork(net, { target, optimize: 'default' });
      // as bench measures it: the compiled module object's .rodata + .data
      const dir = path.join(tmp, t);
      writeModule(mod, path.join(dir, 'net'));
      const { size } = await analyzeKernelObject(target, mod.name, path.join(dir, 'net'), path.join(dir, 'obj'));
      expect(size.rodata + size.data).toBeLessThanOrEqual(mod.modelWeightBytes);
      const c = mod.files.find((f) => f.name.endsWith('.c'))!.content;
      const repeated = tables(c).filter((x) => x.values.length > 1 && x.values.every((v) => v === x.values[0])).map((x) => x.name);
      expect(repeated).toEqual([]);
    }, 60_000);
});
