/** The per-core tuning rows: every target reads a row of its own core, and every value says where it came from. */
import { describe, expect, it } from 'vitest';
import { coreTuning, tuningOf } from '../../src/tuning/cores.ts';
import { findTarget, targets } from '../../src/targets/index.ts';

describe('tuning rows per core', () => {
  it('every target names a core that has a row, and boards share their emulated twin\'s row', () => {
    for (const t of targets) expect(coreTuning[t.features.core], t.name).toBeDefined();
    for (const t of targets.filter((x) => x.verifyOn)) expect(t.features.core).toBe(findTarget(t.verifyOn!)!.features.core);
  });

  it('Cortex-M4, M7 and M33 read rows of their own (tuned apart, not one v7em row)', () => {
    const rows = ['cortex-m4', 'cortex-m7', 'cortex-m33'].map((n) => tuningOf(findTarget(n)!.features));
    expect(rows.map((r) => r.core)).toEqual(['cortex-m4', 'cortex-m7', 'cortex-m33']);
  });

  it('every value carries a measured: note', () => {
    for (const row of Object.values(coreTuning)) {
      const values = Object.keys(row).filter((k) => k !== 'core' && k !== 'measured');
      expect(Object.keys(row.measured).sort(), row.core).toEqual(values.sort());
      for (const k of values) expect(row.measured[k as keyof typeof row.measured].length, `${row.core} ${k}`).toBeGreaterThan(10);
    }
  });
});
