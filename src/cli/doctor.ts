/** `convgen doctor`: which tools are there, their versions, and the command that installs what is missing. */
import fs from 'node:fs';
import { execa } from 'execa';
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
  const checks: { name: string; ok: boolean; detail: string; packages: readonly string[] }[] = [];
  for (const tool of [tools.hostGcc, tools.armGcc, tools.qemu]) {
    const v = await version(tool);
    checks.push({ name: tool.command, ok: v !== undefined, detail: v ?? 'not found on PATH', packages: tool.packages ?? [] });
  }
  const newlib = await newlibPresent();
  checks.push({ name: 'newlib', ok: newlib, detail: newlib ? 'libc.a found' : 'not found', packages: ['libnewlib-arm-none-eabi'] });
  for (const c of checks) console.log(`${c.ok ? 'ok     ' : 'MISSING'} ${c.name.padEnd(18)} ${c.detail}`);
  const missing = checks.filter((c) => !c.ok);
  if (missing.length) {
    // One apt-get line: the cross compiler and newlib share a package, which is named once.
    console.log(`install with: apt-get update && ${aptInstall(missing.flatMap((c) => c.packages))}`);
    return 3;
  }
  return 0;
}
