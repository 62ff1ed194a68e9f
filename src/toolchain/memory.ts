/**
 * Whether a layer fits a target's memory, asked before the linker is, so that a layer too big for a board is bad
 * input (exit 2) with the numbers -- which memory, what it needs, what the target has -- not a linker message (exit 3).
 * The check counts what is known exactly (tensors, guards, the kernel's static buffers, the stacks, the weight and
 * bias tables) and not the code, so it never refuses an image that would link; where the linker still finds the
 * memory short, its `region ... overflowed by N bytes` becomes the same kind of message (toolchain/index.ts).
 */
import { InputError } from '../errors.ts';
import type { Target } from '../targets/index.ts';

export interface LayerMemory {
  inputBytes: number;
  outputBytes: number;
  /** The kernel's own static buffers (.bss). */
  staticBytes: number;
  /** Weight and bias tables (flash, or RAM where code and data share one memory). */
  tableBytes: number;
}

/** CONVGEN_GUARD_BYTES before and after the output (firmware/include/convgen_poison.h). */
const GUARD_BYTES = 16;

const round8 = (n: number) => Math.ceil(n / 8) * 8;
const kib = (n: number) => (n % 1024 === 0 ? `${n / 1024} KiB` : `${n.toLocaleString('en-US')} B`);
const bytes = (n: number) => `${n.toLocaleString('en-US')} B`;

/** The parts of RAM and of flash an image of this layer needs at least, each named. */
export function memoryParts(l: LayerMemory, target: Target): { ram: [string, number][]; flash: [string, number][] } {
  const ram: [string, number][] = [
    ['input', round8(l.inputBytes)],
    ['output and its guards', round8(l.outputBytes + 2 * GUARD_BYTES)],
    ...(l.staticBytes > 0 ? [["the kernel's static buffers", round8(l.staticBytes)] as [string, number]] : []),
    ['stacks', target.stackBytes],
  ];
  const tables: [string, number] = ['weights and bias', l.tableBytes];
  return target.flashBytes === undefined ? { ram: [...ram, tables], flash: [] } : { ram, flash: [tables] };
}

/** Throws an InputError naming the memory, the need and the size when the layer cannot fit `target`. */
export function checkMemory(where: string, l: LayerMemory, target: Target): void {
  if (target.run === 'host') return;
  const { ram, flash } = memoryParts(l, target);
  for (const [what, parts, size] of [['RAM', ram, target.ramBytes], ['flash', flash, target.flashBytes ?? 0]] as const) {
    const need = parts.reduce((a, [, n]) => a + n, 0);
    if (parts.length && need > size)
      throw new InputError(where, `the layer needs at least ${bytes(need)} of ${what} on ${target.name} (${parts.map(([k, n]) => `${k} ${bytes(n)}`).join(' + ')}), `
        + `and ${target.name} has ${kib(size)} (${target.memoryMap}); choose a target with more ${what} or a smaller layer`);
  }
}

/** Does a link failure say the image does not fit (a region overflowed, or the stacks pass the end of RAM)? */
export function isMemoryShortage(message: string): boolean {
  return /region [`']?\w+'? overflowed|will not fit in region|exceed RAM/.test(message);
}

/**
 * The linker's word for a memory that is too small, as bad input: `region 'X' overflowed by N bytes` names the
 * memory and how much is missing; the startup script's RAM assertion (stacks after .bss) says only that RAM is short.
 */
export function linkerShortage(message: string, target: Target): string | undefined {
  const region = /region [`']?(\w+)'? overflowed by (\d+) bytes/.exec(message);
  if (region) {
    const data = /RAM|DTCM|DATA/i.test(region[1]) && !(target.flashBytes !== undefined && /CODE|FLASH|ITCM/i.test(region[1]));
    const size = data || target.flashBytes === undefined ? target.ramBytes : target.flashBytes;
    const what = data || target.flashBytes === undefined ? 'RAM' : 'flash';
    return `the image needs ${bytes(size + Number(region[2]))} of ${what} on ${target.name} (the linker's region ${region[1]} overflowed by ${bytes(Number(region[2]))}), `
      + `and ${target.name} has ${kib(size)} (${target.memoryMap}); choose a target with more ${what} or a smaller layer`;
  }
  if (/exceed RAM/.test(message))
    return `the image's data, tensors and stacks exceed the ${kib(target.ramBytes)} of RAM ${target.name} has (${target.memoryMap}); choose a target with more RAM or a smaller layer`;
  return undefined;
}
