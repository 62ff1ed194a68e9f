/**
 * A network's S3C2410 board image: proved on its emulated twin (arm920t, same C and -mcpu) before it is built; an
 * ARMv4T image at 0x30000000 without SVC or BKPT; its UART harness, built for the host with a putc hook, prints the
 * result line report.json expects. And `convgen bench` on a network: the JSON's figures, whole and per layer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { networkBuild } from '../../src/cli/network-commands.ts';
import { findTarget } from '../../src/targets/index.ts';
import { firmwareDir } from '../../src/toolchain/index.ts';
import { fixtures } from '../helpers.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-netboard-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const ad01 = path.join(fixtures, 'models', 'ad01_int8', 'ad01_int8.tflite');

describe('s3c2410 network image', () => {
  const out = path.join(work, 'out');
  let report: { expectedUartResult: string; verified: { on: string; inputs: number } };

  it('is verified on arm920t, then built with its built-in input; report.json has the line the board prints', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await networkBuild(ad01, findTarget('s3c2410')!, out, { optimize: 'default', seed: 1, verify: true, timeoutSeconds: 60 })).toBe(0);
      expect(log.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/verdict {4}BIT-EXACT on arm920t \(the same C and -mcpu as s3c2410\)/);
    } finally {
      vi.restoreAllMocks();
    }
    report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.verified).toMatchObject({ on: 'arm920t', inputs: 6 });
    expect(report.expectedUartResult).toMatch(/^CONVGEN-RESULT name=ad01_int8 elems=640 checksum=0x[0-9a-f]{8}$/);
  });

  it('is an ARMv4T image linked at 0x30000000 with no SVC or BKPT', async () => {
    const elf = path.join(out, 'ad01_int8-s3c2410.elf');
    expect((await execa('arm-none-eabi-readelf', ['-h', elf])).stdout).toMatch(/Entry point address:\s+0x30000000/);
    expect((await execa('arm-none-eabi-readelf', ['-A', elf])).stdout).toMatch(/Tag_CPU_arch: v4T/);
    const disasm = (await execa('arm-none-eabi-objdump', ['-d', elf])).stdout;
    expect(disasm).toContain('<ad01_int8_run>:');
    expect(disasm).not.toMatch(/\t(svc|swi|bkpt)\b/);
    expect(disasm).not.toMatch(/\t(clz|blx|ldrd|strd|qadd|smul[bt][bt]|smla[bt][bt])\b/);
  });

  it('its UART harness prints exactly the expected result line (built for the host with a putc hook)', async () => {
    const h = path.join(work, 'uart-host');
    fs.mkdirSync(h);
    fs.writeFileSync(path.join(h, 'shim.c'),
      '#include <stdio.h>\n#include <stdint.h>\nvoid host_putc(char c) { putchar(c); }\n' +
      // The board's poisoning reads linker symbols; on the host the output's fill is what the line depends on.
      'void convgen_poison_statics(uint8_t b, const void *k, uint32_t n) { (void)b; (void)k; (void)n; }\n' +
      'void convgen_poison_stack_word(uint32_t w) { (void)w; }\n' +
      'int convgen_harness_main(void);\nint main(void) { return convgen_harness_main(); }\n');
    const sources = fs.readdirSync(out).filter((f) => f.endsWith('.c')).map((f) => path.join(out, f));
    await execa('gcc', ['-std=c99', '-O2', '-w', '-c', '-I', out, '-I', path.join(firmwareDir, 'include'),
      '-DCONVGEN_UART_PUTC=host_putc', '-Dmain=convgen_harness_main',
      '-Dmemcpy=fw_memcpy', '-Dmemmove=fw_memmove', '-Dmemset=fw_memset', '-Dmemcmp=fw_memcmp',
      path.join(firmwareDir, 'harness', 'network_uart_main.c'), path.join(firmwareDir, 'common', 'common.c'), ...sources], { cwd: h });
    await execa('gcc', ['-c', 'shim.c'], { cwd: h });
    await execa('gcc', [...fs.readdirSync(h).filter((f) => f.endsWith('.o')), '-o', 'uart'], { cwd: h });
    const lines = (await execa(path.join(h, 'uart'))).stdout.trim().split(/\r?\n/);
    expect(lines.at(-1)).toBe(report.expectedUartResult);
    expect(lines).toHaveLength(640 / 8 + 1);
  });
});

describe('convgen bench on a network', () => {
  it('--json: macs, instructions, arenaBytes, stackBytes, size, and the same per layer; verified bit-exact', async () => {
    const json = path.join(work, 'bench.json');
    const md = path.join(work, 'bench.md');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['bench', ad01, '--target', 'cortex-m4', '--json', json, '--markdown', md])).toBe(0);
    } finally {
      log.mockRestore();
      write.mockRestore();
      err.mockRestore();
    }
    const r = JSON.parse(fs.readFileSync(json, 'utf8')).networks.results[0];
    expect(r).toMatchObject({ name: 'ad01_int8', target: 'cortex-m4', status: 'ok', macs: 264192, arenaBytes: 256, verified: { inputs: 6, mismatches: 0 } });
    expect(r.instructions).toBeGreaterThan(264192 * 0.5);
    expect(r.stackBytes).toBeGreaterThan(0);
    expect(r.size.text).toBeGreaterThan(0);
    expect(r.parameters.weights).toBe(264192);
    expect(r.layers).toHaveLength(10);
    for (const l of r.layers) {
      expect(l.instructions).toBeGreaterThan(l.macs * 0.5);
      expect(l.stackBytes).toBeGreaterThan(0);
      expect(l.size.rodata).toBeGreaterThanOrEqual(l.macs);
      expect(l.arenaBytes).toBeLessThanOrEqual(256);
    }
    // the layers account for the inference but for the calls between them
    const sum = r.layers.reduce((a: number, l: { instructions: number }) => a + l.instructions, 0);
    expect(Math.abs(r.instructions - sum)).toBeLessThan(200);
    const text = fs.readFileSync(md, 'utf8');
    expect(text).toContain('## Networks (issue 17)');
    expect(text).toMatch(/\| anomaly detection \(autoencoder\) \| cortex-m4 \| [\d,]+ \| default \| 584,000 \| 350,400 \| [\d.]+× \| (met|\*\*NOT met\*\*) \|/);
  });
});
