/**
 * A kernel as a unit of a larger C module (a network): the same IR as the standalone files, printed so that several
 * units share one translation unit. Every symbol of a unit is static and carries the layer's name (the model's name);
 * the macros a unit defines without that prefix are #undef'd after it; a pragma that changes code generation is
 * scoped to the unit (push/pop); the includes, the ISA features and the memory a unit needs are returned as data so
 * that the module merges its includes and plans its memory.
 *
 *   const u = lowerKernel(model, findTarget('cortex-m4')!, { optimize: 'default' });
 *   // module: #include each of mergeRequirements(units.map((u) => u.requirements)).headers, then each u.code,
 *   // then the module's own functions calling u.entry.name(input, output).
 */
import type { KernelModel } from '../ops/conv_2d/spec/index.ts';
import type { Target } from '../targets/index.ts';
import { planAccumulator } from './accumulator.ts';
import { printItems, type PrintOptions } from '../emit-c/print.ts';
import { printOptions } from '../emit-c/index.ts';
import { optimizedFamilies } from '../families/index.ts';
import { lowerWith, type IrFamily, type OptimizeGoal } from '../families/family.ts';
import { naiveVariant } from '../families/naive/lower.ts';
import { referenceVariant } from '../families/reference/lower.ts';
import { numericDefines } from '../families/shared.ts';
import type { CScalar } from '../ir/kernel-ir.ts';
import { prune } from '../ir/prune.ts';
import { requirements, type Requirements } from '../ir/requirements.ts';
import { macros } from '../ir/symbols.ts';

export interface KernelUnitOptions {
  variant?: 'optimized' | 'reference' | 'naive';
  optimize?: OptimizeGoal;
  /** Use this family (by name) rather than the first that applies; it must be on the IR and accept the spec. */
  family?: string;
}

export interface KernelUnit {
  /** The layer's name: every symbol of the unit starts with it (upper-case for its macros). */
  name: string;
  /** The family (optimized) or portable variant that generated it. */
  family: string;
  /**
   * The family the optimized table would pick first where that one is not on the IR yet (the unit then comes from the
   * first IR family that applies), or null.
   */
  notOnIr: string | null;
  /** The entry: `static void <name>_run(const T *restrict input, T *restrict output)`. */
  entry: { name: string; inType: CScalar; outType: CScalar; signature: string };
  /** Headers (stdint.h included), ISA features and compiler extensions the unit's C needs. */
  requirements: Requirements;
  /**
   * Bytes: the caller's input and output tensors, scratch the caller provides (none today), the unit's own static
   * buffers in .bss (staticDoc says what), and flash for weights and bias.
   */
  memory: { inputBytes: number; outputBytes: number; scratchBytes: number; staticBytes: number; staticDoc: string; weightBytes: number; biasBytes: number };
  /** The <NAME>_* constants the unit defines for its code (shapes, the numeric format's). */
  constants: { name: string; value: string }[];
  /** The unit's C, to follow the module's #include lines. */
  code: string;
}

/** The IR families in the optimized table's order, with the first family of the table (IR or not) that applies. */
function chooseIrFamily(m: KernelModel, o: KernelUnitOptions, acc: ReturnType<typeof planAccumulator>, target: Target) {
  const isa = target.features;
  if (o.family) {
    const f = optimizedFamilies.find((x) => x.name === o.family);
    if (!f) throw new Error(`lowerKernel: no kernel family named ${o.family}`);
    if (f.kind !== 'ir') throw new Error(`lowerKernel: the ${f.name} family is not on the IR yet`);
    if (!f.applies(m, acc, isa)) throw new Error(`lowerKernel: the ${f.name} family does not take ${m.name} on ${target.name}`);
    return { family: f as IrFamily<unknown>, notOnIr: null };
  }
  const first = optimizedFamilies.find((f) => f.applies(m, acc, isa))!;
  const family = optimizedFamilies.find((f) => f.kind === 'ir' && f.applies(m, acc, isa));
  if (!family || family.kind !== 'ir') throw new Error(`lowerKernel: no family on the IR takes ${m.name} on ${target.name}`);
  return { family: family as IrFamily<unknown>, notOnIr: first.kind === 'ir' ? null : first.name };
}

export function lowerKernel(m: KernelModel, target: Target, o: KernelUnitOptions = {}): KernelUnit {
  const acc = planAccumulator(m);
  const ctx = { acc, isa: target.features, optimize: o.optimize ?? 'default' };
  const variant = o.variant ?? 'optimized';
  const chosen = variant === 'reference' ? { family: referenceVariant as IrFamily<unknown>, notOnIr: null }
    : variant === 'naive' ? { family: naiveVariant as IrFamily<unknown>, notOnIr: null } : chooseIrFamily(m, o, acc, target);
  const ir = prune(lowerWith(chosen.family, m, ctx));
  const N = ir.NAME;
  const st = m.numeric.storage;
  const t = st.cType as CScalar;
  const constants = [
    ...(['IN_C', 'IN_H', 'IN_W', 'OUT_C', 'OUT_H', 'OUT_W'] as const).map((k) => ({
      name: `${N}_${k}`, value: String({ IN_C: m.inC, IN_H: m.inH, IN_W: m.inW, OUT_C: m.outC, OUT_H: m.outH, OUT_W: m.outW }[k]) })),
    ...numericDefines(m).map((d) => ({ name: `${N}_${d.name}`, value: d.value })),
  ];
  const print: PrintOptions = { ...printOptions, unit: true };
  const scoped = ir.items.some((it) => it.k === 'pp-if' && it.then.some((x) => x.k === 'pragma'));
  const guard = '#if defined(__GNUC__) && !defined(__clang__)';
  const lines = [
    `/* ---- ${m.name}: conv2d ${m.inC}x${m.inH}x${m.inW} -> ${m.outC}x${m.outH}x${m.outW} (${m.layout.toUpperCase()}), ` +
      `${chosen.family.name}${ir.isaName ? ` for ${ir.isaName}` : ''} ---- */`,
    ...constants.map((c) => `#define ${c.name} ${c.value}`),
    ...(scoped ? [guard, '#pragma GCC push_options', '#endif'] : []),
  ];
  const own = (name: string) => name.startsWith(`${N}_`) || name.startsWith(`${m.name}_`);
  const tail = [
    ...(scoped ? [guard, '#pragma GCC pop_options', '#endif'] : []),
    ...macros(ir.items).filter((n) => !own(n)).map((n) => `#undef ${n}`),
  ];
  const bytes = st.bits / 8;
  return {
    name: m.name,
    family: chosen.family.name,
    notOnIr: chosen.notOnIr,
    entry: {
      name: ir.entry, inType: t, outType: t,
      signature: `static void ${ir.entry}(const ${t} *restrict input, ${t} *restrict output)`,
    },
    requirements: (() => {
      const r = requirements(ir);
      return { ...r, headers: ['stdint.h' as const, ...r.headers] };
    })(),
    memory: {
      inputBytes: m.inC * m.inH * m.inW * bytes, outputBytes: m.outC * m.outH * m.outW * bytes, scratchBytes: ir.memory.scratchBytes,
      staticBytes: ir.memory.staticBytes, staticDoc: ir.memory.staticDoc, weightBytes: ir.memory.weightBytes,
      biasBytes: ir.memory.biasBytes ?? (m.bias ? m.bias.length * (st.biasBits / 8) : 0),
    },
    constants,
    code: `${lines.join('\n')}\n${printItems(ir, print)}${tail.join('\n')}\n`,
  };
}
