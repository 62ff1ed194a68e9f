/**
 * docs/pytorch.md against what runs: the suite's model of the documented PyTorch module, its calibration and test
 * samples written as the doc's Python writes them, then the doc's commands; their output must be the doc's blocks
 * (the seconds aside, and the targets' lines in either order: they run at once).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { writeNpyAtomic } from '../../src/npy/index.ts';
import { cliSandbox, root } from '../helpers.ts';
import { classData, fittedResidualCnn } from './cnns.ts';

const io = cliSandbox('convgen-pytorch-doc-');
const doc = fs.readFileSync(path.join(root, 'docs', 'pytorch.md'), 'utf8');

/** The fenced block after the line `command` and the word "prints:". */
function printedAfter(command: string): string[] {
  const at = doc.indexOf(`${command}\n\`\`\`\n\nprints:`);
  expect(at, command).toBeGreaterThanOrEqual(0);
  return /```\n([\s\S]*?)```/.exec(doc.slice(at + command.length + 4))![1].trimEnd().split('\n');
}

/** model.onnx and the samples, as the doc's Python writes them. */
function writeDocFiles(d: string): void {
  fs.writeFileSync(path.join(d, 'model.onnx'), fittedResidualCnn());
  const cal = classData(100, 11);
  const test = classData(200, 99);
  writeNpyAtomic(path.join(d, 'calib.npy'), { dtype: 'float32', shape: [100, 3, 16, 16], data: cal.samples });
  writeNpyAtomic(path.join(d, 'test.npy'), { dtype: 'float32', shape: [200, 3, 16, 16], data: test.samples });
  writeNpyAtomic(path.join(d, 'labels.npy'), { dtype: 'int64', shape: [200], data: BigInt64Array.from(test.labels.map(BigInt)) });
}

describe('docs/pytorch.md', () => {
  it('shows what the import and the accuracy report print for the documented model', async () => {
    const d = io.dir;
    writeDocFiles(d);
    const rel = (lines: string[]) => lines.map((l) => l.split(`${d}/`).join(''));
    expect(await main(['import', path.join(d, 'model.onnx'), '-o', path.join(d, 'net/'), '--calibrate', path.join(d, 'calib.npy')])).toBe(0);
    expect(io.err).toEqual([]);
    expect(rel(io.out)).toEqual(printedAfter('convgen import model.onnx -o net/ --calibrate calib.npy'));
    io.out.length = 0;
    expect(await main(['quantize', path.join(d, 'net', 'model.json'), '--data', path.join(d, 'test.npy'), '--labels', path.join(d, 'labels.npy')])).toBe(0);
    expect(rel(io.out)).toEqual(printedAfter('convgen quantize net/model.json --data test.npy --labels labels.npy'));
    // the guessed-ranges warning as the doc shows it
    io.err.length = 0;
    expect(await main(['import', path.join(d, 'model.onnx'), '-o', path.join(d, 'guessed')])).toBe(0);
    expect(rel(io.err)).toEqual([/```\n(convgen: warning: [^\n]*)\n```/.exec(doc)![1]]);
  });

  it('shows what golden, the QEMU proof on arm920t and cortex-m4, and the device run print for the same model', async () => {
    const d = io.dir;
    const rel = (lines: string[]) => lines.map((l) => l.split(`${d}/`).join(''));
    const seconds = (lines: string[]) => lines.map((l) => l.replace(/, \d+\.\d s$/, ', N s')).sort();
    writeDocFiles(d);
    expect(await main(['import', path.join(d, 'model.onnx'), '-o', path.join(d, 'net/'), '--calibrate', path.join(d, 'calib.npy')])).toBe(0);
    io.out.length = 0;
    expect(await main(['golden', path.join(d, 'net', 'model.json'), '--input', path.join(d, 'test.npy'), '--output', path.join(d, 'golden.npy')])).toBe(0);
    expect(rel(io.out)).toEqual(printedAfter('convgen golden net/model.json --input test.npy --output golden.npy'));
    io.out.length = 0;
    expect(await main(['test', path.join(d, 'net', 'model.json'), '--target', 'arm920t,cortex-m4', '--input', path.join(d, 'test.npy')])).toBe(0);
    expect(seconds(rel(io.out))).toEqual(seconds(printedAfter('convgen test net/model.json --target arm920t,cortex-m4 --input test.npy')));
    io.out.length = 0;
    expect(await main(['run', path.join(d, 'net', 'model.json'), '--target', 'cortex-m4', '--input', path.join(d, 'test.npy'), '--output', path.join(d, 'device.npy')])).toBe(0);
    expect(rel(io.out)).toEqual(printedAfter('convgen run net/model.json --target cortex-m4 --input test.npy --output device.npy'));
    // `cmp golden.npy device.npy` finds no difference
    expect(Buffer.compare(fs.readFileSync(path.join(d, 'device.npy')), fs.readFileSync(path.join(d, 'golden.npy')))).toBe(0);
  }, 180_000);

  it('states the refused-model line as convgen prints it (up to the list of ops)', () => {
    const line = /```\n(convgen: model\.onnx: unsupported: [^\n]*)\n```/.exec(doc)![1];
    expect(line).toMatch(/^convgen: model\.onnx: unsupported: Mul '\/act\/Mul'; Resize '\/up\/Resize'; Pad '\/pad\/Pad' \(mode 'reflect' \(convgen pads with a constant\)\)\. Nothing was written\. convgen imports Conv, BatchNormalization, Gemm, MatMul, …$/);
  });
});
