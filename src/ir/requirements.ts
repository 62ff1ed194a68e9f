/**
 * What a kernel's C needs, derived from the IR nodes it uses: system headers, ISA features (the instructions its
 * intrinsics and inline assembly name), and compiler extensions beyond C99. The printer takes the #include lines
 * from here, and the header's requirements line; a network module merges several kernels' requirements.
 * Extensions guarded by `#if defined(__GNUC__)` with a portable fallback are not requirements.
 */
import type { IsaFeatures } from '../targets/index.ts';
import type { Helper, Intrinsic, Item, KernelIR, Mac, OutputStage } from './kernel-ir.ts';
import { visitItems } from './walk.ts';

/** Headers in the order a file includes them: the C library first, then ACLE, then the vector extensions. */
export const headerOrder = ['stdint.h', 'stddef.h', 'string.h', 'arm_acle.h', 'arm_mve.h', 'arm_neon.h'] as const;
export type Header = (typeof headerOrder)[number];

/** ISA features a kernel's instructions need (names of IsaFeatures flags). */
export type IsaNeed = 'dspv5te' | 'simd32' | 'saturate' | 'longMultiply' | 'ldrd' | 'mve' | 'neon';

export type Extension =
  /** GCC/Clang extended asm (`__asm__` with operands), not guarded. */
  | 'inline-asm'
  /** Local register variables pinned to a named register (`register ... __asm__("r4")`). */
  | 'register-variables'
  /** `__attribute__((aligned(n)))` on a table or buffer. */
  | 'aligned-attribute'
  /** `__builtin_assume_aligned`. */
  | 'builtin-assume-aligned';

export interface Requirements {
  headers: Header[];
  isa: IsaNeed[];
  extensions: Extension[];
}

export const intrinsicIsa: Record<Intrinsic, IsaNeed> = {
  __smlad: 'simd32', __smlald: 'simd32', __sxtb16: 'simd32', __sxtab16: 'simd32',
  __smlabb: 'dspv5te', __smlabt: 'dspv5te', __smlatb: 'dspv5te', __smlatt: 'dspv5te',
  __builtin_arm_ssat: 'saturate',
};

/** Library functions and macros kernels may use, and their headers. */
const libraryNames: Record<string, Header> = { memcpy: 'string.h', memset: 'string.h', NULL: 'stddef.h' };

/**
 * Vector intrinsics: IR calls to these names need the set's header and ISA feature. A set lists the intrinsics the
 * kernels call (names, not patterns: a name missing here fails the requirements test rather than passing unnoticed).
 */
const vectorSets: { header: Header; isa: IsaNeed; names: string[] }[] = [
  {
    header: 'arm_mve.h', isa: 'mve', names: [
      'vctp8q', 'vctp16q', 'vctp32q',
      'vldrbq_s8', 'vldrbq_z_s8', 'vldrhq_s16', 'vldrhq_z_s16', 'vldrbq_s32', 'vldrbq_z_s32', 'vldrhq_s32', 'vldrhq_z_s32',
      'vldrwq_s32', 'vldrwq_z_s32', 'vstrbq_s32', 'vstrbq_p_s32', 'vstrhq_s32', 'vstrwq_s32', 'vstrwq_p_s32',
      'vmladavaq_s8', 'vmladavaq_s16', 'vmlaldavaq_s16', 'vaddvaq_s8', 'vaddvaq_s16', 'vmlaq_n_s32', 'vmulq_s32',
      'vaddq_s32', 'vaddq_n_s32', 'vdupq_n_s32', 'vmovlbq_s16', 'vshrq_n_s32', 'vmaxq_s32', 'vminq_s32', 'vandq_s32',
      'vqaddq_s32', 'vqshlq_s32', 'vqrdmulhq_s32', 'vrshlq_s32',
    ],
  },
  {
    header: 'arm_neon.h', isa: 'neon', names: [
      'vld1_s8', 'vld2_s8', 'vld1_s16', 'vld1q_s16', 'vld2q_s16', 'vld1q_s32', 'vld1q_s64', 'vst1_s8', 'vst1_lane_s8', 'vst1q_s16',
      'vst1q_s32', 'vst1q_s64', 'vmovl_s8', 'vmovl_s16', 'vmovn_s16', 'vmovn_s32', 'vcombine_s16', 'vget_low_s16', 'vget_high_s16',
      'vget_low_s32', 'vget_high_s32', 'vreinterpret_s8_s32', 'vdup_n_s32', 'vdupq_n_s16', 'vdupq_n_s32', 'vdupq_n_s64',
      'vmlal_lane_s16', 'vmlal_n_s16', 'vmlal_s16', 'vmull_lane_s16', 'vmull_n_s16', 'vmull_s16', 'vaddw_s32', 'vaddq_s16',
      'vqrdmulhq_s32', 'vqshlq_s32', 'vqaddq_s32', 'vshrq_n_s32', 'vandq_s32', 'vrshlq_s32', 'vminq_s32', 'vmaxq_s32',
    ],
  },
];
/**
 * Each name's sets. Some names are in more than one (vdupq_n_s32 is NEON's and MVE's): such a name says nothing by
 * itself, the kernel's other calls (its loads and stores are never shared) name the set.
 */
const vectorIntrinsics = new Map<string, { header: Header; isa: IsaNeed }[]>();
for (const set of vectorSets) for (const n of set.names) vectorIntrinsics.set(n, [...(vectorIntrinsics.get(n) ?? []), set]);

/** A header that declares a vector intrinsic, or undefined for a name the table does not list. */
export const vectorIntrinsicHeader = (name: string): Header | undefined => vectorIntrinsics.get(name)?.[0].header;

/** What each node needs, collected over one walk of the IR. */
function collect(items: Item[]) {
  const headers = new Set<Header>();
  const isa = new Set<IsaNeed>();
  const extensions = new Set<Extension>();
  const intrinsic = (name: Intrinsic) => {
    headers.add('arm_acle.h');
    isa.add(intrinsicIsa[name]);
  };
  const helper = (h: Helper) => {
    switch (h.k) {
      case 'word-load':
        headers.add('string.h');
        if (h.aligned) extensions.add('builtin-assume-aligned');
        return;
      case 'sxtb16-ror8': case 'sxtab16-ror8': extensions.add('inline-asm'); isa.add('simd32'); return;
      case 'pair16': if (h.adjacent) headers.add('string.h'); return;
      case 'ldrd': extensions.add('inline-asm'); isa.add('ldrd'); return;
      case 'smlal-halves': extensions.add('inline-asm'); isa.add('dspv5te'); return;
      case 'lane-mac': extensions.add('inline-asm'); isa.add('longMultiply'); return;
      case 'mac-long': extensions.add('inline-asm'); return;
      case 'mve-offset-load': extensions.add('inline-asm'); isa.add('mve'); return;
      // the C fallback copies the word with memcpy
      case 'load-word-next': headers.add('string.h'); return;
      // the C fallback calls ACLE's __sxtb16
      case 'sxtb16-ror8-portable': intrinsic('__sxtb16'); return;
      // guarded by __GNUC__ with a portable fallback, or plain C
      case 'opaque': case 'halves-pack': case 'pack8': case 'offset-pair': case 'load-next': return;
      default: { const never: never = h; throw new Error(`requirements: unknown helper ${JSON.stringify(never)}`); }
    }
  };
  const stage = (st: OutputStage) => {
    switch (st.k) {
      case 'q-seeded': if (st.ssatBits > 0) intrinsic('__builtin_arm_ssat'); return;
      // the DSP stage's SMMLAR is guarded by __GNUC__ with a portable fallback; its SSAT is the builtin
      case 'requantize': if (st.dsp?.ssat) intrinsic('__builtin_arm_ssat'); return;
      case 'q': case 'store-bits': case 'bias-seed': case 'seed-table': case 'outline': return;
      default: { const never: never = st; throw new Error(`requirements: unknown output stage ${JSON.stringify(never)}`); }
    }
  };
  const mac = (m: Mac) => {
    switch (m.form) {
      case 'single': if (m.repr === 'split') { extensions.add('inline-asm'); isa.add('longMultiply'); } return;
      case 'dual':
        if (m.repr === 'split') { extensions.add('inline-asm'); isa.add('simd32'); } else intrinsic(m.repr === 'int64' ? '__smlald' : '__smlad');
        return;
      case 'halves':
        if (m.repr === 'int32') intrinsic(`__smla${m.sel}`);
        else { extensions.add('inline-asm'); isa.add('dspv5te'); }
        return;
      case 'quad': intrinsic(m.repr === 'int64' ? '__smlald' : '__smlad'); return;
      case 'lane': extensions.add('inline-asm'); isa.add('longMultiply'); return;
      default: { const never: never = m; throw new Error(`requirements: unknown MAC ${JSON.stringify(never)}`); }
    }
  };
  visitItems(items, {
    item: (it) => {
      if (it.k === 'helper') helper(it.helper);
      else if (it.k === 'stage') stage(it.stage);
      else if ((it.k === 'table' && it.table.align) || it.k === 'buffer') extensions.add('aligned-attribute');
    },
    stmt: (st) => {
      if (st.k === 'decl' && st.register) extensions.add('register-variables');
      else if (st.k === 'mac') mac(st.mac);
      else if (st.k === 'asm') { extensions.add('inline-asm'); st.needs.forEach((n) => isa.add(n)); }
      else if (st.k === 'load' && st.load.k === 'sxtb16' && st.load.rotate === 0) intrinsic(st.load.addPair ? '__sxtab16' : '__sxtb16');
    },
    expr: (e) => {
      if (e.k === 'intrinsic') intrinsic(e.name);
      else if (e.k === 'call' && libraryNames[e.fn]) headers.add(libraryNames[e.fn]);
      else if (e.k === 'call' && vectorIntrinsics.get(e.fn)?.length === 1) {
        const [set] = vectorIntrinsics.get(e.fn)!;
        headers.add(set.header);
        isa.add(set.isa);
      }
      else if (e.k === 'id' && libraryNames[e.name]) headers.add(libraryNames[e.name]);
    },
  });
  return { headers, isa, extensions };
}

export function requirements(ir: Pick<KernelIR, 'items'>): Requirements {
  const c = collect(ir.items);
  return {
    headers: headerOrder.filter((h) => c.headers.has(h)),
    isa: [...c.isa].sort(),
    extensions: [...c.extensions].sort(),
  };
}

/** The requirements of several kernels in one module. */
export function mergeRequirements(list: Requirements[]): Requirements {
  return {
    headers: headerOrder.filter((h) => list.some((r) => r.headers.includes(h))),
    isa: [...new Set(list.flatMap((r) => r.isa))].sort(),
    extensions: [...new Set(list.flatMap((r) => r.extensions))].sort(),
  };
}

/** Whether an ISA has every feature a kernel needs. */
export const isaSatisfies = (isa: IsaFeatures, r: Requirements): boolean => r.isa.every((f) => isa[f]);

const isaWords: Record<IsaNeed, string> = {
  dspv5te: 'SMLAxy/SMLALxy (ARMv5TE DSP)',
  simd32: 'SMLAD/SXTB16 (ARMv6 SIMD, ARMv7E-M DSP)',
  saturate: 'SSAT',
  longMultiply: 'SMLAL',
  ldrd: 'LDRD',
  mve: 'MVE (ARMv8.1-M Helium)',
  neon: 'NEON (ARMv7-A Advanced SIMD)',
};
const extensionWords: Record<Extension, string> = {
  'inline-asm': 'extended asm',
  'register-variables': 'local register variables',
  'aligned-attribute': '__attribute__((aligned))',
  'builtin-assume-aligned': '__builtin_assume_aligned',
};

/** What a header says the C needs, in words: its headers, the instructions it names, the GNU C extensions it uses. */
export function requirementsText(r: Requirements): string {
  const headers = ['stdint.h', ...r.headers.filter((h) => h !== 'stdint.h')].map((h) => `<${h}>`);
  const parts = [`C99 with ${headers.join(', ')}; no heap, no floating point.`];
  if (r.isa.length) parts.push(`Instructions: ${r.isa.map((f) => isaWords[f]).join(', ')}.`);
  if (r.extensions.length) parts.push(`GNU C (GCC or Clang): ${r.extensions.map((e) => extensionWords[e]).join(', ')}.`);
  parts.push('Relies on >> of a negative value being an arithmetic shift (floor), as GCC and Clang define it.');
  return parts.join(' ');
}
