/**
 * `convgen doctor`: which tools are there, their versions (QEMU must be 10.0 or later), and the command that installs
 * what is missing.
 */
import fs from 'node:fs';
import { execa } from 'execa';
import { MIN_QEMU_MAJOR, QEMU_UPGRADE } from '../qemu/index.ts';
import { aptInstall, QEMU_RELEASE, tools, type Tool } from '../toolchain/index.ts';

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
    // One apt-get line: the cross compiler and newlib share a package, which is named once. QEMU 10 comes from
    // bookworm-backports on Debian 12 (`make setup` adds that source): with it missing, the line targets that release,
    // which apt prefers for QEMU and falls back from for the rest.
    const needsQemu = missing.includes(qemu);
    const packages = [...missing.flatMap((c) => c.packages), ...(needsQemu ? [tools.qemu.command] : [])];
    const line = aptInstall(packages).replace('install -y', needsQemu ? `install -y -t ${QEMU_RELEASE}` : 'install -y');
    console.log(`install with: apt-get update && ${line}`);
    return 3;
  }
  return 0;
}
