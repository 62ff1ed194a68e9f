/**
 * The typed kernel IR: what a kernel family's plan lowers to, and what src/emit-c prints as C. It sits between the
 * decisions (blocking, forms, regions: the plan) and the text. Nodes say what the code does (a load of a given width,
 * a multiply-accumulate in a given instruction form, an output stage, a weight table), never how C spells it; the
 * printer owns the spelling and derives from the nodes what the file needs (headers, ISA features, compiler
 * extensions: requirements.ts).
 *
 * The #include lines are not items: requirements.ts derives them from the nodes.
 *
 * Layout: a KernelIR is a list of top-level items (tables, helpers, output stages, functions, preprocessor lines);
 * functions hold statements; statements hold expressions (expr.ts builds them and folds constants when printed).
 */
import type { AccType, QOutputStage } from '../codegen/accumulator.ts';
import type { CIntType } from '../codegen/clit.ts';

/* ------------------------------------------------------------------------------------------------------------------
 * Types
 */

/** The C scalar types kernels use. */
export type CScalar = 'int8_t' | 'int16_t' | 'int32_t' | 'int64_t' | 'uint8_t' | 'uint16_t' | 'uint32_t' | 'uint64_t' | 'uintptr_t'
  | 'int' | 'unsigned char' | 'unsigned short' | 'void';

/** A value type: a scalar, a struct or a typedef name, optionally const, optionally one level of pointer. */
export interface CType {
  base: CScalar | { struct: string } | { typedef: string };
  /** The pointed-to (or, without ptr, the value) is const. */
  const?: boolean;
  /** inner: a pointer to a (const) pointer to the base (`const int16_t *const *rows`). */
  ptr?: { restrict?: boolean; inner?: { const?: boolean } };
}

/* ------------------------------------------------------------------------------------------------------------------
 * Expressions
 */

export type BinOp = '+' | '-' | '*' | '/' | '%' | '<<' | '>>' | '&' | '|' | '^' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '&&' | '||';
export type AssignOp = '=' | '+=' | '-=' | '>>=' | '<<=';

export type Expr =
  /** An integer; with `c` spelled as that C type's literal (cInt: INT64_C(...), 1u, INT32_MIN's form). */
  | { k: 'int'; v: number | bigint; c?: CIntType }
  /** A literal spelled as given (hex masks such as 0x8000u, string literals for asm mnemonics). */
  | { k: 'lit'; text: string }
  /** A variable, parameter, macro constant or function name. */
  | { k: 'id'; name: string }
  | { k: 'bin'; op: BinOp; a: Expr; b: Expr }
  | { k: 'neg'; e: Expr }
  | { k: 'not'; e: Expr }
  | { k: 'addr'; e: Expr }
  | { k: 'deref'; e: Expr }
  | { k: 'preinc'; e: Expr }
  | { k: 'postinc'; e: Expr }
  | { k: 'sizeof'; e: Expr }
  | { k: 'call'; fn: string; args: Expr[] }
  /** An ACLE intrinsic (its header and ISA feature are requirements). */
  | { k: 'intrinsic'; name: Intrinsic; args: Expr[] }
  | { k: 'index'; a: Expr; i: Expr }
  /** a->field, or a.field with `dot` (a struct value, such as a NEON vld2 result's `.val`). */
  | { k: 'member'; a: Expr; field: string; dot?: boolean }
  | { k: 'cast'; type: CType; e: Expr }
  | { k: 'cond'; c: Expr; t: Expr; f: Expr }
  /** Parentheses the precedence rules would not need, kept for the reader. */
  | { k: 'paren'; e: Expr }
  | { k: 'assign'; op: AssignOp; lhs: Expr; rhs: Expr };

/** ACLE intrinsics (arm_acle.h) the kernels call, with the ISA feature each needs. */
export type Intrinsic = '__smlad' | '__smlald' | '__smlabb' | '__smlabt' | '__smlatb' | '__smlatt' | '__sxtb16' | '__sxtab16'
  /**
   * SSAT as GCC's and clang's builtin, always cast to int32_t where printed: GCC 12's ACLE __ssat macro assigns the
   * builtin's unsigned result to an int32_t (-Wsign-conversion under -Wconversion), so kernels never call __ssat.
   */
  | '__builtin_arm_ssat';

/* ------------------------------------------------------------------------------------------------------------------
 * Multiply-accumulates: the instruction forms, one union
 */

/** Which 16-bit halves a halves-form MAC multiplies (x then w; b = bottom, t = top). */
export type HalfSel = 'bb' | 'bt' | 'tb' | 'tt';

/**
 * How an accumulator is held: one C variable (int32/int64), or a 64-bit sum as two uint32 halves `<id>l`/`<id>h`
 * updated by inline assembly (split), or two sums in bit lanes of a (lo, hi) pair (lanes).
 */
export type AccRepr = 'int32' | 'int64' | 'split' | 'lanes';

/**
 * One multiply-accumulate statement, by instruction form:
 * - single: acc += x * w (MLA, SMLAL on 64-bit);
 * - dual: SMLAD / SMLALD, both int16 lane products of x and w;
 * - halves: SMLAxy / SMLALxy, one int16 half of x times one of w;
 * - quad: x and w as unpacked even/odd lane registers (`<x>e`, `<x>o`): two dual MACs;
 * - lane: SMLAL of x and w into a (lo, hi) pair of bit lanes.
 */
export type Mac =
  | { form: 'single'; acc: string; repr: AccRepr; x: Expr; w: Expr }
  | { form: 'dual'; acc: string; repr: AccRepr; x: Expr; w: Expr }
  | { form: 'halves'; sel: HalfSel; acc: string; repr: AccRepr; x: Expr; w: Expr }
  /** x and w: the even and odd lane registers of the input and of the weights. */
  | { form: 'quad'; acc: string; repr: AccRepr; x: [Expr, Expr]; w: [Expr, Expr] }
  /** rs: which operand is SMLAL's Rs, the one whose significant bytes set an ARM9TDMI multiply's time. */
  | { form: 'lane'; acc: string; x: Expr; w: Expr; rs: 'x' | 'w' };

/* ------------------------------------------------------------------------------------------------------------------
 * Loads (value definitions): each defines const int32_t/T names from memory, with its width
 */

export type Load =
  /** One element p[at] (its storage width), cast to `type`, plus `add` (the input offset) if given. */
  | { k: 'elem'; name: string; type: CScalar; base: Expr; at: Expr; cast: boolean; add?: Expr }
  /** 32 bits from p + at: two int16 or four int8 elements (the helper's; word-aligned where proved). */
  | { k: 'word'; name: string; base: Expr; at: Expr }
  /** 32 bits: two int16 input channels (channel c low, c+1 high): adjacent (HWC, one load) or CI_STRIDE apart. */
  | { k: 'pair16'; name: string; base: Expr; at: Expr }
  /** Two int8 elements packed in bit lanes: p[at] (+ add) + (p[at2] (+ add)) * 2^shift. */
  | { k: 'lanes'; name: string; base: Expr; at: Expr; at2: Expr; add?: Expr; shift: number }
  /** Two int8 elements (at, at2) in int16 lanes, where no word may be read (PKHBT). */
  | { k: 'pack8'; name: string; base: Expr; at: Expr; at2: Expr }
  /** 64 bits by LDRD into (lo, hi), moving the pointer `step` bytes after (post) or before (pre). */
  | { k: 'ldrd'; lo: string; hi: string; ptr: string; pre: boolean; step: number }
  /** SXTB16 of a word: bytes 0 and 2 (rotate 0) or 1 and 3 (rotate 8) as int16 lanes, + the packed offset if given. */
  | { k: 'sxtb16'; name: string; src: string; rotate: 0 | 8; addPair: boolean };

/* ------------------------------------------------------------------------------------------------------------------
 * Statements
 */

export type Stmt =
  /** dims: an array of that many elements (numbers or macro names), on the stack. */
  | { k: 'decl'; type: CType; name: string; init?: Expr; register?: string; comment?: string; dims?: (number | string)[] }
  /** Several variables of one scalar type on one line (`uint32_t a = 0, b = 0;`). */
  | { k: 'decls'; type: CType; vars: { name: string; init?: Expr }[]; comment?: string }
  /** wrapAfter: a call's argument list breaks after this many arguments, continued 4 columns in. */
  | { k: 'expr'; e: Expr; comment?: string; wrapAfter?: number }
  | { k: 'load'; load: Load }
  | { k: 'mac'; mac: Mac }
  /** An output element: the accumulator value `acc` through the kernel's output stage into OUT_AT(o, y, x). */
  | { k: 'output'; o: Expr; y: Expr; x: Expr; acc: Expr; via: OutputVia }
  /** An empty asm that hides a value from the optimizer (the loads stay in their loop). */
  | { k: 'opaque'; e: Expr; comment?: string }
  /** GNU C extended asm: one instruction per line with named operands (%[name]), and what it needs of the ISA. */
  | { k: 'asm'; lines: string[]; outputs: AsmOperand[]; inputs: AsmOperand[]; clobbers: string[]; needs: AsmNeed[]; comment?: string }
  /** #if cond / #else / #endif around statements (one compiler's code beside the portable one). */
  | { k: 'pp-if'; cond: string; then: Stmt[]; else: Stmt[] }
  | { k: 'for'; loop: Loop }
  | { k: 'if'; cond: Expr; then: Stmt[]; else?: Stmt[]; braces: boolean; comment?: string }
  | { k: 'block'; body: Stmt[]; comment?: string }
  | { k: 'switch'; on: Expr; cases: { value: number; body: Stmt[] }[]; default: Stmt[] }
  | { k: 'return'; e?: Expr }
  | { k: 'continue'; comment?: string }
  | { k: 'break' }
  | { k: 'comment'; text: Comment }
  | { k: 'blank' };

/** An extended-asm operand: `[name] "constraint"(e)`. */
export interface AsmOperand {
  name: string;
  constraint: string;
  e: Expr;
}

/** ISA features an asm statement's instructions need (requirements.ts's IsaNeed). */
export type AsmNeed = 'simd32' | 'ldrd' | 'longMultiply' | 'dspv5te';

/**
 * for (int var = from; cond; ++var or var += step, also...): `cond` compares var (or an expression of it) with a
 * constant or a symbol (a macro, a parameter), so the count is constant or symbolic (expr.ts: upTo, through).
 * `label` is a trailing comment on the header line. `hanging`: the header two columns left of its body (the block
 * functions' pixel loop, as the text has always had it).
 */
export interface Loop {
  var: string;
  from: Expr;
  cond: Expr;
  step: Expr | 'inc';
  also: Expr[];
  body: Stmt[];
  braces: boolean;
  label?: string;
  hanging?: boolean;
}

/** How an output statement spells the output stage. */
export type OutputVia =
  /** OUT_AT(...) = fn(acc[, o]) with the result cast to the output type where the stage returns a wider one. */
  | { k: 'call'; fn: string; withO: boolean; cast?: CScalar }
  /** fn(&OUT_AT(...), acc): the stage stores the clamped value's bits itself. */
  | { k: 'store'; fn: string };

/* ------------------------------------------------------------------------------------------------------------------
 * Comments
 */

/** line: `/* a *\/` per line; block: `/*`, ` * a`, ` *\/`; hang: `/* a`, `   b *\/`. */
export interface Comment {
  style: 'line' | 'block' | 'hang';
  lines: string[];
}

/* ------------------------------------------------------------------------------------------------------------------
 * Top-level items
 */

export interface Param {
  type: CType;
  name: string;
}

export interface Func {
  name: string;
  linkage: 'static' | 'static inline' | 'extern';
  /** noinline under GCC (the attribute guarded by #if defined(__GNUC__)): a network's layers stay one function each. */
  noinline?: boolean;
  /** A macro of attributes on the line before the function (defined by an item). */
  attribute?: string;
  /** A macro of attributes between the linkage and the return type (`static NOINLINE void`), defined by an item. */
  specifier?: string;
  ret: CType;
  params: Param[];
  /** The parameter list breaks after this many parameters (continued 4 columns in). */
  wrapAfter?: number;
  body: Stmt[];
}

/** A static const table. dims: its C dimensions (numbers or macro names); rows: pre-formatted initializer lines. */
export interface Table {
  name: string;
  elem: CType['base'];
  dims: (number | string)[];
  align?: number;
  /** Nested: one braced group per outer element, with a comment each; flat: value lines. */
  body: { k: 'flat'; lines: string[] } | { k: 'nested'; groups: { comment: string; lines: string[] }[] };
  /** true: `static const`; false: `const` (external linkage, the built-in input tensor). */
  isStatic?: boolean;
}

/**
 * The blocked family's region table: a struct of small fields (each group of fields with a line of its own saying what
 * it is), one row per region; `none` names the value of a function field where a region has no such function.
 */
export interface RegionTable {
  struct: string;
  name: string;
  fields: { type: CScalar; names: string[]; doc: string }[];
  none: { name: string; value: number; doc: string };
  count: string;
  /** Field values in struct order; null: `none`. */
  rows: { values: (number | null)[]; doc: string }[];
  doc: Comment;
}

export type Item =
  | { k: 'comment'; text: Comment }
  | { k: 'blank' }
  | { k: 'define'; name: string; params?: string[]; body: string }
  | { k: 'pp-if'; cond: string; then: Item[]; elif?: { cond: string; then: Item[] }[]; else?: Item[] }
  /** A struct type (typedef'd: `typedef struct { ... } name;`), fields in groups (one declaration line each). */
  | { k: 'struct'; name: string; typedef: boolean; fieldGroups: { type: CScalar; names: string[] }[] }
  | { k: 'pragma'; text: string }
  | { k: 'helper'; helper: Helper; doc?: Comment }
  | { k: 'table'; table: Table; doc?: Comment }
  /** Items under one comment (a form's helpers): pruned as a whole once none of its items is used. */
  | { k: 'group'; doc?: Comment; items: Item[] }
  | { k: 'region-table'; table: RegionTable }
  | { k: 'stage'; stage: OutputStage }
  | { k: 'func'; fn: Func; doc?: Comment }
  /** A static buffer in .bss (staging), counted as the kernel's static RAM. */
  | { k: 'buffer'; name: string; elem: CScalar; size: string; align: number };

/* ------------------------------------------------------------------------------------------------------------------
 * Helpers: small functions and macros a kernel defines for its loops (inline assembly, word loads); src/emit-c
 * prints them and knows what each needs
 */

export type Helper =
  /** A 32-bit load of 2 int16 / 4 int8 elements through memcpy (one LDR), aligned when proved. */
  | { k: 'word-load'; prefix: string; elem: CScalar; aligned: boolean }
  /** SXTB16 of a word rotated by 8 (GCC does not fold the rotation): inline assembly. */
  | { k: 'sxtb16-ror8'; prefix: string }
  /** SXTAB16 of a word rotated by 8, adding OFFSET_PAIR. */
  | { k: 'sxtab16-ror8'; prefix: string }
  /** PACK8(lo, hi): two int16 lanes from two values (PKHBT). */
  | { k: 'pack8' }
  /** PAIR(p, off): two int16 input channels as one word: adjacent (one load) or CI_STRIDE apart (PKHBT). */
  | { k: 'pair16'; prefix: string; adjacent: boolean }
  /** LDRD_POST / LDRD_PRE: two words in one LDRD moving the pointer. */
  | { k: 'ldrd' }
  /** SMLALxy on an int64_t accumulator (no ACLE intrinsic): inline assembly. */
  | { k: 'smlal-halves'; prefix: string; sel: HalfSel }
  /** LANE_MAC(lo, hi, x, w): SMLAL into a (lo, hi) pair, early-clobbered. */
  | { k: 'lane-mac' }
  /** MAC_LONG(ins, lo, hi, x, w): a 64-bit MAC instruction on split halves. */
  | { k: 'mac-long' }
  /** KEEP_LOADS_IN_LOOP(p): an empty asm hiding a value (no-op without GCC). */
  | { k: 'opaque' }
  /** PKHBT / PKHTB as inline assembly under GCC, in C elsewhere. */
  | { k: 'halves-pack'; prefix: string }
  /** #define OFFSET_PAIR: the input offset in both int16 lanes. */
  | { k: 'offset-pair'; value: string }
  /**
   * LOAD(x, p, off): an MVE vector load (`insn`, e.g. vldrb.s32) from p at an immediate byte offset, as inline
   * assembly; the memory operand names the `elems` elements of type `elem` it reads.
   */
  | { k: 'mve-offset-load'; insn: string; elem: CScalar; elems: number }
  /**
   * `<prefix>_load_next(&p, stride)`: *p, then p moved on `stride` bytes: `insn` (ldrsb, ldrsh, ldr) post-indexed by a
   * register under GCC in A32 state (inline assembly), C elsewhere.
   */
  | { k: 'load-next'; prefix: string; elem: CScalar; insn: string }
  /** `<prefix>_load_word_next(&p, stride)`: the aligned word at p, then p moved on: LDR post-indexed, memcpy elsewhere. */
  | { k: 'load-word-next'; prefix: string; elem: CScalar }
  /** `<prefix>_sxtb16_ror8(a)`: SXTB16 of bytes 1 and 3, inline assembly under GCC, ACLE's __sxtb16 of the rotation elsewhere. */
  | { k: 'sxtb16-ror8-portable'; prefix: string };

/* ------------------------------------------------------------------------------------------------------------------
 * Output stages and seeds
 */

/** One per-channel quantity of a requantization: a constant, or a table indexed by the output channel. */
export type PerChannel = { k: 'const'; value: number } | { k: 'table'; table: string; cType: CScalar; lines: string[] };

export type OutputStage =
  /** The spec's Q stage in its own order: (acc + round) >> shift (or << with saturation), clamp. */
  | { k: 'q'; prefix: string; cType: CScalar; accType: AccType; stage: QOutputStage; doc: string }
  /** TFLite's MultiplyByQuantizedMultiplier + offset + clamp (int8). */
  | {
      k: 'requantize'; prefix: string; NAME: string; cType: CScalar; accType: AccType; doc: string;
      /** SRDHM as one add and one shift (the blocked family's), or with the reference's nudge and division. */
      fastSrdhm: boolean;
      /**
       * The proved accumulator bound keeps |acc| under 2^29, no left shift, every right shift at least 1: SRDHM never
       * meets INT32_MIN, and RDBPOT is (x + 2^(e-1) - (x < 0)) >> e (no overflow at that bound).
       */
      shortRound?: boolean;
      /**
       * The DSP form (requantize-dsp.ts, with shortRound): SMMLAR(2 acc, M, R + (acc >> 31)) >> e, R = 2^(e-1) + the
       * output offset * 2^e = (2 offset + 1) * 2^(e-1), then SSAT #8 (ssat: the clamp is the whole int8 range) or the
       * two compares. R is a constant where every channel shares e, else computed from the channel's e ('from-shift':
       * one shift, where a table would add four bytes a channel of data the shifts already hold), or under
       * `--optimize speed` a table (its load is cheaper than the shift: bench a int8 on Cortex-M4 1.275 -> 1.26).
       */
      dsp?: { round: PerChannel | { k: 'from-shift'; odd: number }; ssat: boolean };
      multiplier: PerChannel; left: PerChannel; right: PerChannel;
      saturate: boolean; preLo: number; preHi: number; lo: number; hi: number;
    }
  /** The Q stage with the rounding constant folded into per-channel seeds: shift, narrow, clamp (qfinish.ts). */
  | {
      k: 'q-seeded'; prefix: string; tag: string; NAME: string; accType: AccType; shift: number; narrow: boolean; vType: CScalar;
      /** SSAT bits (0: none); the sign test's shift (signSat); else the two compares. */
      ssatBits: number; signSat: boolean; signShift: number; lo: string; hi: string;
    }
  /** Stores a Q stage's clamped bits as the output type (immediates, no bound in a register). */
  | {
      k: 'store-bits'; prefix: string; cType: CScalar; accType: AccType; bits: number; shift: number;
      lo: string; hi: string; uType: CScalar; loBits: string; hiWord: string;
    }
  /** The bias seed: bias (times 2^shift) or 0. */
  | { k: 'bias-seed'; prefix: string; accType: AccType; bias: { scaled: boolean; scale: string } | null }
  /** A per-channel seed table read through an inline function. */
  | { k: 'seed-table'; prefix: string; fn: string; table: string; NAME: string; accType: AccType; elem: CScalar; lines: string[]; doc: Comment }
  /** The output stage out of line: one copy called per output. */
  | { k: 'outline'; prefix: string; cType: CScalar; accType: AccType; withO: boolean };

/* ------------------------------------------------------------------------------------------------------------------
 * A kernel
 */

/** A kernel's C file as IR: the banner and the items after `#include "<name>.h"`. */
export interface KernelIR {
  name: string;
  /** Upper-case name (the header's macro prefix). */
  NAME: string;
  banner: Comment;
  items: Item[];
  /** The entry function (a Func among the items): what a caller runs. */
  entry: string;
  /** Flash and RAM the kernel needs beyond the caller's input and output (the header states them). */
  memory: {
    weightBytes: number; staticBytes: number; staticDoc: string; scratchBytes: number;
    /** Flash of the per-channel tables that stand in for the bias table, where a family stores them instead. */
    biasBytes?: number;
  };
  /** The header's Optimize line (the optimized variant's families), if any. */
  optimizeLine?: string;
  /** How the header names the instruction set the code was written for, if it was written for one. */
  isaName?: string;
}
