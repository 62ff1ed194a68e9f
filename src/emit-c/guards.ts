/**
 * The target guard at the top of a generated .c: when the file is compiled for a core that lacks an instruction the
 * code names (Cortex-M4 code built with -mcpu=cortex-m3, say), the preprocessor stops with one #error naming the
 * flags it was generated for, instead of the assembler failing on an instruction deep in the file. The tests are
 * ACLE's feature macros and the compilers' ISA-state macros; code that needs neither (the portable variants) gets
 * no guard.
 */
import type { IsaFeatures, Target } from '../targets/index.ts';
import { isaStateNames } from '../targets/index.ts';
import type { IsaNeed, Requirements } from '../ir/requirements.ts';

/** The preprocessor test that holds when the selected core has the feature (ACLE names where ACLE has one). */
const featureTest: Record<IsaNeed, string> = {
  dspv5te: 'defined(__ARM_FEATURE_DSP)',
  simd32: 'defined(__ARM_FEATURE_SIMD32)',
  saturate: 'defined(__ARM_FEATURE_SAT)',
  // SMLAL: every A32 core from ARMv4T on, and Thumb-2; not Thumb-1 (ARMv6-M). ACLE has no macro for it.
  longMultiply: '(defined(__ARM_ARCH_ISA_ARM) || defined(__thumb2__))',
  // LDRD came with ARMv5TE, as did the DSP instructions; ACLE has no macro for it either.
  ldrd: '(defined(__ARM_FEATURE_DSP) || (defined(__ARM_ARCH) && __ARM_ARCH >= 6))',
  mve: 'defined(__ARM_FEATURE_MVE)',
  neon: 'defined(__ARM_NEON)',
};

/** The test that the code is compiled in the instruction-set state its inline assembly is written for. */
const stateTest: Record<IsaFeatures['state'], string | null> = {
  a32: '(defined(__arm__) && !defined(__thumb__))',
  thumb2: 'defined(__thumb2__)',
  thumb1: '(defined(__thumb__) && !defined(__thumb2__))',
  host: null,
};

const featureWords: Record<IsaNeed, string> = {
  dspv5te: 'the DSP instructions (__ARM_FEATURE_DSP)',
  simd32: 'the SIMD32 instructions SMLAD/SXTB16 (__ARM_FEATURE_SIMD32)',
  saturate: 'SSAT (__ARM_FEATURE_SAT)',
  longMultiply: 'SMLAL (A32 or Thumb-2)',
  ldrd: 'LDRD (ARMv5TE or later)',
  mve: 'MVE (__ARM_FEATURE_MVE)',
  neon: 'NEON (__ARM_NEON)',
};

/** The flags that select the target's core and state (its -D defines are the harness's business, not the code's). */
export const coreFlags = (t: Target): string[] => t.cpuFlags.filter((f) => f.startsWith('-mcpu=') || f === '-marm' || f === '-mthumb' || f.startsWith('-mfpu='));

/** One line naming a target: row, core, architecture, state and the flags it is compiled with. */
export function targetText(t: Target): string {
  const flags = t.cpuFlags.filter((f) => !f.startsWith('-D'));
  return `${t.name}: ${t.core}, ${t.arch}, ${isaStateNames[t.features.state]}${flags.length ? `; compiled with ${flags.join(' ')}` : ''}`;
}

/**
 * The guard lines for a .c file, or none when the code needs no ISA feature and no particular state. Inline
 * assembly and pinned registers are written for one state (A32 or Thumb), so they add the state to the test.
 */
export function targetGuard(file: string, r: Requirements, isa: IsaFeatures, target?: Target): string[] {
  const stateBound = r.extensions.includes('inline-asm') || r.extensions.includes('register-variables');
  const state = stateBound ? stateTest[isa.state] : null;
  const tests = [...r.isa.map((f) => featureTest[f]), ...(state ? [state] : [])];
  if (!tests.length) return [];
  const needs = [...r.isa.map((f) => featureWords[f]), ...(state ? [`code in ${isaStateNames[isa.state]}`] : [])];
  const flags = target ? coreFlags(target) : [];
  const forWhat = target ? `was generated for ${target.name} (${flags.join(' ')})` : `was generated for a ${isaStateNames[isa.state]} core`;
  const message = `${file} ${forWhat} and needs ${needs.join(', ')}: compile with ${flags.length ? flags.join(' ') : 'that core\'s -mcpu'}` +
    ', or generate for your core with convgen generate --target';
  const cond = tests.length === 1 ? `!${tests[0]}` : `!(${tests.join(' && \\\n      ')})`;
  // the rest of the file sits in the #else: the #error is the one message, not the first of many
  return [
    '/* Stop here, not in the assembler, when compiled for a core without what this code uses. */',
    `#if ${cond}`,
    `#error "${message.replace(/"/g, "'")}"`,
    '#else',
  ];
}

/** Put the file after its include of its own header inside the guard (the whole file when it has none). */
export function withGuard(c: string, name: string, guard: string[]): string {
  if (!guard.length) return c;
  const own = `#include "${name}.h"\n`;
  const at = c.indexOf(own);
  const end = at < 0 ? 0 : at + own.length;
  return `${c.slice(0, end)}${guard.join('\n')}\n${c.slice(end).replace(/\n*$/, '\n')}\n#endif /* the target guard */\n`;
}
