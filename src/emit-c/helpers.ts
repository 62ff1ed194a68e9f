/**
 * The C of the helpers kernels define (IR Helper nodes): word loads, inline-assembly MACs and unpacks, and the empty
 * asm that keeps loads in their loop. One function per helper kind; the switch is exhaustive.
 */
import type { Helper } from '../ir/kernel-ir.ts';
import { LINE_BUDGET } from './break.ts';

/**
 * One-statement functions, one line each; when one of them is over the line budget, all are laid out as the other
 * helpers are (so that a pair reads alike).
 */
function oneLiners(fns: [head: string, stmt: string][]): string[] {
  const lines = fns.map(([head, stmt]) => `${head} { ${stmt} }`);
  return lines.every((l) => l.length <= LINE_BUDGET) ? lines : fns.flatMap(([head, stmt]) => [head, '{', `    ${stmt}`, '}']);
}

export function helperLines(h: Helper): string[] {
  switch (h.k) {
    case 'word-load':
      return [
        `static inline int32_t ${h.prefix}_word(const ${h.elem} *p)`,
        '{',
        '    int32_t v;',
        h.aligned ? '    memcpy(&v, __builtin_assume_aligned(p, 4), sizeof v); /* one LDR: the words read are aligned */'
          : '    memcpy(&v, p, sizeof v); /* one (possibly unaligned) LDR */',
        '    return v;',
        '}',
      ];
    case 'sxtb16-ror8':
      return [
        `static inline int32_t ${h.prefix}_odd(int32_t v)`,
        '{',
        '    int32_t r;',
        '    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));',
        '    return r;',
        '}',
      ];
    case 'sxtab16-ror8':
      return [
        `static inline int32_t ${h.prefix}_odd_offset(int32_t v)`,
        '{',
        '    int32_t r;',
        '    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(OFFSET_PAIR), "r"(v));',
        '    return r;',
        '}',
      ];
    case 'mve-offset-load':
      return [`#define LOAD(x, p, off) __asm__("${h.insn} %q0, [%1, #" #off "]" : "=w"(x) : "l"(p), \\`,
        `    "m"(*(const ${h.elem} (*)[${h.elems}])(const void *)((const char *)(p) + (off))))`];
    case 'offset-pair':
      return [`#define OFFSET_PAIR ${h.value}`];
    case 'pack8':
      return ['#define PACK8(lo, hi) ((int32_t)((uint32_t)(uint16_t)(lo) | ((uint32_t)(hi) << 16)))'];
    case 'pair16':
      return h.adjacent
        ? [
            '/* Consecutive input channels are adjacent in memory (HWC): one (possibly unaligned) 32-bit load. */',
            `static inline int32_t ${h.prefix}_pair(const int16_t *p)`,
            '{',
            '    int32_t v;',
            '    memcpy(&v, p, sizeof v);',
            '    return v;',
            '}',
            `#define PAIR(p, off) ${h.prefix}_pair((p) + (off))`,
          ]
        : [
            '/* Channel c in the low half, channel c+1 (CI_STRIDE further) in the high half: PKHBT on the DSP cores. */',
            '#define PAIR(p, off) ((int32_t)((uint32_t)(uint16_t)(p)[(off)] | ((uint32_t)(uint16_t)(p)[(off) + CI_STRIDE] << 16)))',
          ];
    case 'ldrd':
      return [
        '#define LDRD_POST(lo, hi, p, step) do { uint64_t v_; \\',
        '    __asm__("ldrd %0, %H0, [%1], #" #step : "=&r"(v_), "+r"(p) : "m"(*(const uint64_t *)(const void *)(p))); \\',
        '    (lo) = (int32_t)(uint32_t)v_; (hi) = (int32_t)(uint32_t)(v_ >> 32); } while (0)',
        '#define LDRD_PRE(lo, hi, p, step) do { uint64_t v_; \\',
        '    __asm__("ldrd %0, %H0, [%1, #" #step "]!" : "=&r"(v_), "+r"(p) \\',
        '        : "m"(*(const uint64_t *)(const void *)((const char *)(p) + (step)))); \\',
        '    (lo) = (int32_t)(uint32_t)v_; (hi) = (int32_t)(uint32_t)(v_ >> 32); } while (0)',
      ];
    case 'smlal-halves':
      return [
        '/* SMLALxy has no ACLE intrinsic: %Q0/%R0 are the low and high registers of the 64-bit accumulator. */',
        `static inline int64_t ${h.prefix}_smlal${h.sel}(int32_t x, int32_t w, int64_t acc)`,
        '{',
        `    __asm__("smlal${h.sel} %Q0, %R0, %1, %2" : "+r"(acc) : "r"(x), "r"(w));`,
        '    return acc;',
        '}',
      ];
    case 'lane-mac':
      return [
        '/* (lo, hi) += rm * rs; rs is the operand an ARM9TDMI multiplier terminates early on (the smaller values). */',
        '#define LANE_MAC(lo, hi, rm, rs) __asm__("smlal %0, %1, %2, %3" : "+&r"(lo), "+&r"(hi) : "r"(rm), "r"(rs))',
      ];
    case 'mac-long':
      return ['#define MAC_LONG(ins, lo, hi, x, w) __asm__(ins " %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(x), "r"(w))'];
    case 'opaque':
      return [
        '#if defined(__GNUC__)',
        '#define KEEP_LOADS_IN_LOOP(p) __asm__("" : "+r"(p))',
        '#else',
        '#define KEEP_LOADS_IN_LOOP(p) ((void)0)',
        '#endif',
      ];
    case 'halves-pack':
      return [
        '#if defined(__GNUC__)',
        '/* (a.lo, b.lo) and (a.hi, b.hi): PKHBT and PKHTB, one instruction each. */',
        `static inline uint32_t ${h.prefix}_low_halves(uint32_t a, uint32_t b)`,
        '{',
        '    uint32_t r;',
        '    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));',
        '    return r;',
        '}',
        `static inline uint32_t ${h.prefix}_high_halves(uint32_t a, uint32_t b)`,
        '{',
        '    uint32_t r;',
        '    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(b), "r"(a));',
        '    return r;',
        '}',
        '#else',
        ...oneLiners([
          [`static inline uint32_t ${h.prefix}_low_halves(uint32_t a, uint32_t b)`, 'return (a & 0xFFFFu) | (b << 16);'],
          [`static inline uint32_t ${h.prefix}_high_halves(uint32_t a, uint32_t b)`, 'return (a >> 16) | (b & 0xFFFF0000u);'],
        ]),
        '#endif',
      ];
    default: {
      const never: never = h;
      throw new Error(`emit-c: unknown helper ${JSON.stringify(never)}`);
    }
  }
}
