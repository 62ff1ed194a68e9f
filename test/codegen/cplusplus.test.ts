/**
 * The generated headers work from C++: a C++ file includes a kernel's header (or a network module's) and calls it,
 * compiled with the target's g++ and linked with the C object. Without extern "C" the link misses the mangled
 * name; a `restrict` that C++ sees fails the C++ compile.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { generate, writeKernel, type VariantName } from '../../src/codegen/index.ts';
import { generateNetwork } from '../../src/network/c/module.ts';
import { writeModule } from '../../src/network/verify.ts';
import { loadSpec } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget, type Target } from '../../src/targets/index.ts';
import { root } from '../helpers.ts';
import { mixedNetwork } from '../network/synthetic.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-cxx-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const strict = ['-O2', '-Wall', '-Wextra', '-Werror'];

/** Compile the C with gcc, the C++ with g++ (both for the target), and link them into one image. */
async function buildMixed(t: Target, dir: string, c: string, cxx: string): Promise<void> {
  const flags = t.cpuFlags;
  const cObj = path.join(dir, 'kernel.o');
  const cxxObj = path.join(dir, 'use.o');
  await execa('arm-none-eabi-gcc', ['-std=c99', ...strict, ...flags, '-I', dir, '-c', c, '-o', cObj]);
  await execa('arm-none-eabi-g++', ['-std=c++11', ...strict, '-fno-exceptions', '-fno-rtti', ...flags, '-I', dir, '-c', cxx, '-o', cxxObj]);
  // linked by the C driver: the C++ needs no libstdc++ (no exceptions, no RTTI), which the toolchain may not ship
  await execa('arm-none-eabi-gcc', [...flags, '--specs=nosys.specs', cxxObj, cObj, '-o', path.join(dir, 'image.elf')]);
}

// One kernel per family, on the targets whose families they are.
const cases: { target: string; spec: string; variant: VariantName }[] = [
  { target: 'arm920t', spec: 'examples/edge3x3.json', variant: 'reference' },
  { target: 'cortex-m0', spec: 'examples/q15_chw_rows.json', variant: 'naive' },
  { target: 'arm920t', spec: 'examples/int8_hwc.json', variant: 'optimized' },
  { target: 'cortex-m4', spec: 'bench/a_3x3_16to16_32x32_q15.json', variant: 'optimized' },
  { target: 'cortex-m4', spec: 'bench/c_1x1_32to32_16x16_int8.json', variant: 'optimized' },
  { target: 'cortex-m55', spec: 'examples/int8_hwc.json', variant: 'optimized' },
  { target: 'cortex-m55', spec: 'bench/a_3x3_16to16_32x32_q7.json', variant: 'optimized' },
  { target: 'cortex-a9', spec: 'examples/edge3x3.json', variant: 'optimized' },
  { target: 'cortex-a9', spec: 'examples/int8_hwc.json', variant: 'optimized' },
];

describe('generated headers from C++', () => {
  const families = new Set<string>();

  for (const x of cases)
    it(`${x.spec} (${x.variant}, ${x.target}): g++ includes the header, calls the kernel and links with the C`, async () => {
      const t = findTarget(x.target)!;
      const k = generate(await loadSpec(path.join(root, x.spec)), { variant: x.variant, target: t });
      families.add(k.family ?? k.variant);
      const dir = path.join(tmp, `${x.target}-${x.variant}-${k.name}`);
      writeKernel(k, dir);
      const h = k.files.find((f) => f.name === `${k.name}.h`)!.content;
      expect(h).toContain('extern "C" {');
      const cType = /void \w+_run\(const (\w+) \*/.exec(h)![1];
      const N = k.name.toUpperCase();
      fs.writeFileSync(path.join(dir, 'use.cpp'), [
        `#include "${k.name}.h"`,
        `static ${cType} in[${N}_INPUT_ELEMS], out[${N}_OUTPUT_ELEMS];`,
        `int main() { ${k.name}_run(in, out); return static_cast<int>(out[0]); }`, '',
      ].join('\n'));
      await buildMixed(t, dir, path.join(dir, `${k.name}.c`), path.join(dir, 'use.cpp'));
    });

  it('covered every kernel family and the portable variants', () => {
    expect([...families].sort()).toEqual(['blocked', 'mve', 'mve-chw', 'naive', 'neon', 'neon-hwc', 'pointwise', 'reference']);
  });

  for (const target of ['cortex-m4', 'cortex-a9'])
    it(`a network module (${target}): g++ includes its header, calls <net>_run and links with the C`, async () => {
      const t = findTarget(target)!;
      const mod = generateNetwork(mixedNetwork(), { target: t });
      const dir = path.join(tmp, `net-${target}`);
      writeModule(mod, dir);
      fs.writeFileSync(path.join(dir, 'use.cpp'), [
        '#include "mixed.h"',
        'static long long arena[(MIXED_ARENA_BYTES + 7) / 8], in[(MIXED_INPUT_BYTES + 7) / 8], out[(MIXED_OUTPUT_BYTES + 7) / 8];',
        'int main() { return mixed_run(reinterpret_cast<const int8_t *>(in), reinterpret_cast<int8_t *>(out), arena); }', '',
      ].join('\n'));
      await buildMixed(t, dir, path.join(dir, 'mixed.c'), path.join(dir, 'use.cpp'));
    });
});
