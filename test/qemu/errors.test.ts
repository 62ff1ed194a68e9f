/** The error paths of the QEMU harness: ARMv4T strictness, guest faults, hangs, missing tools. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { generate, writeKernel } from '../../src/codegen/index.ts';
import { EnvironmentError } from '../../src/errors.ts';
import { runImage } from '../../src/qemu/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { buildImage } from '../../src/toolchain/index.ts';
import { encodeTensors, testInputs } from '../../src/verify/index.ts';
import { model, root } from '../helpers.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-errors-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A generated kernel whose run function first executes `asm` (raw instruction words or a loop). */
async function tamperedImage(targetName: string, tag: string, prologue: string) {
  const m = model({ name: 'tampered' });
  const k = generate(m);
  const dir = path.join(work, tag, 'kernel');
  writeKernel(k, dir);
  const c = path.join(dir, 'tampered.c');
  const text = fs.readFileSync(c, 'utf8').replace(
    /void tampered_run\(([^)]*)\)\n\{\n/, (all) => `${all}    ${prologue}\n`);
  expect(text).toContain(prologue);
  fs.writeFileSync(c, text);
  const built = await buildImage(findTarget(targetName)!, dir, path.join(work, tag, 'build'));
  return { m, built };
}

async function runError(targetName: string, tag: string, prologue: string, timeoutSeconds = 20): Promise<string> {
  const { m, built } = await tamperedImage(targetName, tag, prologue);
  try {
    await runImage(built, encodeTensors(testInputs(m, 1, 1), 16), path.join(work, tag, 'run'), { timeoutSeconds });
  } catch (e) {
    expect(e).toBeInstanceOf(EnvironmentError);
    return (e as Error).message;
  }
  throw new Error('expected the run to fail');
}

describe('guest failures are reported as what they are', () => {
  it('an ARMv5TE instruction (CLZ) in arm920t code faults as an undefined instruction on the strict ARMv4T CPU', async () => {
    // .inst: the assembler for -mcpu=arm920t refuses CLZ by name, which is the point; emit its encoding instead.
    const msg = await runError('arm920t', 'clz', '__asm__ volatile(".inst 0xe16f0f10" ::: "r0"); /* clz r0, r0 */');
    expect(msg).toMatch(/^arm920t: guest fault: undefined-instruction at 0x[0-9a-f]{8}$/);
  });

  it('the same instruction runs on the ARMv5TE arm926ej-s, so the fault is the CPU model, not the harness', async () => {
    const { m, built } = await tamperedImage('arm926ej-s', 'clz926', '__asm__ volatile(".inst 0xe16f0f10" ::: "r0");');
    const r = await runImage(built, encodeTensors(testInputs(m, 1, 1), 16), path.join(work, 'clz926', 'run'), { timeoutSeconds: 20 });
    expect(r.output.length).toBe(4 * m.outC * m.outH * m.outW * 2); // one random input plus the three extremes
  });

  it('a bus error on a Cortex-M is reported with its kind and address', async () => {
    const msg = await runError('cortex-m4', 'bus', '(void)*(volatile const int *)0xF0000000u;');
    expect(msg).toMatch(/^cortex-m4: guest fault: (busfault|hardfault) at 0x[0-9a-f]{8}$/);
  });

  it('a hung guest is killed at the timeout, and the message says it was the timeout', async () => {
    const started = Date.now();
    const msg = await runError('cortex-m3', 'hang', 'for (;;) __asm__ volatile("");', 2);
    expect(msg).toBe('cortex-m3: killed at the timeout, 2 s (the caller\'s): the guest hung, or the run needs longer than that');
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('missing tools', () => {
  const bin = path.join(root, 'bin', 'convgen.mjs');
  const spec = path.join(root, 'examples', 'edge3x3.json');

  it('no cross compiler: exit 3 and the command that installs it', async () => {
    const r = await execa(process.execPath, [bin, 'test', spec, '--target', 'cortex-m4'], { reject: false, env: { PATH: '/nonexistent' } });
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toMatch(/arm-none-eabi-gcc not found on PATH; install it with: apt-get install -y gcc-arm-none-eabi libnewlib-arm-none-eabi/);
  });

  it('a cross compiler but no QEMU: exit 3 naming qemu-system-arm', async () => {
    const tools = path.join(work, 'only-gcc');
    fs.mkdirSync(tools, { recursive: true });
    for (const t of ['arm-none-eabi-gcc', 'arm-none-eabi-objcopy', 'arm-none-eabi-as', 'arm-none-eabi-ld']) {
      const real = (await execa('which', [t])).stdout.trim();
      fs.symlinkSync(real, path.join(tools, t));
    }
    const r = await execa(process.execPath, [bin, 'test', spec, '--target', 'arm920t'], { reject: false, env: { PATH: tools } });
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toMatch(/qemu-system-arm not found on PATH; install it with: apt-get install -y -t bookworm-backports qemu-system-arm/);
  });

  it('doctor lists each tool and exits 3 with the install command when something is missing', async () => {
    const ok = await execa(process.execPath, [bin, 'doctor'], { reject: false });
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toMatch(/ok +arm-none-eabi-gcc +arm-none-eabi-gcc .*12\./);
    expect(ok.stdout).toMatch(/ok +qemu-system-arm +QEMU emulator version/);
    const bad = await execa(process.execPath, [bin, 'doctor'], { reject: false, env: { PATH: '/nonexistent' } });
    expect(bad.exitCode).toBe(3);
    expect(bad.stdout).toMatch(/MISSING qemu-system-arm/);
    expect(bad.stdout).toMatch(/install with: apt-get update && .*qemu-system-arm/);
  });

  it('a QEMU older than 10: doctor says so, and bench stops with one line instead of failing to load the plugin', async () => {
    const fake = path.join(work, 'old-qemu');
    fs.mkdirSync(fake, { recursive: true });
    fs.writeFileSync(path.join(fake, 'qemu-system-arm'), '#!/bin/sh\necho "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7)"\n', { mode: 0o755 });
    const env = { PATH: `${fake}:${process.env.PATH}` };
    const doc = await execa(process.execPath, [bin, 'doctor'], { reject: false, env });
    expect(doc.exitCode).toBe(3);
    expect(doc.stdout).toMatch(/^OLD +qemu-system-arm +QEMU emulator version 7\.2\.22 .*too old; convgen needs QEMU 10\.0 or later/m);
    const b = await execa(process.execPath, [bin, 'bench', spec, '--target', 'cortex-m4'], { reject: false, env });
    expect(b.exitCode).toBe(3);
    expect(b.stdout + b.stderr).toMatch(/qemu-system-arm is version 7\.2\.22 .*: convgen needs QEMU 10\.0 or later/);
  });
});
