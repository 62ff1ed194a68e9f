/**
 * The target table: one declarative row per core. Everything that differs between targets lives here as data
 * (compiler flags, ISA features, how to run it, memory); nothing else in convgen asks which target it is.
 * firmware/targets.mk is generated from this table (`convgen targets --makefile`).
 */
import type { CycleModelId } from '../cycles/index.ts';
import type { CoreId } from '../tuning/cores.ts';

export interface IsaFeatures {
  /** The core whose tuning row (src/tuning/cores.ts) the planner reads; boards name their core's. */
  core: CoreId;
  /** Instruction-set state the kernel runs in. */
  state: 'a32' | 'thumb1' | 'thumb2' | 'host';
  /** ARMv5TE SMLAxy/SMULxy/QADD family. */
  dspv5te: boolean;
  /** ARMv6 / ARMv7E-M SIMD: SMLAD, SXTB16, PKHBT. */
  simd32: boolean;
  /** SSAT (ARMv6, ARMv7-M and later): a signed clamp to a power-of-two range in one instruction. */
  saturate: boolean;
  /** 32x32->64 multiply-accumulate in hardware (SMLAL). */
  longMultiply: boolean;
  /** M-profile Vector Extension (Helium). */
  mve: boolean;
  neon: boolean;
  /** Unaligned word loads are allowed. */
  unaligned: boolean;
  /**
   * LDRD in A32 (ARMv5TE and later): two words into an even/odd register pair in one instruction; on ARMv5TE the
   * address must be 8-byte aligned. The halves form loads pairs of weight words with it where alignment is proved.
   */
  ldrd: boolean;
}

/** How generated headers name each instruction-set state. */
export const isaStateNames: Record<IsaFeatures['state'], string> = {
  a32: 'A32 (ARM state)', thumb2: 'Thumb-2', thumb1: 'Thumb-1 (ARMv6-M)', host: 'the host',
};

export interface QemuMachine {
  machine: string;
  cpu?: string;
  /** Machine-specific extra arguments (audio devices that would otherwise print noise, and so on). */
  extra: string[];
}

export interface Target {
  name: string;
  core: string;
  arch: string;
  /** How the image is checked: natively on the host, under QEMU, or only built (no emulator exists). */
  run: 'host' | 'qemu' | 'build-only';
  /** Compiler flags selecting the core, state and ABI. */
  cpuFlags: string[];
  features: IsaFeatures;
  /** The core's cycle model (src/cycles, docs/cycles.md); none for the host. */
  cycleModel?: CycleModelId;
  qemu?: QemuMachine;
  /** Paths relative to firmware/. */
  linkerScript?: string;
  startup?: string;
  harness?: string;
  /** The harness of a network image (firmware/harness/network_main.c and its UART and host twins). */
  networkHarness?: string;
  /** The image carries its input (no host file system to read it from) and prints a result line. */
  builtinInput?: boolean;
  /**
   * A build-only board's emulated twin: the row (same core, flags and ISA) under whose QEMU machine `convgen build`
   * proves the board's C bit-exact before it writes the board image.
   */
  verifyOn?: string;
  /** RAM available to .data, .bss (the tensors) and the stack, in bytes. */
  ramBytes: number;
  /** Of that RAM, what the image's stacks take (the linker script's main and exception stacks). */
  stackBytes: number;
  /** Code memory (text and const tables) where it is separate from RAM, in bytes. */
  flashBytes?: number;
  memoryMap: string;
}

const versatileAudio = ['-audiodev', 'none,id=n0', '-global', 'pl041.audiodev=n0'];
const a32Semihost = { startup: 'startup/a32.S', harness: 'harness/semihost_main.c', networkHarness: 'harness/network_main.c' };
const mSemihost = { startup: 'startup/cortex_m.c', harness: 'harness/semihost_main.c', networkHarness: 'harness/network_main.c' };
const noFeatures: IsaFeatures = {
  core: 'arm920t', state: 'a32', dspv5te: false, simd32: false, saturate: false, longMultiply: true, mve: false, neon: false, unaligned: false, ldrd: false,
};
const v7em: IsaFeatures = { ...noFeatures, core: 'cortex-m4', state: 'thumb2', dspv5te: true, simd32: true, saturate: true, unaligned: true };

export const targets: readonly Target[] = [
  {
    name: 'arm920t', core: 'ARM920T (S3C2410 class)', arch: 'ARMv4T', run: 'qemu',
    cpuFlags: ['-mcpu=arm920t', '-marm'], features: noFeatures, cycleModel: 'arm9tdmi',
    qemu: { machine: 'versatilepb', cpu: 'ti925t', extra: versatileAudio },
    linkerScript: 'ld/versatilepb.ld', ...a32Semihost, ramBytes: 128 << 20, stackBytes: 0x2200, memoryMap: 'SDRAM at 0x00000000 (128 MiB)',
  },
  {
    name: 'arm926ej-s', core: 'ARM926EJ-S', arch: 'ARMv5TE', run: 'qemu',
    cpuFlags: ['-mcpu=arm926ej-s', '-marm'], features: { ...noFeatures, core: 'arm926ej-s', dspv5te: true, ldrd: true }, cycleModel: 'arm9e-s',
    qemu: { machine: 'versatilepb', cpu: 'arm926', extra: versatileAudio },
    linkerScript: 'ld/versatilepb.ld', ...a32Semihost, ramBytes: 128 << 20, stackBytes: 0x2200, memoryMap: 'SDRAM at 0x00000000 (128 MiB)',
  },
  {
    name: 'cortex-m0', core: 'Cortex-M0', arch: 'ARMv6-M', run: 'qemu',
    cpuFlags: ['-mcpu=cortex-m0', '-mthumb'], features: { ...noFeatures, core: 'cortex-m0', state: 'thumb1', longMultiply: false }, cycleModel: 'cortex-m0',
    qemu: { machine: 'microbit', extra: [] },
    linkerScript: 'ld/microbit.ld', ...mSemihost, ramBytes: 16 << 10, stackBytes: 0x800, flashBytes: 256 << 10,
    memoryMap: 'flash 0x00000000 (256 KiB), SRAM 0x20000000 (16 KiB)',
  },
  {
    name: 'cortex-m3', core: 'Cortex-M3', arch: 'ARMv7-M', run: 'qemu',
    cpuFlags: ['-mcpu=cortex-m3', '-mthumb'], features: { ...noFeatures, core: 'cortex-m3', state: 'thumb2', saturate: true, unaligned: true }, cycleModel: 'cortex-m3',
    qemu: { machine: 'mps2-an385', extra: [] },
    linkerScript: 'ld/mps2.ld', ...mSemihost, ramBytes: 4 << 20, stackBytes: 0x2000, flashBytes: 4 << 20,
    memoryMap: 'code 0x00000000 (4 MiB), SRAM 0x20000000 (4 MiB)',
  },
  {
    name: 'cortex-m4', core: 'Cortex-M4', arch: 'ARMv7E-M', run: 'qemu',
    cpuFlags: ['-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=soft'], features: v7em, cycleModel: 'cortex-m4',
    qemu: { machine: 'mps2-an386', extra: [] },
    linkerScript: 'ld/mps2.ld', ...mSemihost, ramBytes: 4 << 20, stackBytes: 0x2000, flashBytes: 4 << 20,
    memoryMap: 'code 0x00000000 (4 MiB), SRAM 0x20000000 (4 MiB)',
  },
  {
    name: 'cortex-m7', core: 'Cortex-M7', arch: 'ARMv7E-M', run: 'qemu',
    cpuFlags: ['-mcpu=cortex-m7', '-mthumb', '-mfloat-abi=soft'], features: { ...v7em, core: 'cortex-m7' }, cycleModel: 'cortex-m7',
    qemu: { machine: 'mps2-an500', extra: [] },
    linkerScript: 'ld/mps2.ld', ...mSemihost, ramBytes: 4 << 20, stackBytes: 0x2000, flashBytes: 4 << 20,
    memoryMap: 'code 0x00000000 (4 MiB), SRAM 0x20000000 (4 MiB)',
  },
  {
    name: 'cortex-m33', core: 'Cortex-M33', arch: 'ARMv8-M Mainline', run: 'qemu',
    cpuFlags: ['-mcpu=cortex-m33', '-mthumb', '-mfloat-abi=soft'], features: { ...v7em, core: 'cortex-m33' }, cycleModel: 'cortex-m33',
    qemu: { machine: 'mps2-an505', extra: [] },
    linkerScript: 'ld/an505.ld', ...mSemihost, ramBytes: 4 << 20, stackBytes: 0x2000, flashBytes: 4 << 20,
    memoryMap: 'Secure code 0x10000000 (4 MiB), data 0x38000000 (4 MiB)',
  },
  {
    name: 'cortex-m55', core: 'Cortex-M55', arch: 'ARMv8.1-M (MVE)', run: 'qemu',
    cpuFlags: ['-mcpu=cortex-m55', '-mthumb', '-mfloat-abi=hard'], features: { ...v7em, core: 'cortex-m55', mve: true }, cycleModel: 'cortex-m55',
    qemu: { machine: 'mps3-an547', extra: [] },
    linkerScript: 'ld/an547.ld', ...mSemihost, ramBytes: 512 << 10, stackBytes: 0x2000, flashBytes: 512 << 10,
    memoryMap: 'ITCM 0x10000000 (512 KiB), DTCM 0x30000000 (512 KiB)',
  },
  {
    name: 'cortex-a9', core: 'Cortex-A9', arch: 'ARMv7-A (NEON)', run: 'qemu',
    cpuFlags: ['-mcpu=cortex-a9', '-mfpu=neon', '-mfloat-abi=hard', '-marm', '-DCONVGEN_ENABLE_NEON'],
    features: { ...noFeatures, core: 'cortex-a9', dspv5te: true, simd32: true, saturate: true, neon: true, unaligned: true, ldrd: true }, cycleModel: 'cortex-a9',
    qemu: { machine: 'vexpress-a9', extra: versatileAudio },
    linkerScript: 'ld/vexpress-a9.ld', ...a32Semihost, ramBytes: 128 << 20, stackBytes: 0x2200, memoryMap: 'DRAM at 0x60000000 (128 MiB)',
  },
  {
    name: 's3c2410', core: 'Samsung S3C2410 (ARM920T) board', arch: 'ARMv4T', run: 'build-only',
    cpuFlags: ['-mcpu=arm920t', '-marm'], features: noFeatures, cycleModel: 'arm9tdmi',
    linkerScript: 'ld/s3c2410.ld', startup: 'startup/s3c2410.S', harness: 'harness/uart_main.c',
    networkHarness: 'harness/network_uart_main.c', builtinInput: true, verifyOn: 'arm920t',
    ramBytes: 64 << 20, stackBytes: 0x2200, memoryMap: 'SDRAM at 0x30000000, UART0 at 0x50000000',
  },
  {
    name: 'host', core: 'the build machine', arch: 'host', run: 'host',
    cpuFlags: [], features: { ...noFeatures, core: 'host', state: 'host', unaligned: true },
    harness: 'host/host_main.c', networkHarness: 'host/network_main.c', ramBytes: 1 << 30, stackBytes: 0, memoryMap: 'process memory',
  },
];

export const DEFAULT_TARGET = 'arm920t';

/** Case does not matter: `--target Cortex-M4` is cortex-m4, as the core is spelled in ARM's documents. */
export function findTarget(name: string): Target | undefined {
  const key = name.trim().toLowerCase();
  return targets.find((t) => t.name === key);
}

/** `all` means every target that really runs the code (QEMU targets and the host). */
export function expandTargets(list: string): { found: Target[]; unknown: string[] } {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const found: Target[] = [];
  const unknown: string[] = [];
  for (const n of names) {
    if (n.toLowerCase() === 'all') found.push(...targets.filter((t) => t.run === 'qemu'));
    else {
      const t = findTarget(n);
      if (t) found.push(t);
      else unknown.push(n);
    }
  }
  return { found: [...new Set(found)], unknown };
}

/** firmware/targets.mk: the same rows, for building by hand with make. */
export function targetsMakefile(): string {
  const rows = targets.filter((t) => t.run !== 'host');
  const lines = [
    '# Generated from src/targets by `convgen targets --makefile`. Do not edit.',
    `TARGETS := ${rows.map((t) => t.name).join(' ')}`,
  ];
  for (const t of rows) {
    lines.push(`${t.name}.CFLAGS := ${t.cpuFlags.join(' ')}`);
    lines.push(`${t.name}.LDSCRIPT := ${t.linkerScript}`);
    lines.push(`${t.name}.STARTUP := ${t.startup}`);
    lines.push(`${t.name}.HARNESS := ${t.harness}`);
    if (t.qemu) lines.push(`${t.name}.QEMU := ${qemuMachineArgs(t.qemu).join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

export function qemuMachineArgs(q: QemuMachine): string[] {
  return ['-M', q.machine, ...(q.cpu ? ['-cpu', q.cpu] : []), ...q.extra];
}
