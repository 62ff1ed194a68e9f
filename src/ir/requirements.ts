/**
 * What a kernel's C needs, derived from the IR nodes it uses: system headers, ISA features (the instructions its
 * intrinsics and inline assembly name), and compiler extensions beyond C99. The printer takes the #include lines
 * from here, and the header's requirements line; a network module merges several kernels' requirements.
 * Extensions guarded by `#if defined(__GNUC__)` with a portable fallback are not requirements.
 */
import type { IsaFeatures } from '../targets/index.ts';
import type { Expr, Helper, Intrinsic, Item, KernelIR, Load, Mac, OutputStage, Stmt } from './kernel-ir.ts';

/** Headers in the order a file includes them: the C library first, then ACLE. */
export const headerOrder = ['stdint.h', 'stddef.h', 'string.h', 'arm_acle.h'] as const;
export type Header = (typeof headerOrder)[number];

/** ISA features a kernel's instructions need (names of IsaFeatures flags). */
export type IsaNeed = 'dspv5te' | 'simd32' | 'saturate' | 'longMultiply' | 'ldrd';

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

const intrinsicIsa: Record<Intrinsic, IsaNeed> = {
  __smlad: 'simd32', __smlald: 'simd32', __sxtb16: 'simd32', __sxtab16: 'simd32',
  __smlabb: 'dspv5te', __smlabt: 'dspv5te', __smlatb: 'dspv5te', __smlatt: 'dspv5te', __ssat: 'saturate',
};

/** Library functions and macros kernels may use, and their headers. */
const libraryNames: Record<string, Header> = { memcpy: 'string.h', memset: 'string.h', NULL: 'stddef.h' };

class Collector {
  readonly headers = new Set<Header>();
  readonly isa = new Set<IsaNeed>();
  readonly extensions = new Set<Extension>();

  private intrinsic(name: Intrinsic): void {
    this.headers.add('arm_acle.h');
    this.isa.add(intrinsicIsa[name]);
  }

  expr(e: Expr): void {
    switch (e.k) {
      case 'int': case 'lit': return;
      case 'id': if (libraryNames[e.name]) this.headers.add(libraryNames[e.name]); return;
      case 'bin': this.expr(e.a); this.expr(e.b); return;
      case 'neg': case 'not': case 'addr': case 'deref': case 'preinc': case 'postinc': case 'sizeof': case 'cast': case 'paren':
        this.expr(e.e); return;
      case 'call':
        if (libraryNames[e.fn]) this.headers.add(libraryNames[e.fn]);
        e.args.forEach((a) => this.expr(a));
        return;
      case 'intrinsic': this.intrinsic(e.name); e.args.forEach((a) => this.expr(a)); return;
      case 'index': this.expr(e.a); this.expr(e.i); return;
      case 'member': this.expr(e.a); return;
      case 'cond': this.expr(e.c); this.expr(e.t); this.expr(e.f); return;
      case 'assign': this.expr(e.lhs); this.expr(e.rhs); return;
      default: { const never: never = e; throw new Error(`requirements: unknown expression ${JSON.stringify(never)}`); }
    }
  }

  private helper(h: Helper): void {
    switch (h.k) {
      case 'word-load':
        this.headers.add('string.h');
        if (h.aligned) this.extensions.add('builtin-assume-aligned');
        return;
      case 'sxtb16-ror8': case 'sxtab16-ror8': this.extensions.add('inline-asm'); this.isa.add('simd32'); return;
      case 'pair16': if (h.adjacent) this.headers.add('string.h'); return;
      case 'ldrd': this.extensions.add('inline-asm'); this.isa.add('ldrd'); return;
      case 'smlal-halves': this.extensions.add('inline-asm'); this.isa.add('dspv5te'); return;
      case 'lane-mac': this.extensions.add('inline-asm'); this.isa.add('longMultiply'); return;
      case 'mac-long': this.extensions.add('inline-asm'); return;
      // guarded by __GNUC__ with a portable fallback, or plain C
      case 'opaque': case 'halves-pack': case 'pack8': case 'offset-pair': return;
      default: { const never: never = h; throw new Error(`requirements: unknown helper ${JSON.stringify(never)}`); }
    }
  }

  private stage(s: OutputStage): void {
    switch (s.k) {
      case 'q-seeded': if (s.ssatBits > 0) this.intrinsic('__ssat'); return;
      case 'q': case 'requantize': case 'store-bits': case 'bias-seed': case 'seed-table': case 'outline': return;
      default: { const never: never = s; throw new Error(`requirements: unknown output stage ${JSON.stringify(never)}`); }
    }
  }

  private mac(m: Mac): void {
    const operands = m.form === 'quad' ? [...m.x, ...m.w] : [m.x, m.w];
    operands.forEach((x) => this.expr(x));
    switch (m.form) {
      case 'single': if (m.repr === 'split') { this.extensions.add('inline-asm'); this.isa.add('longMultiply'); } return;
      case 'dual':
        if (m.repr === 'split') { this.extensions.add('inline-asm'); this.isa.add('simd32'); } else this.intrinsic(m.repr === 'int64' ? '__smlald' : '__smlad');
        return;
      case 'halves':
        if (m.repr === 'int32') this.intrinsic(`__smla${m.sel}`);
        else { this.extensions.add('inline-asm'); this.isa.add('dspv5te'); }
        return;
      case 'quad': this.intrinsic(m.repr === 'int64' ? '__smlald' : '__smlad'); return;
      case 'lane': this.extensions.add('inline-asm'); this.isa.add('longMultiply'); return;
      default: { const never: never = m; throw new Error(`requirements: unknown MAC ${JSON.stringify(never)}`); }
    }
  }

  private load(l: Load): void {
    switch (l.k) {
      case 'elem': this.expr(l.base); this.expr(l.at); if (l.add) this.expr(l.add); return;
      case 'word': case 'pair16': this.expr(l.base); this.expr(l.at); return;
      case 'lanes': case 'pack8': this.expr(l.base); this.expr(l.at); this.expr(l.at2); return;
      case 'ldrd': return;
      case 'sxtb16': if (l.rotate === 0) this.intrinsic(l.addPair ? '__sxtab16' : '__sxtb16'); return;
      default: { const never: never = l; throw new Error(`requirements: unknown load ${JSON.stringify(never)}`); }
    }
  }

  stmts(list: Stmt[]): void {
    for (const s of list) this.stmt(s);
  }

  private stmt(s: Stmt): void {
    switch (s.k) {
      case 'decl':
        if (s.register) this.extensions.add('register-variables');
        if (s.init) this.expr(s.init);
        return;
      case 'decls': s.vars.forEach((v) => v.init && this.expr(v.init)); return;
      case 'expr': case 'opaque': this.expr(s.e); return;
      case 'load': this.load(s.load); return;
      case 'mac': this.mac(s.mac); return;
      case 'output': [s.o, s.y, s.x, s.acc].forEach((e) => this.expr(e)); return;
      case 'for': this.expr(s.loop.from); this.expr(s.loop.cond); if (s.loop.step !== 'inc') this.expr(s.loop.step);
        s.loop.also.forEach((e) => this.expr(e)); this.stmts(s.loop.body); return;
      case 'if': this.expr(s.cond); this.stmts(s.then); if (s.else) this.stmts(s.else); return;
      case 'block': this.stmts(s.body); return;
      case 'switch': this.expr(s.on); s.cases.forEach((c) => this.stmts(c.body)); this.stmts(s.default); return;
      case 'return': if (s.e) this.expr(s.e); return;
      case 'continue': case 'break': case 'comment': case 'blank': return;
      default: { const never: never = s; throw new Error(`requirements: unknown statement ${JSON.stringify(never)}`); }
    }
  }

  item(it: Item): void {
    switch (it.k) {
      case 'helper': this.helper(it.helper); return;
      case 'stage': this.stage(it.stage); return;
      case 'func': this.stmts(it.fn.body); return;
      case 'table': if (it.table.align) this.extensions.add('aligned-attribute'); return;
      case 'buffer': this.extensions.add('aligned-attribute'); return;
      case 'group': it.items.forEach((x) => this.item(x)); return;
      case 'pp-if':
        for (const x of [...it.then, ...(it.elif ?? []).flatMap((b) => b.then), ...(it.else ?? [])]) this.item(x);
        return;
      case 'comment': case 'blank': case 'define': case 'pragma': case 'region-table': case 'struct': return;
      default: { const never: never = it; throw new Error(`requirements: unknown item ${JSON.stringify(never)}`); }
    }
  }
}

export function requirements(ir: Pick<KernelIR, 'items'>): Requirements {
  const c = new Collector();
  for (const it of ir.items) c.item(it);
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
