/**
 * Whether a network image fits a target's memory, and if not, why, with the numbers: the linker refuses an image
 * whose sections overflow a region (or whose stack would pass the end of RAM, ld/common.ld's ASSERT); then the
 * module object is compiled alone and its flash and RAM needs are set against the QEMU machine's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { kernelObjectFlags, parseSizeA, type SectionSizes } from '../measure/index.ts';
import type { Target } from '../targets/index.ts';
import { firmwareDir, runTool, tools } from '../toolchain/index.ts';
import type { NetworkModule } from './c/module.ts';

/** The stack the target's linker script reserves for main (and the exception modes), bytes. */
export function stackReserve(target: Target): number {
  const text = fs.readFileSync(path.join(firmwareDir, target.linkerScript!), 'utf8');
  const read = (sym: string) => {
    const m = new RegExp(`${sym}\\s*=\\s*(0x[0-9a-fA-F]+|\\d+)`).exec(text);
    return m ? Number(m[1]) : 0;
  };
  return read('__default_stack_size') + read('__exc_stack_size');
}

/** Flash and RAM of the module compiled alone for the target. */
export async function moduleSizes(mod: NetworkModule, target: Target, dir: string, objDir: string): Promise<SectionSizes> {
  fs.mkdirSync(objDir, { recursive: true });
  const obj = path.join(objDir, `${mod.name}.o`);
  await runTool(tools.armGcc, [...kernelObjectFlags(target, dir), '-c', path.join(dir, `${mod.name}.c`), '-o', obj],
    { cwd: objDir, what: `${target.name} compile of ${mod.name}.c` });
  return parseSizeA(await runTool(tools.size, ['-A', obj], { what: 'size' }));
}

const kib = (n: number) => `${n.toLocaleString('en-US')} B`;

/** Why the network does not fit the target: each exceeded memory with its parts and the machine's size. */
export async function fitNote(mod: NetworkModule, target: Target, dir: string, objDir: string): Promise<string> {
  const s = await moduleSizes(mod, target, dir, objDir);
  const stack = stackReserve(target);
  const ram = mod.arenaBytes + mod.inputBytes + mod.outputBytes + s.data + s.bss + stack;
  const flash = s.text + s.rodata + s.data;
  const machine = `${target.name} (QEMU ${target.qemu?.machine ?? 'none'})`;
  const ramLine = `RAM: arena ${mod.arenaBytes} + input ${mod.inputBytes} + output ${mod.outputBytes}${s.data + s.bss ? ` + static ${s.data + s.bss}` : ''}` +
    ` + the image's stack ${stack} = ${kib(ram)}, the machine has ${kib(target.ramBytes)}`;
  const flashLine = `flash: code ${s.text} + parameters ${s.rodata + s.data} = ${kib(flash)}, the machine has ${kib(target.flashBytes ?? target.ramBytes)}`;
  const over: string[] = [];
  if (ram > target.ramBytes) over.push(ramLine);
  if (target.flashBytes !== undefined && flash > target.flashBytes) over.push(flashLine);
  // The harness's own buffers, code and guards take the rest: name the closest memory even when the module alone fits.
  if (!over.length) over.push(ram / target.ramBytes >= flash / (target.flashBytes ?? Infinity) ? `${ramLine} (with the harness it does not)` : `${flashLine} (with the harness it does not)`);
  return `does not fit ${machine}: ${over.join('; ')}`;
}
