/**
 * Reading what a user names (src/files/read.ts and its callers): the root folder a spec's paths stay in, .npy
 * headers checked before any data is read, JSON integers beyond 2^53 read exactly, the bounds of what a spec may
 * expand to.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { generate } from '../../src/codegen/index.ts';
import { readNpy, writeNpyAtomic } from '../../src/npy/index.ts';
import { loadSpec, modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { SPEC_BOUNDS, checkExpansion } from '../../src/files/expansion.ts';
import { baseSpec } from '../helpers.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-read-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('expected an InputError');
}

/** project/.git, project/specs/k.json reading project/weights/w.npy (the layout issue 20 asks for). */
function project(name: string, gitMarker: 'dir' | 'file' | 'none') {
  const top = path.join(work, name);
  fs.mkdirSync(path.join(top, 'specs'), { recursive: true });
  fs.mkdirSync(path.join(top, 'weights'), { recursive: true });
  if (gitMarker === 'dir') fs.mkdirSync(path.join(top, '.git'));
  if (gitMarker === 'file') fs.writeFileSync(path.join(top, '.git'), 'gitdir: /elsewhere/.git/worktrees/x\n');
  const w = new Int16Array(3 * 2 * 3 * 3).map((_, i) => i - 20);
  writeNpyAtomic(path.join(top, 'weights', 'w.npy'), { dtype: 'int16', shape: [3, 2, 3, 3], data: w });
  const spec = path.join(top, 'specs', 'k.json');
  fs.writeFileSync(spec, JSON.stringify(baseSpec({ weights: { npy: '../weights/w.npy' }, bias: undefined })));
  return { top, spec, w };
}

describe("a spec's paths stay inside its root folder", () => {
  it('the nearest folder holding .git (a folder, or a worktree\'s file) is the default root: ../weights/w.npy is read', async () => {
    for (const marker of ['dir', 'file'] as const) {
      const { spec, w } = project(`git-${marker}`, marker);
      expect(Array.from((await loadSpec(spec)).weights)).toEqual(Array.from(w));
    }
  });

  it('without a .git above it, the root is the spec\'s folder: ../ is refused, and --root widens it', async () => {
    const { top, spec, w } = project('plain', 'none');
    expect(await errorOf(loadSpec(spec))).toBe(
      `${spec}: $.weights.npy: '../weights/w.npy' leaves the spec's folder (no folder above it holds .git; give a root with --root DIR)`);
    expect(Array.from((await loadSpec(spec, { root: top })).weights)).toEqual(Array.from(w));
    // --root narrower than the path: refused, naming the root
    const specs = path.join(top, 'specs');
    expect(await errorOf(loadSpec(spec, { root: specs }))).toBe(`${spec}: $.weights.npy: '../weights/w.npy' leaves the root folder ${specs} (--root)`);
  });

  it('a link inside the root that leads out of it is refused after resolving it; one that stays inside is followed', async () => {
    const { top, spec } = project('links', 'dir');
    const outside = path.join(work, 'outside.npy');
    fs.copyFileSync(path.join(top, 'weights', 'w.npy'), outside);
    fs.renameSync(path.join(top, 'weights', 'w.npy'), path.join(top, 'weights', 'real.npy'));
    fs.symlinkSync(outside, path.join(top, 'weights', 'w.npy'));
    expect(await errorOf(loadSpec(spec))).toMatch(new RegExp(`'\\.\\./weights/w\\.npy' leads through a symbolic link to ${outside}, outside the root folder ${top} `));
    fs.rmSync(path.join(top, 'weights', 'w.npy'));
    fs.symlinkSync('real.npy', path.join(top, 'weights', 'w.npy'));
    expect((await loadSpec(spec)).weights.length).toBe(54);
    // a folder link out of the root, in the middle of the path
    fs.rmSync(path.join(top, 'weights'), { recursive: true });
    fs.mkdirSync(path.join(work, 'elsewhere'), { recursive: true });
    fs.copyFileSync(outside, path.join(work, 'elsewhere', 'w.npy'));
    fs.symlinkSync(path.join(work, 'elsewhere'), path.join(top, 'weights'));
    expect(await errorOf(loadSpec(spec))).toMatch(/leads through a symbolic link to .*elsewhere\/w\.npy, outside the root folder/);
  });
});

describe('.npy files: the header first', () => {
  it('a 1.9 GB file of the wrong shape is refused after reading its header only', () => {
    const file = path.join(work, 'huge.npy');
    // A header announcing 1.9e9 int8 elements, then a hole of that length (no disk used).
    const dict = "{'descr': '|i1', 'fortran_order': False, 'shape': (1900000000,), }";
    const header = Buffer.alloc(128, 0x20);
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(header);
    header.writeUInt16LE(128 - 10, 8);
    header.write(dict, 10, 'latin1');
    header[127] = 0x0a;
    fs.writeFileSync(file, header);
    fs.truncateSync(file, 128 + 1_900_000_000);
    const reads = vi.spyOn(fs, 'readSync');
    let seen: number[] | undefined;
    expect(() => readNpy(file, {
      check: (h) => {
        seen = h.shape;
        throw new InputError(file, `expected shape (2, 2), found (${h.shape.join(', ')})`);
      },
    })).toThrow(`${file}: expected shape (2, 2), found (1900000000)`);
    expect(seen).toEqual([1900000000]);
    const bytesRead = reads.mock.results.reduce((a, r) => a + (r.type === 'return' ? Number(r.value) : 0), 0);
    expect(bytesRead).toBeLessThanOrEqual(128 + 12);
    // Without a check, the element bound refuses it, also before reading data.
    expect(() => readNpy(file)).toThrow(`${file}: shape (1900000000,) has 1900000000 elements; convgen reads at most 16777216 here`);
  });
});

describe('JSON numbers', () => {
  it('integers beyond 2^53 are read exactly: a q31 bias of 9007199254740993 reaches the C as ...993', async () => {
    const spec = path.join(work, 'q31.json');
    const text = JSON.stringify(baseSpec({
      input: { channels: 1, height: 2, width: 2 }, output: { channels: 1 }, kernel: 1, padding: 0,
      numeric: { type: 'q31', inputFrac: 0, weightFrac: 0, outputFrac: 0 }, weights: { values: [1] }, bias: { values: ['BIAS'] },
    })).replace('"BIAS"', '9007199254740993');
    fs.writeFileSync(spec, text);
    expect(JSON.parse(text).bias.values[0]).toBe(9007199254740992); // what JSON.parse alone reads
    const m = await loadSpec(spec);
    expect(m.bias![0]).toBe(9007199254740993n);
    expect(generate(m).files.find((f) => f.name === 'k.c')!.content).toContain('INT64_C(9007199254740993)');
  });

  it('a repeated key keeps its last value on the exact path too, as JSON.parse does', async () => {
    const spec = path.join(work, 'dup.json');
    fs.writeFileSync(spec, JSON.stringify(baseSpec({
      input: { channels: 1, height: 2, width: 2 }, output: { channels: 1 }, kernel: 1, padding: 0,
      numeric: { type: 'q31', inputFrac: 0, weightFrac: 0, outputFrac: 0 }, weights: { values: [1] }, bias: { values: ['BIAS'] },
    })).replace('"BIAS"', '9007199254740993').replace('"name":"k"', '"name":"first","name":"k"'));
    expect((await loadSpec(spec)).name).toBe('k');
  });
});

describe('what a spec may expand to', () => {
  it('nesting and value counts are checked without recursion, up to the stated bounds', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => checkExpansion({ weights: { values: deep } }, 'x.json')).toThrow(/x\.json: \$\.weights\.values\[0\]\[0\]/);
    let ok: unknown = 1;
    for (let i = 0; i < SPEC_BOUNDS.depth - 2; i++) ok = [ok];
    expect(checkExpansion({ weights: { values: ok } }, 'x.json')).toEqual({ unsafeIntegers: false });
    expect(() => checkExpansion(new Array(SPEC_BOUNDS.values).fill(0), 'x.json')).toThrow(/expands to more than 33554432 values/);
    expect(checkExpansion([2 ** 53 + 2], 'x.json')).toEqual({ unsafeIntegers: true });
    // and the loader applies it
    expect(() => modelFromValue(baseSpec({ weights: { values: deep } }), 'x.json')).toThrow(/nested more than 32 levels deep/);
  });
});
