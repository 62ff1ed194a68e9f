/**
 * Byte-identity harness for code-generator refactors: generates the C of every bench spec, example and codegen-golden
 * spec (plus seeded random specs) on every target, variant and optimize mode, and compares it with a snapshot made
 * the same way from another checkout (the baseline: main at the branch point, kept outside the repo).
 *
 *   npx tsx scripts/codegen-identity.ts snapshot DIR [--random N] [--seed S]
 *       writes DIR/specs/ (the random specs as JSON, so a later comparison generates exactly the same ones) and
 *       DIR/out/<spec>/<target>/<variant>/<file>
 *   npx tsx scripts/codegen-identity.ts compare BASE [--out DIR] [--quiet] [--variants a,b] [--targets x,y]
 *       generates the same cases with this checkout (into DIR, default a temp folder), prints every file as
 *       identical / differs / only-in-base / only-in-new, the unified diff of each that differs, and a summary;
 *       exits 1 when anything differs. --variants / --targets: only those cases (a quicker check while working).
 *       --ignore-includes: system #include lines are compared apart (as each file's ordered list): a file whose only
 *       change is there (and in the empty lines around them) is `includes`; the summary counts each distinct change of
 *       the lists once.
 *
 * It only calls the public generate() and loadSpec(), so the same script runs on any checkout.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { generate, variantNames } from '../src/codegen/index.ts';
import { loadSpec, modelFromValue, type KernelModel } from '../src/ops/conv_2d/spec/index.ts';
import { targets } from '../src/targets/index.ts';
import { sampleSpecs } from '../src/fuzz/index.ts';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

interface Args {
  cmd: string; dir: string; random: number; seed: number; out?: string; quiet: boolean; variants?: string[]; targets?: string[];
  ignoreIncludes: boolean;
}

function parseArgs(argv: string[]): Args {
  const [cmd, dir, ...rest] = argv;
  if ((cmd !== 'snapshot' && cmd !== 'compare') || !dir) {
    console.error('usage: codegen-identity.ts snapshot DIR [--random N] [--seed S] | compare BASE [--out DIR] [--quiet]');
    process.exit(2);
  }
  const a: Args = { cmd, dir: path.resolve(dir), random: 0, seed: 1, quiet: false, ignoreIncludes: false };
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--random') a.random = Number(rest[++i]);
    else if (rest[i] === '--seed') a.seed = Number(rest[++i]);
    else if (rest[i] === '--out') a.out = path.resolve(rest[++i]);
    else if (rest[i] === '--quiet') a.quiet = true;
    else if (rest[i] === '--ignore-includes') a.ignoreIncludes = true;
    else if (rest[i] === '--variants') a.variants = rest[++i].split(',');
    else if (rest[i] === '--targets') a.targets = rest[++i].split(',');
    else {
      console.error(`codegen-identity: unknown argument ${rest[i]}`);
      process.exit(2);
    }
  }
  return a;
}

/** The repo's specs: bench/, examples/ (the codegen goldens' specs are among them). */
function repoSpecFiles(): string[] {
  const files: string[] = [];
  for (const d of ['bench', 'examples'])
    for (const f of fs.readdirSync(path.join(root, d)).sort()) if (f.endsWith('.json')) files.push(path.join(root, d, f));
  return files;
}

/**
 * Random specs in three streams: the fuzzer's; wider channel counts (quad, dual, the vector families); q7/q15 at stride
 * and dilation 1 (the taps, taps8, halves and dwpair forms).
 */
function randomSpecs(n: number, seed: number): Record<string, unknown>[] {
  const third = Math.ceil(n / 3);
  return [
    ...sampleSpecs(third, seed),
    ...sampleSpecs(third, seed + 1, { maxChannels: 20, maxGroups: 2, maxKernel: 5 }),
    ...sampleSpecs(n - 2 * third, seed + 2, { types: ['q7', 'q15'], maxChannels: 8, maxStride: 1, maxDilation: 1, maxGroups: 6 }),
  ];
}

async function models(specDir: string): Promise<{ id: string; m: KernelModel }[]> {
  const out: { id: string; m: KernelModel }[] = [];
  for (const f of repoSpecFiles()) out.push({ id: `${path.basename(path.dirname(f))}-${path.basename(f, '.json')}`, m: await loadSpec(f) });
  if (fs.existsSync(specDir))
    for (const f of fs.readdirSync(specDir).sort()) {
      const value = JSON.parse(fs.readFileSync(path.join(specDir, f), 'utf8'));
      out.push({ id: `random-${path.basename(f, '.json')}`, m: modelFromValue(value, path.join(specDir, f)) });
    }
  return out;
}

/** The built-in input of boards without a host file system: a fixed ramp, the same in every checkout. */
function rampInput(m: KernelModel): Int32Array {
  const n = m.inC * m.inH * m.inW;
  const bits = m.numeric.storage.bits;
  const span = 2 ** Math.min(bits, 16);
  return Int32Array.from({ length: n }, (_, i) => ((i * 37) % span) - span / 2);
}

/** Generate every case into outDir; returns how many files were written. */
async function writeAll(specDir: string, outDir: string, only: Pick<Args, 'variants' | 'targets'> = {}): Promise<number> {
  let files = 0;
  const all = await models(specDir);
  const t0 = Date.now();
  const ts = targets.filter((t) => !only.targets || only.targets.includes(t.name));
  const vs = variantNames.filter((v) => !only.variants || only.variants.includes(v));
  for (const { id, m } of all)
    for (const t of ts)
      for (const variant of vs)
        for (const optimize of ['default', 'speed'] as const) {
          const dir = path.join(outDir, id, t.name, `${variant}-${optimize}`);
          let gen;
          try {
            gen = generate(m, {
              variant, optimize, isa: t.features,
              builtinInput: t.builtinInput ? { data: rampInput(m), seed: 1 } : undefined,
            });
          } catch (e) {
            // A spec the generator refuses is a case too: its one-line message is compared.
            fs.mkdirSync(dir, { recursive: true });
            fs.writeFileSync(path.join(dir, 'error.txt'), `${(e as Error).message}\n`);
            files++;
            continue;
          }
          fs.mkdirSync(dir, { recursive: true });
          for (const f of gen.files) {
            fs.writeFileSync(path.join(dir, f.name), f.content);
            files++;
          }
        }
  console.error(`codegen-identity: ${all.length} specs x ${ts.length} targets x ${vs.length} variants x 2 optimize modes: ` +
    `${files} files in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return files;
}

function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else out.push(r);
  }
  return out;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (a.cmd === 'snapshot') {
    fs.rmSync(a.dir, { recursive: true, force: true });
    const specDir = path.join(a.dir, 'specs');
    fs.mkdirSync(specDir, { recursive: true });
    randomSpecs(a.random, a.seed).forEach((s, i) =>
      fs.writeFileSync(path.join(specDir, `r${String(i).padStart(4, '0')}.json`), JSON.stringify({ ...s, name: `r${i}` }, null, 1) + '\n'));
    await writeAll(specDir, path.join(a.dir, 'out'));
    return;
  }
  const base = path.join(a.dir, 'out');
  const out = a.out ?? fs.mkdtempSync(path.join(os.tmpdir(), 'codegen-identity-'));
  fs.rmSync(out, { recursive: true, force: true });
  await writeAll(path.join(a.dir, 'specs'), out, a);
  // Only the cases generated: <spec>/<target>/<variant>-<optimize>/<file>
  const selected = (f: string) => {
    const [, target, v] = f.split(path.sep);
    return (!a.targets || a.targets.includes(target)) && (!a.variants || a.variants.includes(v.replace(/-(default|speed)$/, '')));
  };
  const before = new Set(listFiles(base).filter(selected));
  const after = new Set(listFiles(out));
  const counts = { identical: 0, includes: 0, differs: 0, 'only-in-base': 0, 'only-in-new': 0 };
  const differing: string[] = [];
  const includeChanges = new Map<string, number>();
  const isInclude = (l: string) => /^#include <[^>]+>$/.test(l);
  for (const f of [...new Set([...before, ...after])].sort()) {
    let status: keyof typeof counts = !after.has(f) ? 'only-in-base' : !before.has(f) ? 'only-in-new' : 'identical';
    if (status === 'identical') {
      const x = fs.readFileSync(path.join(base, f), 'utf8');
      const y = fs.readFileSync(path.join(out, f), 'utf8');
      if (x !== y) {
        status = 'differs';
        if (a.ignoreIncludes) {
          const [xl, yl] = [x.split('\n'), y.split('\n')];
          // without the include lines, and runs of empty lines as one (an include once had blank lines around it)
          const rest = (ls: string[]) => ls.filter((l) => !isInclude(l)).join('\n').replace(/\n{3,}/g, '\n\n');
          if (rest(xl) === rest(yl)) {
            status = 'includes';
            const key = `${xl.filter(isInclude).join(' ')} -> ${yl.filter(isInclude).join(' ')}`;
            includeChanges.set(key, (includeChanges.get(key) ?? 0) + 1);
          }
        }
      }
    }
    counts[status]++;
    if (status !== 'identical' && status !== 'includes') differing.push(f);
    if (!a.quiet || (status !== 'identical' && status !== 'includes')) console.log(`${status.padEnd(12)} ${f}`);
  }
  for (const [k, n] of includeChanges) console.log(`includes     ${n} file(s): ${k}`);
  for (const f of differing) {
    const r = await execa('diff', ['-u', '--label', `base/${f}`, '--label', `new/${f}`,
      before.has(f) ? path.join(base, f) : '/dev/null', after.has(f) ? path.join(out, f) : '/dev/null'], { reject: false });
    console.log(r.stdout);
  }
  console.log(`codegen-identity: ${counts.identical} identical, ${counts.includes} differ in system includes only, ` +
    `${counts.differs} differ, ${counts['only-in-base']} only in base, ` +
    `${counts['only-in-new']} only in new (new files in ${out})`);
  process.exitCode = differing.length > 0 ? 1 : 0;
}

await main();
