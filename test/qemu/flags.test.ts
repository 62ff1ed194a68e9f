/**
 * Users compile the generated C with their own flags. The optimized kernels lean on GCC behaviour (inline assembly
 * on split accumulators, registers pinned with local register variables, memcpy word loads), so they must stay
 * bit-exact whatever the optimization level: -O0 (no helper inlined: every seed, load and finish helper a call),
 * -Os, -O3 with a frame pointer, and -ffreestanding -fno-builtin (memcpy a real call). Pinning accumulators to
 * call-clobbered registers passed at -O2 and failed here.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../src/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { verifyPair } from '../../src/verify/index.ts';
import { root } from '../helpers.ts';

// halves + split + pinned (arm926ej-s), staged dual (cortex-m4), depthwise single split (A32), lane2 (arm920t int8)
const specs = ['examples/q15_chw_rows.json', 'examples/depthwise_s2.json', 'examples/int8_hwc.json'];
const flagSets = [['-O0'], ['-Os'], ['-O3', '-fno-omit-frame-pointer'], ['-O2', '-ffreestanding', '-fno-builtin']];

describe('optimized kernels under other compiler flags', () => {
  for (const target of ['arm920t', 'arm926ej-s', 'cortex-m4'])
    it(`${target}: bit-exact at ${flagSets.map((f) => f.join(' ')).join(', ')}`, async () => {
      const failures: string[] = [];
      for (const spec of specs) {
        const m = await loadSpec(path.join(root, spec));
        for (const extraFlags of flagSets) {
          const r = await verifyPair(m, findTarget(target)!, { seed: 5, timeoutSeconds: 300, variant: 'optimized', extraFlags });
          if (r.status !== 'pass') failures.push(`${spec} ${extraFlags.join(' ')}: ${r.error ?? JSON.stringify(r.first)}`);
        }
      }
      expect(failures).toEqual([]);
    }, 900_000);
});
