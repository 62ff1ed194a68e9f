/**
 * The README and docs/pytorch.md against what runs: the demo's printed lines, the spec example, the installed command
 * rather than `npx`, and the S3C2410 board notes against the linker script and the UART harness.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { firmwareDir } from '../../src/toolchain/index.ts';
import { cliSandbox, root } from '../helpers.ts';

const io = cliSandbox('convgen-docs-');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const pytorch = fs.readFileSync(path.join(root, 'docs', 'pytorch.md'), 'utf8');

/** The fenced block that follows `marker` in `text`. */
function blockAfter(text: string, marker: string): string {
  const at = text.indexOf(marker);
  expect(at, marker).toBeGreaterThanOrEqual(0);
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(text.slice(at));
  return m![1];
}

describe('the README', () => {
  it("shows the demo's output as `make demo` prints it", async () => {
    const shown = blockAfter(readme, '`make demo` prints').trimEnd().split('\n');
    const outDir = path.join(io.dir, 'out', 'edge3x3');
    expect(await main(['build', path.join(root, 'examples', 'edge3x3.json'), '--target', 'arm920t', '-o', outDir])).toBe(0);
    const printed = io.out.map((l) => l.replace(`${root}/`, '').replace(outDir, 'out/edge3x3'));
    expect(printed).toEqual(shown);
  });

  it("shows the demo's model build as `make demo` prints it", async () => {
    const shown = blockAfter(readme, 'Then, for the keyword-spotting model').trimEnd().split('\n');
    const outDir = path.join(io.dir, 'out', 'kws');
    const model = path.join(root, 'test', 'fixtures', 'models', 'kws_ref_model', 'kws_ref_model.tflite');
    const before = io.out.length;
    expect(await main(['build', model, '--target', 'arm920t', '-o', outDir])).toBe(0);
    const printed = io.out.slice(before).map((l) => l.replace(`${root}/`, '').replace(outDir, 'out/kws'));
    expect(printed).toEqual(shown);
    expect(fs.readFileSync(path.join(root, 'Makefile'), 'utf8')).toContain('build test/fixtures/models/kws_ref_model/kws_ref_model.tflite --target arm920t -o out/kws');
  }, 120_000);

  it("shows the demo's spec as examples/edge3x3.json holds it", () => {
    const shown = JSON.parse(blockAfter(readme, '`examples/edge3x3.json`, the demo\'s spec:'));
    expect(shown).toEqual(JSON.parse(fs.readFileSync(path.join(root, 'examples', 'edge3x3.json'), 'utf8')));
  });

  it('uses the installed command, and names `npx convgen` only to warn against it', () => {
    expect(readme).toContain('`make install` puts the `convgen` command on your PATH');
    expect(readme.match(/npx convgen/g)).toHaveLength(1);
    expect(readme).toMatch(/Do not run `npx convgen` outside this checkout/);
    expect(pytorch).not.toMatch(/npx convgen/);
    expect(pytorch).toMatch(/^convgen import model\.onnx/m);
  });

  it("states the S3C2410 image's load address, stack and UART facts as the linker script and harness have them", () => {
    const ld = fs.readFileSync(path.join(firmwareDir, 'ld', 's3c2410.ld'), 'utf8');
    const origin = /ORIGIN = (0x[0-9a-f]+)/i.exec(ld)![1];
    const board = blockAfter(readme, '**Running it on a board.**');
    expect(board).toMatch(new RegExp(`^loadb ${origin} .*tftp ${origin} edge3x3-s3c2410\\.bin$`, 'm'));
    expect(board).toMatch(new RegExp(`^go ${origin}$`, 'm'));
    expect(readme).toContain(`load_image edge3x3-s3c2410.bin ${origin} bin\`, \`resume ${origin}\``);
    const stacks = Number(/__default_stack_size = (0x[0-9a-f]+)/.exec(ld)![1]) + Number(/__exc_stack_size = (0x[0-9a-f]+)/.exec(ld)![1]);
    expect(readme).toContain(`${stacks / 1024} KiB of stacks`);
    // "line settings are expected from the boot loader": the harnesses touch only UTRSTAT0 and UTXH0 of UART0.
    const uart = fs.readFileSync(path.join(firmwareDir, 'harness', 'uart_io.h'), 'utf8');
    const registers = [...uart.matchAll(/UART0_BASE \+ (0x[0-9a-f]+)u/g)].map((m) => Number(m[1]));
    expect(registers.sort()).toEqual([0x10, 0x20]);
    expect(uart).not.toMatch(/ULCON|UCON|UBRDIV|GPHCON/);
  });
});
