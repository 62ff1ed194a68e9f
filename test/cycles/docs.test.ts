/** docs/cycles.md carries every cycle model's notes and table exactly as the code that costs instructions has them. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycleModels } from '../../src/cycles/index.ts';
import { modelMarkdown } from '../../src/cycles/docs.ts';
import { targets } from '../../src/targets/index.ts';
import { root } from '../helpers.ts';

describe('docs/cycles.md', () => {
  const page = fs.readFileSync(path.join(root, 'docs', 'cycles.md'), 'utf8');

  it('shows each model\'s table as the code has it (regenerate with src/cycles/docs.ts when a row changes)', () => {
    for (const m of cycleModels) expect(page, m.id).toContain(modelMarkdown(m));
  });

  it('every target run under QEMU has a cycle model, and every model a target', () => {
    for (const t of targets.filter((x) => x.run === 'qemu')) expect(t.cycleModel, t.name).toBeDefined();
    for (const m of cycleModels) expect(targets.some((t) => t.cycleModel === m.id), m.id).toBe(true);
  });
});
