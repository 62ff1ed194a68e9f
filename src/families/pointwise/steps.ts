/**
 * One step of a pointwise block function as IR statements: the loads of `unit` input channels of pb pixels and of
 * the block's weights, and the multiply-accumulates of each (output channel, pixel) in the step's MAC form.
 * Accumulators are `a<channel>_<pixel>` (lane2: `a<channel>_<pair>`); every loaded value gets the next number.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import { add, addr, call, cast, constDecl, decl, id, index, intrinsic, mul, scalar, stmt, assign } from '../../ir/expr.ts';
import type { AccRepr, CScalar, Expr, HalfSel, Stmt } from '../../ir/kernel-ir.ts';
import { LANE2_SHIFT } from '../lanes.ts';
import type { MacForm } from './forms.ts';

export interface StepContext {
  m: KernelModel;
  /** The kernel's prefix (its helpers' names). */
  p: string;
  productType: CScalar;
  /** The main weight array's element type (raw weights, or packed words). */
  wType: CScalar;
  acc64: boolean;
  longMultiply: boolean;
  /** Input elements between consecutive pixels of a run, and between channels (CHW: a plane). */
  inPixel: number;
  ci: number;
  /** The next value's number (shared by a function's steps). */
  ids: { n: number };
}

/** Where a step's weights come from: the main array `w` (its own type) or the input-channel tail `wk` (raw, cast). */
export type WeightSource = 'main' | 'tail';

export const accName = (j: number, p: number) => `a${j}_${p}`;

const mac = (form: 'single' | 'dual', acc: string, repr: AccRepr, x: Expr, w: string): Stmt => ({ k: 'mac', mac: { form, acc, repr, x, w: id(w) } });
const halves = (sel: HalfSel, acc: string, x: string, w: string): Stmt => ({ k: 'mac', mac: { form: 'halves', sel, acc, repr: 'int32', x: id(x), w: id(w) } });
/** SMLALxy into a 64-bit sum held as two words (the family's macros: inline assembly under GCC, C elsewhere). */
const halvesSplit = (sel: HalfSel, acc: string, x: string, w: string): Stmt =>
  stmt(call(`SMLAL${sel.toUpperCase()}`, `${acc}_lo`, `${acc}_hi`, x, w));

/**
 * The statements of one step of `form` for n output channels x pb pixels: input at element offset `base` from px,
 * weights at `wBase` from w (or wk). `post`: pixel 0 of a plain or halves step is loaded last, post-indexed by the
 * channel plane (`plane`), which steps px on to the next channel.
 */
export function stepStmts(c: StepContext, form: MacForm, n: number, pb: number, base: number, wBase: number, src: WeightSource, post = false): Stmt[] {
  const out: Stmt[] = [];
  const next = (prefix: string) => `${prefix}${c.ids.n++}`;
  const { productType: T, inPixel } = c;
  const weight = (off: number): string => {
    const w = next('w');
    out.push(src === 'main' ? decl(scalar(c.wType, true), w, index('w', off)) : constDecl(T, w, cast(T, index('wk', off))));
    return w;
  };
  /** pb pixels of one channel, one element each (post: pixel 0's load last, stepping px). */
  const pixels = (): string[] => {
    const xs = Array.from({ length: pb }, () => next('x'));
    const load = (q: number) => out.push(constDecl(T, xs[q], cast(T, index('px', base + q * inPixel))));
    for (let q = post ? 1 : 0; q < pb; q++) load(q);
    if (post) out.push(constDecl(T, xs[0], call(`${c.p}_load_next`, addr(id('px')), 'plane')));
    return xs;
  };
  switch (form) {
    case 'lane2': {
      // Pixel pairs packed into one register each (x0 + x1 * 2^23); one SMLAL per (channel, pair).
      const xs = Array.from({ length: pb / 2 }, (_, q) => {
        const x = next('x');
        const at = (i: number) => cast('int32_t', index('px', base + i * inPixel));
        out.push(constDecl('int32_t', x, add(at(2 * q), mul(at(2 * q + 1), 2 ** LANE2_SHIFT))));
        return x;
      });
      for (let j = 0; j < n; j++) {
        const w = weight(wBase + j);
        for (let q = 0; q < pb / 2; q++) out.push(mac('single', accName(j, q), 'int64', cast('int64_t', xs[q]), w));
      }
      return out;
    }
    case 'lane2w': {
      // Each channel pair's packed word times each pixel's byte (the byte as the multiply's second operand: Rs).
      const xs = pixels();
      for (let i = 0; i < n / 2; i++) {
        const w = weight(wBase + i);
        for (let q = 0; q < pb; q++) out.push(mac('single', accName(i, q), 'int64', cast('int64_t', w), xs[q]));
      }
      return out;
    }
    case 'plain': {
      const xs = pixels();
      // SMLAL where the core has it; elsewhere the 32-bit product (proved to fit) is added to the 64-bit sum.
      const long = c.acc64 && c.longMultiply;
      for (let j = 0; j < n; j++) {
        const w = weight(wBase + j);
        for (let q = 0; q < pb; q++) out.push(mac('single', accName(j, q), c.acc64 ? 'int64' : 'int32', long ? cast('int64_t', xs[q]) : id(xs[q]), w));
      }
      return out;
    }
    case 'halves': {
      const xs = pixels();
      for (let i = 0; i < n / 2; i++) {
        const w = weight(wBase + i);
        for (let q = 0; q < pb; q++) {
          out.push(c.acc64 ? halvesSplit('bb', accName(2 * i, q), xs[q], w) : halves('bb', accName(2 * i, q), xs[q], w));
          out.push(c.acc64 ? halvesSplit('bt', accName(2 * i + 1, q), xs[q], w) : halves('bt', accName(2 * i + 1, q), xs[q], w));
        }
      }
      return out;
    }
    case 'halves-pixels': {
      // One word of pixels p, p+1 (bottom, top halves), stepping px to the next plane; weights: channel 2i bottom,
      // 2i+1 top.
      const x = next('x');
      out.push(constDecl('int32_t', x, call(`${c.p}_load_word_next`, addr(id('px')), 'plane')));
      for (let i = 0; i < n / 2; i++) {
        const w = weight(wBase + i);
        const sels: [HalfSel, number, number][] = [['bb', 2 * i, 0], ['bt', 2 * i + 1, 0], ['tb', 2 * i, 1], ['tt', 2 * i + 1, 1]];
        for (const [sel, j, q] of sels) out.push(c.acc64 ? halvesSplit(sel, accName(j, q), x, w) : halves(sel, accName(j, q), x, w));
      }
      return out;
    }
    case 'dual': {
      const xs: string[] = [];
      const word = (name: string, at: number) => out.push(constDecl('int32_t', name, call(`${c.p}_load32`, add('px', at))));
      for (let q = 0; q < pb; q++) {
        if (c.m.layout === 'hwc') {
          const x = next('x');
          word(x, base + q * inPixel);
          xs.push(x);
        } else if (inPixel === 1 && q + 1 < pb) {
          // Two pixels of channel c and of channel c+1: one word each, then the halves exchanged.
          const r0 = next('r');
          const r1 = next('r');
          word(r0, base + q);
          word(r1, base + q + c.ci);
          const x0 = next('x');
          const x1 = next('x');
          out.push(constDecl('int32_t', x0, call('PKHBT', r0, r1)), constDecl('int32_t', x1, call('PKHTB', r1, r0)));
          xs.push(x0, x1);
          q++;
        } else {
          const x = next('x');
          const at = base + q * inPixel;
          out.push(constDecl('int32_t', x, call('PKHBT', index('px', at), index('px', add(at, 'CI_STRIDE')))));
          xs.push(x);
        }
      }
      for (let j = 0; j < n; j++) {
        const w = weight(wBase + j);
        for (let q = 0; q < pb; q++) out.push(mac('dual', accName(j, q), c.acc64 ? 'int64' : 'int32', id(xs[q]), w));
      }
      return out;
    }
    case 'quad': case 'quad-widened': {
      const even: string[] = [];
      const odd: string[] = [];
      /** SXTB16 of a word: bytes 0 and 2, then bytes 1 and 3, as int16 lanes. */
      const unpack = (src: string, e: string, o: string) =>
        out.push(constDecl('int32_t', e, cast('int32_t', intrinsic('__sxtb16', src))), constDecl('int32_t', o, call(`${c.p}_sxtb16_ror8`, src)));
      for (let q = 0; q < pb; q++) {
        const r = next('r');
        out.push(constDecl('int32_t', r, call(`${c.p}_load32`, add('px', base + q * inPixel))));
        const e = next('x');
        const o = next('x');
        unpack(r, e, o);
        even.push(e);
        odd.push(o);
      }
      for (let j = 0; j < n; j++) {
        let we: string;
        let wo: string;
        if (form === 'quad-widened') {
          we = weight(wBase + 2 * j);
          wo = weight(wBase + 2 * j + 1);
        } else {
          const we0 = next('w');
          const wo0 = next('w');
          const r = next('r');
          out.push(decl(scalar(c.wType, true), r, index('w', wBase + j)));
          unpack(r, we0, wo0);
          [we, wo] = [we0, wo0];
        }
        const repr = c.acc64 ? 'int64' : 'int32';
        for (let q = 0; q < pb; q++) out.push(mac('dual', accName(j, q), repr, id(even[q]), we));
        for (let q = 0; q < pb; q++) out.push(mac('dual', accName(j, q), repr, id(odd[q]), wo));
        // Pre-widened weights need no unpacking, so nothing keeps the scheduler from hoisting every channel's loads.
        if (form === 'quad-widened' && j + 1 < n) out.push(stepFence());
      }
      return out;
    }
    default: {
      const never: never = form;
      throw new Error(`pointwise: unknown MAC form ${String(never)}`);
    }
  }
}

/** A scheduling fence between steps (an empty volatile asm under GCC). */
export const stepFence = (): Stmt => stmt(call('STEP_FENCE'));

/** px steps on by `off` elements, kept in its register. */
export const advance = (off: number): Stmt[] => [stmt(assign('px', off, '+=')), { k: 'opaque', e: id('px') }];
