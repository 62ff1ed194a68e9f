import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { generate, writeKernel } from '../../src/codegen/index.ts';
import { expandTargets, targets, targetsMakefile } from '../../src/targets/index.ts';
import { firmwareDir } from '../../src/toolchain/index.ts';
import { model } from '../helpers.ts';

describe('target table', () => {
  it('firmware/targets.mk is generated from the table and up to date', () => {
    expect(fs.readFileSync(path.join(firmwareDir, 'targets.mk'), 'utf8')).toBe(targetsMakefile());
  });

  it('every row names files that exist', () => {
    for (const t of targets)
      for (const f of [t.linkerScript, t.startup, t.harness].filter(Boolean))
        expect(fs.existsSync(path.join(firmwareDir, f!)), `${t.name}: ${f}`).toBe(true);
  });

  it("every row's stackBytes is its linker script's main and exception stacks (the memory check counts them)", () => {
    for (const t of targets.filter((x) => x.linkerScript)) {
      const ld = fs.readFileSync(path.join(firmwareDir, t.linkerScript!), 'utf8');
      const size = (sym: string) => Number(new RegExp(`${sym} = (0x[0-9a-f]+|\\d+);`, 'i').exec(ld)![1]);
      expect(t.stackBytes, t.name).toBe(size('__default_stack_size') + size('__exc_stack_size'));
    }
  });

  it('every build-only board is proved on an emulated twin with the same core flags and ISA', () => {
    const boards = targets.filter((t) => t.run === 'build-only');
    expect(boards.map((t) => t.name)).toEqual(['s3c2410']);
    for (const b of boards) {
      const twin = targets.find((t) => t.name === b.verifyOn);
      expect(twin?.run, b.name).toBe('qemu');
      expect(twin!.cpuFlags).toEqual(b.cpuFlags);
      expect(twin!.features).toEqual(b.features);
    }
    expect(targets.find((t) => t.name === 'arm920t')!.qemu).toMatchObject({ machine: 'versatilepb', cpu: 'ti925t' });
  });

  it('expands all to the QEMU targets and reports unknown names', () => {
    expect(expandTargets('all').found.map((t) => t.name)).toHaveLength(9);
    expect(expandTargets('arm920t,host,nope')).toMatchObject({ unknown: ['nope'] });
  });

  it('firmware/Makefile builds an image by hand from a generated kernel folder', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-make-'));
    try {
      writeKernel(generate(model({ name: 'byhand' })), path.join(dir, 'k'));
      await execa('make', ['-s', '-C', firmwareDir, 'TARGET=cortex-m4', `KERNEL=${path.join(dir, 'k')}`, `BUILD=${path.join(dir, 'b')}`]);
      expect(fs.existsSync(path.join(dir, 'b', 'convgen.elf'))).toBe(true);
      expect(fs.statSync(path.join(dir, 'b', 'convgen.bin')).size).toBeGreaterThan(100);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
