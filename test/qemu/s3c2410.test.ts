/**
 * The S3C2410 board image: no emulator exists, so `convgen build` proves the same C under QEMU on the ARMv4T core
 * (arm920t: versatilepb, ti925t) before it writes the board image; `--no-verify` marks everything NOT VERIFIED.
 * Then its layout and its UART text (host build of the harness).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildStep } from '../../src/cli/build.ts';
import { resultLine } from '../../src/report/index.ts';
import { verifyPair } from '../../src/verify/index.ts';
import { loadSpec } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { firmwareDir } from '../../src/toolchain/index.ts';
import { root } from '../helpers.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-s3c-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('s3c2410 board image', () => {
  const out = path.join(work, 'out');
  let report: { expectedUartResult: string; files: string[]; verified: Record<string, unknown> };

  it('builds with convgen build, proved on arm920t under ti925t first, and records the line the board will print', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const m = await loadSpec(path.join(root, 'examples', 'edge3x3.json'));
    expect(await buildStep(m, findTarget('s3c2410')!, out, { variant: 'reference', seed: 1, verify: true, timeoutSeconds: 30 })).toBe(0);
    const printed = log.mock.calls.map((c) => c.join(' '));
    vi.restoreAllMocks();
    report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.expectedUartResult).toMatch(/^CONVGEN-RESULT name=edge3x3 elems=2048 checksum=0x[0-9a-f]{8}$/);
    expect(report.verified).toEqual({ status: 'pass', on: 'arm920t', machine: 'qemu-system-arm -M versatilepb -cpu ti925t', tensors: 5, elements: 5 * 2048, seed: 1 });
    expect(printed.find((l) => l.startsWith('verdict'))).toMatch(/^verdict {4}BIT-EXACT on arm920t \(the same C, then built for s3c2410\): 10240 outputs/);
    expect(fs.readFileSync(path.join(out, 'edge3x3.h'), 'utf8')).not.toMatch(/NOT VERIFIED/);
  });

  it('a kernel wrong on the ARMv4T core is refused: exit 1, nothing written', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const m = await loadSpec(path.join(root, 'examples', 'edge3x3.json'));
    const bad = path.join(work, 'bad');
    // Wrong only in the last output element: renames the kernel and wraps it.
    const tamper = (_f: string, text: string) => text.replace(/^void edge3x3_run\(/m, 'static void edge3x3_inner(')
      + '\nvoid edge3x3_run(const int16_t *restrict input, int16_t *restrict output)\n{\n    edge3x3_inner(input, output);\n    output[2047] ^= 1;\n}\n';
    expect(await buildStep(m, findTarget('s3c2410')!, bad, { variant: 'reference', seed: 1, verify: true, timeoutSeconds: 30, tamper })).toBe(1);
    const printed = log.mock.calls.map((c) => c.join(' '));
    vi.restoreAllMocks();
    expect(printed.find((l) => l.startsWith('verdict'))).toMatch(/^verdict {4}NOT bit-exact on arm920t: 5 of 10240 elements differ; first at tensor 0 \(channel 7, y 15, x 15\)/);
    expect(fs.existsSync(bad)).toBe(false);
    expect(fs.readdirSync(work).filter((f) => f.includes('convgen-'))).toEqual([]);
  });

  it('convgen test on the board runs the same C on its twin and says so (no PASS for a build alone)', async () => {
    const m = await loadSpec(path.join(root, 'examples', 'edge3x3.json'));
    const r = await verifyPair(m, findTarget('s3c2410')!, { seed: 1, variant: 'reference' });
    expect(r).toMatchObject({ status: 'pass', target: 's3c2410', verifiedOn: 'arm920t', tensors: 5, elements: 5 * 2048, mismatches: 0 });
    expect(resultLine(r)).toMatch(/^PASS  edge3x3 on s3c2410 \(reference\): bit-exact on arm920t \(the same C; the board image built\), 10240 elements over 5 inputs/);
  });

  it('--no-verify: the header, report.json and the verdict line all say NOT VERIFIED', async () => {
    for (const t of ['s3c2410', 'cortex-m4']) {
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      const m = await loadSpec(path.join(root, 'examples', 'edge3x3.json'));
      const dir = path.join(work, `nv-${t}`);
      expect(await buildStep(m, findTarget(t)!, dir, { variant: 'optimized', seed: 1, verify: false, timeoutSeconds: 30 })).toBe(0);
      const printed = log.mock.calls.map((c) => c.join(' '));
      vi.restoreAllMocks();
      expect(fs.readFileSync(path.join(dir, 'edge3x3.h'), 'utf8'))
        .toContain(` * NOT VERIFIED: built by \`convgen build --no-verify\` for ${t}: compiled and linked, never run against the golden model`);
      const r = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
      expect(r.verified.status).toBe('NOT VERIFIED');
      expect(printed.find((l) => l.startsWith('verdict'))).toMatch(/^verdict {4}NOT VERIFIED \(--no-verify\)/);
      expect(fs.existsSync(path.join(dir, `edge3x3-${t}.elf`))).toBe(true);
    }
  });

  it('is an ARMv4T image linked at SDRAM 0x30000000 with no SVC or BKPT', async () => {
    const elf = path.join(out, 'edge3x3-s3c2410.elf');
    const header = (await execa('arm-none-eabi-readelf', ['-h', elf])).stdout;
    expect(header).toMatch(/Entry point address:\s+0x30000000/);
    const attrs = (await execa('arm-none-eabi-readelf', ['-A', elf])).stdout;
    expect(attrs).toMatch(/Tag_CPU_arch: v4T/);
    const sections = (await execa('arm-none-eabi-readelf', ['-S', '-W', elf])).stdout;
    const text = /\.text\s+PROGBITS\s+([0-9a-f]+)/.exec(sections);
    expect(text && parseInt(text[1], 16)).toBeGreaterThanOrEqual(0x30000000);
    const disasm = (await execa('arm-none-eabi-objdump', ['-d', elf])).stdout;
    expect(disasm.length).toBeGreaterThan(1000);
    expect(disasm).not.toMatch(/\t(svc|swi|bkpt)\b/);
    expect(disasm).not.toMatch(/\t(clz|blx|ldrd|strd|qadd|smul[bt][bt]|smla[bt][bt])\b/);
  });

  it('its UART harness prints exactly the expected result line (harness built for the host with a putc hook)', async () => {
    const h = path.join(work, 'uart-host');
    fs.mkdirSync(h);
    fs.writeFileSync(path.join(h, 'shim.c'),
      '#include <stdio.h>\nvoid host_putc(char c) { putchar(c); }\nint convgen_harness_main(void);\nint main(void) { return convgen_harness_main(); }\n');
    const kernelSources = fs.readdirSync(out).filter((f) => f.endsWith('.c')).map((f) => path.join(out, f));
    // The harness's main is renamed so that the shim's main (compiled separately) can call it.
    await execa('gcc', ['-std=c99', '-O2', '-w', '-c', '-I', out, '-I', path.join(firmwareDir, 'include'),
      '-DCONVGEN_UART_PUTC=host_putc', '-Dmain=convgen_harness_main',
      '-Dmemcpy=fw_memcpy', '-Dmemmove=fw_memmove', '-Dmemset=fw_memset', '-Dmemcmp=fw_memcmp',
      path.join(firmwareDir, 'harness', 'uart_main.c'), path.join(firmwareDir, 'common', 'common.c'), ...kernelSources], { cwd: h });
    await execa('gcc', ['-c', 'shim.c'], { cwd: h });
    const objects = fs.readdirSync(h).filter((f) => f.endsWith('.o'));
    await execa('gcc', [...objects, '-o', 'uart'], { cwd: h });
    const { stdout } = await execa(path.join(h, 'uart'));
    const lines = stdout.trim().split(/\r?\n/);
    expect(lines.at(-1)).toBe(report.expectedUartResult);
    expect(lines).toHaveLength(2048 / 8 + 1);
  });
});
