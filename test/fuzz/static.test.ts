/**
 * Static guarantees: every variant of a sample of fuzzed specs (plus the examples) compiles with
 * -std=c99 -pedantic -Wall -Wextra -Wconversion -Wshadow -Wcast-align -Werror under gcc and clang, for the host
 * and for every ARM target's cpuFlags. Objects are compiled one translation unit per kernel.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generate, variantNames, writeKernel } from '../../src/codegen/index.ts';
import { kernelName, makeCase, sampleSpecs } from '../../src/fuzz/index.ts';
import { STRICT_FLAGS, strictCompile, type CompilerName } from '../../src/fuzz/static.ts';
import { loadSpec, type KernelModel } from '../../src/ops/conv_2d/spec/index.ts';
import { targets } from '../../src/targets/index.ts';
import { root } from '../helpers.ts';

const SPECS = Number(process.env.CONVGEN_STATIC_SPECS ?? 5);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-static-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

async function models(): Promise<KernelModel[]> {
  const fuzzed = sampleSpecs(SPECS, 4242).map((s, i) => makeCase(s, i, i, `s${i}`).model);
  const examples = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json')).map((f) => path.join(root, 'examples', f));
  // A q7 kernel whose output stage saturates with SSAT on the DSP cores (no example reaches it; GCC's ACLE __ssat
  // macro once broke -Wconversion there).
  // The int8 stage's DSP form with SSAT (requantize-dsp.ts: the examples' int8 kernels clamp to a narrowed range).
  const extra = [path.join(root, 'bench', 'a_3x3_16to16_32x32_q7.json'), path.join(root, 'bench', 'a_3x3_16to16_32x32_int8.json')];
  return [...fuzzed, ...await Promise.all([...examples, ...extra].map((f) => loadSpec(f)))];
}

describe(`strict flags (${STRICT_FLAGS.join(' ')})`, async () => {
  const ms = await models();
  const compilers: CompilerName[] = ['gcc', 'clang'];
  for (const target of targets) {
    // Kernels are generated per target: the optimized variant sizes its blocking to the target's ISA.
    const sources: string[] = [];
    for (const m of ms)
      for (const variant of variantNames) {
        const name = kernelName(ms.indexOf(m), variant).replace(/^f/, `k${m.name.slice(0, 8)}_`);
        const dir = path.join(work, target.name, name);
        writeKernel(generate({ ...m, name }, { variant, isa: target.features }), dir);
        sources.push(path.join(dir, `${name}.c`));
      }
    for (const compiler of compilers)
      it.concurrent(`${compiler}, ${target.name}: ${ms.length} specs × ${variantNames.length} variants`, async () => {
        // The host compiles one translation unit per kernel (a missing #include cannot hide behind a neighbour);
        // the ARM targets one unit for all of them (a compiler start costs more than a kernel).
        const r = await strictCompile(compiler, target, sources, path.join(work, target.name, `obj-${compiler}`), { unity: target.run !== 'host' });
        expect(r.output ?? '', `${r.command}`).toBe('');
        expect(r.ok).toBe(true);
      });
  }
});
