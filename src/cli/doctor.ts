/**
 * `convgen doctor`: which tools are there, their versions (QEMU must be 10.0 or later), and the command that installs
 * what is missing.
 */
import fs from 'node:fs';
import { execa } from 'execa';
import { MIN_QEMU_MAJOR, QEMU_UPGRADE } from '../qemu/index.ts';
import { aptInstall, tools, type Tool } from '../toolchain/index.ts';

async function version(tool: Tool): Promise<string | undefined> {
  try {
    const r = await execa(tool.command, ['--version'], { stdin: 'ignore' });
    return r.stdout.split('\n')[0];
  } catch {
    return undefined;
  }
}

/** newlib ships its headers under the toolchain's sysroot; finding stdint.h's libc side proves it is installed. */
async function newlibPresent(): Promise<boolean> {
  try {
    const r = await execa(tools.armGcc.command, ['-print-file-name=libc.a'], { stdin: 'ignore' });
    return r.stdout.trim() !== 'libc.a' && fs.existsSync(r.stdout.trim());
  } catch {
    return false;
  }
}

export async function doctor(): Promise<number> {
  const checks: { name: string; ok: boolean; detail: string; packages: readonly string[]; old?: boolean }[] = [];
  for (const tool of [tools.hostGcc, tools.armGcc, tools.qemu]) {
    const v = await version(tool);
    checks.push({ name: tool.command, ok: v !== undefined, detail: v ?? 'not found on PATH', packages: tool.packages ?? [] });
  }
  // The plugin needs QEMU 10's API: an older QEMU is there but cannot measure.
  const qemu = checks.find((c) => c.name === tools.qemu.command)!;
  const major = Number(/version (\d+)\./.exec(qemu.detail)?.[1] ?? NaN);
  if (qemu.ok && !(major >= MIN_QEMU_MAJOR)) {
    qemu.ok = false;
    qemu.old = true;
    qemu.detail = `${qemu.detail}: too old; ${QEMU_UPGRADE}`;
  }
  const newlib = await newlibPresent();
  checks.push({ name: 'newlib', ok: newlib, detail: newlib ? 'libc.a found' : 'not found', packages: ['libnewlib-arm-none-eabi'] });
  for (const c of checks) console.log(`${c.ok ? 'ok     ' : c.old ? 'OLD    ' : 'MISSING'} ${c.name.padEnd(18)} ${c.detail}`);
  const missing = checks.filter((c) => !c.ok);
  if (missing.length) {
    // One apt-get line: the cross compiler and newlib share a package, which is named once. QEMU comes from
    // another release on Debian 12 (its own line; `make setup` adds that source).
    const packages = missing.flatMap((c) => c.packages);
    const lines = [...(packages.length ? [aptInstall(packages)] : []), ...(missing.includes(qemu) ? [tools.qemu.install] : [])];
    console.log(`install with: apt-get update && ${lines.join(' && ')}`);
    return 3;
  }
  return 0;
}
