/**
 * Code generation: KernelModel + variant -> C files. The portable variants and the IR families plan and lower to the
 * typed kernel IR (src/families, src/ir), which src/emit-c prints; the families not yet on the IR render their
 * Handlebars templates from a view model (view.ts). The header and entry files are template skeletons either way.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { KernelModel } from '../ops/conv_2d/spec/index.ts';
import { findTarget, type IsaFeatures, type Target } from '../targets/index.ts';
import { ENTRY_HEADER } from './names.ts';
import { planAccumulator, type AccumulatorPlan } from './accumulator.ts';
import { cArrayRows } from './clit.ts';
import { template } from './templates.ts';
import { headerField, viewModel } from './view.ts';
import { templateNeeds } from './template-needs.ts';
import { targetGuard, targetText, withGuard } from '../emit-c/guards.ts';
import { kernelFile } from '../emit-c/index.ts';
import { chooseFamily } from '../families/index.ts';
import { lowerWith, type OptimizeGoal } from '../families/family.ts';
import { naiveVariant } from '../families/naive/lower.ts';
import { referenceVariant } from '../families/reference/lower.ts';
import { prune } from '../ir/prune.ts';
import { requirements, requirementsText, type Requirements } from '../ir/requirements.ts';
import type { CoreTuning } from '../tuning/cores.ts';

const hostIsa: IsaFeatures = findTarget('host')!.features;

export { planAccumulator } from './accumulator.ts';
export { interiorRange } from './geometry.ts';
export type { AccumulatorPlan } from './accumulator.ts';
export { VERSION } from '../version.ts';
export { planBands } from '../families/reference/lower.ts';
export type { OptimizeGoal } from '../families/family.ts';

export interface GeneratedFile {
  /** File name inside the kernel directory. */
  name: string;
  content: string;
}

export interface GeneratedKernel {
  name: string;
  variant: VariantName;
  /** The optimized variant's kernel family (blocked, mve, neon); null for the other variants. */
  family: string | null;
  /** One line on what the generated kernel is (the family's summary for the optimized variant). */
  summary: string;
  files: GeneratedFile[];
  plan: AccumulatorPlan;
  /** What the C needs (headers, ISA features, GNU C extensions): the header's C line and the .c's guard. */
  needs: Requirements;
  /** Bytes of caller-owned RAM (input, output, scratch) and of the kernel's own static buffers (.bss). */
  ram: { input: number; output: number; scratch: number; static: number };
}

export interface VariantDef {
  summary: string;
}

export const variants = {
  reference: { summary: referenceVariant.summary },
  optimized: { summary: 'the fastest kernel family for the target ISA (blocked, pointwise, NEON, MVE), decided at generation time' },
  naive: { summary: naiveVariant.summary },
} as const satisfies Record<string, VariantDef>;

export type VariantName = keyof typeof variants;
/** What convgen generates unless told otherwise: the fastest variant, sized to the target's ISA. */
export const DEFAULT_VARIANT: VariantName = 'optimized';
export const variantNames = Object.keys(variants) as VariantName[];


export interface GenerateOptions {
  variant?: VariantName;
  /**
   * The target the code is for: the header names it and the .c's guard stops compilation for a core without what
   * the code uses. Its ISA is the default for `isa`.
   */
  target?: Target;
  /** The target's instruction set: the optimized variant sizes its blocking to it. Defaults to the target's, else the host's. */
  isa?: IsaFeatures;
  /** Compile this input tensor into the image (boards with no host file system: the UART harness reads it). */
  builtinInput?: { data: Int32Array; seed: number };
  /**
   * 'default' keeps weight flash at the raw weight bytes; 'speed' lets a kernel family trade flash for speed
   * (pre-widened weights, say). The header states which was used.
   */
  optimize?: OptimizeGoal;
  /** The core's tuning row when not the ISA's own (tests: a plan the real row does not choose, such as speed's where it estimates slower). */
  tune?: CoreTuning;
  /** false leaves the target guard out of the .c (a network module guards its one file for every kernel in it). */
  guard?: boolean;
  /** Why this code was not proved bit-exact (`convgen build --no-verify`): the header then says NOT VERIFIED. */
  notVerified?: string;
}

export function generate(m: KernelModel, opts: GenerateOptions = {}): GeneratedKernel {
  const variant = opts.variant ?? DEFAULT_VARIANT;
  const plan = planAccumulator(m);
  const base = viewModel(m, plan, variant, variants[variant].summary);
  const isa = opts.isa ?? opts.target?.features ?? hostIsa;
  const optimize = opts.optimize ?? 'default';
  const family = variant === 'optimized' ? chooseFamily(m, plan, isa) : null;
  const ctx = { acc: plan, isa, optimize, ...(opts.tune ? { tune: opts.tune } : {}) };
  const ir = variant === 'reference' ? lowerWith(referenceVariant, m, ctx) : variant === 'naive' ? lowerWith(naiveVariant, m, ctx)
    : family?.kind === 'ir' ? lowerWith(family, m, ctx) : null;
  let view: ReturnType<typeof viewModel> & Record<string, unknown>;
  let cText: string;
  let needs: Requirements;
  if (ir) {
    cText = kernelFile(ir);
    needs = requirements(prune(ir));
    view = {
      ...base, weightBytes: ir.memory.weightBytes, staticRamBytes: ir.memory.staticBytes, staticRamDoc: ir.memory.staticDoc,
      ...(family ? { family: family.name, variantSummary: `${family.name} family: ${family.summary}` } : {}),
      ...(ir.optimizeLine ? { optimizeLine: ir.optimizeLine } : {}),
    };
  } else {
    if (family?.kind !== 'template') throw new Error(`generate: the ${variant} variant has no lowering`);
    view = { ...base, family: family.name, variantSummary: `${family.name} family: ${family.summary}`,
      ...family.view(m, plan, isa, { finishNeedsO: base.finishArgs === 'acc, o', optimize }) };
    cText = template(family.template)(view);
    needs = templateNeeds(family.name, cText);
  }
  const guard = opts.guard === false ? [] : targetGuard(`${m.name}.c`, needs, isa, opts.target);
  cText = withGuard(cText, m.name, guard);
  view.cLines = [
    ...(opts.target ? headerField('Target', `${targetText(opts.target)}.`) : []),
    ...headerField('C', requirementsText(needs) + (guard.length ? ' The .c stops with #error when compiled for a core without them.' : '')),
  ];
  const files: GeneratedFile[] = [
    { name: `${m.name}.h`, content: template('common/header.h.hbs')({ ...view, notVerified: opts.notVerified ?? '' }) },
    { name: `${m.name}.c`, content: cText },
    { name: ENTRY_HEADER, content: template('common/entry.h.hbs')({ ...view, builtinInput: Boolean(opts.builtinInput) }) },
  ];
  if (opts.builtinInput)
    files.push({
      name: `${m.name}_input.c`,
      content: template('common/builtin_input.c.hbs')({
        ...view, seed: opts.builtinInput.seed, lines: cArrayRows(opts.builtinInput.data, 16),
      }),
    });
  return {
    name: m.name,
    variant,
    family: family ? family.name : null,
    summary: family ? family.summary : variants[variant].summary,
    files,
    plan,
    needs,
    ram: { input: view.inputBytes, output: view.outputBytes, scratch: view.scratchBytes, static: 'staticRamBytes' in view ? Number(view.staticRamBytes) : 0 },
  };
}

/** Write the generated files into `dir` atomically: each file goes to a temp name first, then is renamed. */
export function writeKernel(kernel: GeneratedKernel, dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const f of kernel.files) {
    const dest = path.join(dir, f.name);
    const tmp = `${dest}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, f.content);
    fs.renameSync(tmp, dest);
    written.push(dest);
  }
  return written;
}
