/**
 * The network C module on the host: safe C names, the IR ops' C as a reviewed golden file, bit-exact runs of every
 * layer on poisoned memory, a deliberately wrong layer named as the first that differs, the header from C++, and
 * run()'s argument checks.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { assign, bin, index } from '../../src/ir/expr.ts';
import type { Item } from '../../src/ir/kernel-ir.ts';
import { generateNetwork } from '../../src/network/c/module.ts';
import { cIdentifier, layerCNames } from '../../src/network/c/names.ts';
import { networkTestInputs } from '../../src/network/inputs.ts';
import { loadNetwork } from '../../src/network/load.ts';
import { verifyNetwork, writeModule } from '../../src/network/verify.ts';
import type { LayerCode } from '../../src/ops/op.ts';
import { findTarget } from '../../src/targets/index.ts';
import { fixtures } from '../helpers.ts';
import { mixedNetwork, opsNetwork, reshapedOutputNetwork } from './synthetic.ts';

const host = findTarget('host')!;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-netmod-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A layer's IR function with one more statement at its end: output[0] ^= 1 (every input then differs there). */
function flipFirstOutput(code: LayerCode): LayerCode {
  if (code.k !== 'ir') throw new Error('expected an IR layer');
  const items = code.items.map((it): Item => it.k === 'func' && it.fn.name === code.entry
    ? { ...it, fn: { ...it.fn, body: [...it.fn.body, { k: 'expr', e: assign(index('output', 0), bin('^', index('output', 0), 1)) }] } }
    : it);
  return { ...code, items };
}

describe('C names', () => {
  it('any spec name becomes a lower-case C identifier that is not a C or C++ keyword', () => {
    expect(cIdentifier('MaxPool')).toBe('maxpool');
    expect(cIdentifier('block1/conv 2')).toBe('block1_conv_2');
    expect(cIdentifier('2d')).toBe('n2d');
    expect(cIdentifier('int')).toBe('int_');
    expect(cIdentifier('class')).toBe('class_');
    expect(cIdentifier('___')).toBe('net');
  });

  it('layers keep their names unless one would own another\'s symbols; then every layer gets l<index>_', () => {
    expect(layerCNames(['conv_2d_0', 'Pool'], ['net'])).toEqual(['conv_2d_0', 'pool']);
    // conv owns conv_1_run; Conv and conv are one identifier; a layer named like the network or a shared helper
    for (const [names, reserved] of [[['conv', 'conv_1'], []], [['Conv', 'conv'], []], [['kws', 'x'], ['kws']], [['srdhm', 'x'], ['srdhm']]] as const)
      expect(layerCNames([...names], [...reserved])).toEqual(names.map((n, i) => `l${i}_${cIdentifier(n)}`));
  });
});

describe('the ops network (every IR lowering)', () => {
  const net = opsNetwork();
  const mod = generateNetwork(net, { target: host });

  it('prints C as reviewed (golden files)', async () => {
    for (const f of mod.files) await expect(f.content).toMatchFileSnapshot(path.join('__golden__', 'opsnet', f.name));
  });

  it('plans in place and alias layers as the plan says, and names every layer and tensor in the header', () => {
    const h = mod.files.find((f) => f.name === 'opsnet.h')!.content;
    expect(mod.layers.find((l) => l.name === 'flatten')!.code).toBe('alias');
    expect(mod.layers.filter((l) => l.summary.includes('in place')).map((l) => l.name)).toContain('MaxPool');
    for (const l of net.layers) expect(h).toContain(`  ${l.name}: ${l.op.name}, `);
    for (const t of net.tensors.keys()) expect(h).toMatch(new RegExp(`\\n \\*   ${t} +\\d+ B  `));
    expect(h).toContain(`#define OPSNET_ARENA_BYTES ${mod.arenaBytes}u`);
  });

  it('is bit-exact on the host at every layer (traced), on poisoned memory, for random and extreme inputs', async () => {
    const r = await verifyNetwork(net, host, { inputs: networkTestInputs(net, 7, 8), timeoutSeconds: 60, layers: true });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
  });

  it('a wrong IR layer is named even where the output hides it (every layer compared)', async () => {
    const r = await verifyNetwork(net, host, {
      inputs: networkTestInputs(net, 7, 2), timeoutSeconds: 60, layers: true,
      transformLayer: (name, code) => (name === 'requantize' ? flipFirstOutput(code) : code),
    });
    expect(r.status).toBe('fail');
    expect(r.firstLayer).toMatchObject({ name: 'requantize', layer: 4, input: 0, index: 0 });
  });
});

describe('a network with conv, depthwise and fully connected layers', () => {
  const net = mixedNetwork();

  it.each(['default', 'speed'] as const)('is bit-exact on the host at every layer (--optimize %s)', async (optimize) => {
    const r = await verifyNetwork(net, host, { inputs: networkTestInputs(net, 3, 6), timeoutSeconds: 60, layers: true, optimize });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
  });

  it('--optimize speed scales ADD\'s inputs from tables', () => {
    const c = (optimize: 'default' | 'speed') => generateNetwork(net, { target: host, optimize }).files.find((f) => f.name === 'mixed.c')!.content;
    expect(c('speed')).toMatch(/static const int32_t residual_scaled1\[256\] = \{/);
    expect(c('default')).not.toContain('residual_scaled1');
  });
});

describe('ad01 with a deliberately wrong layer', () => {
  const net = loadNetwork(path.join(fixtures, 'models', 'ad01_int8', 'ad01_int8.tflite'));

  it('the output differs and the trace names the first layer that differs (and no earlier one)', async () => {
    // The layer's embedded kernel, then a wrapper that flips a bit of its first output: the module calls the wrapper.
    const r = await verifyNetwork(net, host, {
      inputs: networkTestInputs(net, 1, 1), timeoutSeconds: 60,
      transformLayer: (name, code) => {
        if (name !== 'fully_connected_4') return code;
        if (code.k !== 'embedded') throw new Error('expected an embedded kernel');
        const wrong = `${code.entry}_wrong`;
        return { ...code, entry: wrong, text: `${code.text}\nstatic void ${wrong}(const int8_t *input, int8_t *output)\n` +
          `{\n    ${code.entry}(input, output);\n    output[0] = (int8_t)(output[0] ^ 1);\n}\n` };
      },
    });
    expect(r.status).toBe('fail');
    expect(r.mismatches).toBeGreaterThan(0);
    expect(r.firstLayer).toMatchObject({ name: 'fully_connected_4', layer: 4, input: 0 });
  });
});

describe('an output that is a reshape of a larger buffer', () => {
  it('is copied into the caller\'s output, which holds only the output (guards intact, bit-exact)', async () => {
    const net = reshapedOutputNetwork();
    const mod = generateNetwork(net, { target: host });
    expect(mod.layers.map((l) => l.code)).toEqual(['call', 'call', 'call']);
    const r = await verifyNetwork(net, host, { inputs: networkTestInputs(net, 2, 2), timeoutSeconds: 60, layers: true });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
  });
});

describe('the header and run()', () => {
  const net = mixedNetwork();
  const mod = generateNetwork(net, { target: host });
  const dir = path.join(tmp, 'mixed');
  writeModule(mod, dir);

  it('compiles from C++ (extern "C", no restrict) and states the arena, the target and the layers', async () => {
    const h = mod.files.find((f) => f.name === 'mixed.h')!.content;
    expect(h).toContain('extern "C" {');
    expect(h).not.toMatch(/\brestrict\b/);
    expect(h).toMatch(/RAM {8}arena \d+ B \(MIXED_ARENA_BYTES\)/);
    expect(h).toContain('Target     host:');
    fs.writeFileSync(path.join(dir, 'use.cpp'), '#include "mixed.h"\nint main() { static long long arena[(MIXED_ARENA_BYTES + 7) / 8]; ' +
      'static long long in[(MIXED_INPUT_BYTES + 7) / 8], out[(MIXED_OUTPUT_BYTES + 7) / 8];\n' +
      'return mixed_run(reinterpret_cast<const int8_t *>(in), reinterpret_cast<int8_t *>(out), arena); }\n');
    await execa('g++', ['-std=c++11', '-Wall', '-Wextra', '-Werror', '-fsyntax-only', '-I', dir, path.join(dir, 'use.cpp')]);
  });

  it('refuses a NULL or misaligned buffer without writing (MIXED_ERROR_ARGUMENT)', async () => {
    fs.writeFileSync(path.join(dir, 'args.c'), [
      '#include <stdio.h>', '#include <string.h>', '#include "mixed.h"',
      'static long long arena[(MIXED_ARENA_BYTES + 7) / 8], in[(MIXED_INPUT_BYTES + 16) / 8], out[(MIXED_OUTPUT_BYTES + 16) / 8];',
      'int main(void) {',
      '    int8_t *o = (int8_t *)out;',
      '    memset(out, 0x5a, sizeof out);',
      '    printf("%d %d %d %d", mixed_run((const int8_t *)in + 1, o, arena), mixed_run((const int8_t *)in, o + 4, arena),',
      '        mixed_run((const int8_t *)in, o, NULL), mixed_run(NULL, o, arena));',
      '    printf(" %d", o[0] == 0x5a && o[4] == 0x5a);',
      '    printf(" %d\\n", mixed_run((const int8_t *)in, o, arena));',
      '    return 0;', '}'].join('\n'));
    await execa('gcc', ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-I', dir, path.join(dir, 'args.c'), path.join(dir, 'mixed.c'), '-o', path.join(dir, 'args')]);
    expect((await execa(path.join(dir, 'args'))).stdout).toBe('1 1 1 1 1 0');
  });
});
