/**
 * The default timeout scales with the layer (src/qemu/timeout.ts): its instruction bound is above every kernel call
 * measured in docs/benchmarks.json (counted under QEMU, deterministic), so a slow but healthy layer is not killed as
 * a hang; issue 15's layer (64->64, 11x11, 224x224) gets hours, a small one keeps the minute.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/codegen/index.ts';
import { BASE_SECONDS, callInstructions, EMULATOR_IPS, scaledTimeout, type TimedVariant } from '../../src/qemu/timeout.ts';
import { loadSpec } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { model, root } from '../helpers.ts';

interface BenchResult { spec: string; target: string; variant: TimedVariant; optimize?: string; instructions: number | null }

describe('the default timeout', () => {
  it('bounds every kernel call measured by the bench (instructions counted under QEMU)', async () => {
    const { results } = JSON.parse(fs.readFileSync(path.join(root, 'docs', 'benchmarks.json'), 'utf8')) as { results: BenchResult[] };
    const measured = results.filter((r) => r.instructions !== null);
    expect(measured.length).toBeGreaterThan(300);
    let closest = Infinity;
    const models = new Map<string, Awaited<ReturnType<typeof loadSpec>>>();
    for (const r of measured) {
      if (!models.has(r.spec)) models.set(r.spec, await loadSpec(path.join(root, r.spec)));
      const m = models.get(r.spec)!;
      const t = findTarget(r.target)!;
      const family = r.variant === 'optimized' ? generate(m, { isa: t.features, optimize: r.optimize === 'speed' ? 'speed' : 'default' }).family : null;
      const bound = callInstructions(m, t, r.variant, family);
      expect(bound, `${r.spec} on ${r.target} (${r.variant})`).toBeGreaterThan(r.instructions!);
      closest = Math.min(closest, bound / r.instructions!);
    }
    // Not a bound by a mile everywhere: the worst-measured kernel comes within 2x of it.
    expect(closest).toBeLessThan(2);
  }, 120_000);

  it("gives issue 15's slow layer (64->64, 11x11, 224x224) hours, not the minute that killed it", () => {
    const m = model({ name: 'slow', input: { channels: 64, height: 224, width: 224 }, output: { channels: 64 }, kernel: 11, padding: 'same',
      numeric: { type: 'q15', inputFrac: 12, weightFrac: 14, outputFrac: 12 } });
    const t = findTarget('arm920t')!;
    const k = generate(m, { isa: t.features });
    const timeout = scaledTimeout(m, t, 'optimized', k.family, 5);
    // ~25 G MACs per call, 5 calls, at least 12 instructions per MAC: over 1.5 T instructions.
    expect(timeout.seconds).toBeGreaterThan((5 * 24.9e9 * 12) / EMULATOR_IPS);
    expect(timeout.why).toMatch(/^the default for this layer: 24,868,\d{3},\d{3} MACs x 5 inputs at a pessimistic emulator speed; --timeout sets another$/);
  });

  it('keeps about a minute for a small layer, and grows with the target and the type', () => {
    const small = model();
    const [a32, m0] = [findTarget('arm920t')!, findTarget('cortex-m0')!];
    expect(scaledTimeout(small, a32, 'optimized', 'blocked', 5).seconds).toBeLessThanOrEqual(BASE_SECONDS + 1);
    const mid = model({ input: { channels: 16, height: 32, width: 32 }, output: { channels: 16 } });
    const q31 = model({ input: { channels: 16, height: 32, width: 32 }, output: { channels: 16 }, numeric: { type: 'q31', inputFrac: 20, weightFrac: 20, outputFrac: 20 } });
    expect(callInstructions(mid, m0, 'naive', null)).toBeGreaterThan(1.9 * callInstructions(mid, a32, 'naive', null));
    expect(callInstructions(q31, a32, 'naive', null)).toBeGreaterThan(1.9 * callInstructions(mid, a32, 'naive', null));
    expect(callInstructions(mid, a32, 'naive', null)).toBeGreaterThan(callInstructions(mid, a32, 'optimized', 'blocked'));
  });
});
