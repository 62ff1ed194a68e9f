/**
 * Run stage: execute a built image on its tensors (natively for the host target, under qemu-system-arm otherwise)
 * and classify how it ended: completed, harness error, guest fault, or hang.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa, type ExecaError } from 'execa';
import { EnvironmentError, InterruptedError, STOP_SIGNALS, cancelSignal, interrupted, throwIfInterrupted } from '../errors.ts';
import { qemuMachineArgs } from '../targets/index.ts';
import { runTool, tools, type BuiltImage } from '../toolchain/index.ts';
import { diesWithParent, findOnPath } from '../toolchain/spawn.ts';

/** The oldest QEMU whose plugin API (version 4: scoreboards, register reads) firmware/plugin is written for. */
export const MIN_QEMU_MAJOR = 10;
export const QEMU_UPGRADE = 'convgen needs QEMU 10.0 or later (plugin API 4); on Debian 12 `make setup` adds bookworm-backports and installs it ' +
  `(${tools.qemu.install})`;

/** `qemu-system-arm --version`'s first line and major version. */
export async function qemuVersion(): Promise<{ line: string; major: number }> {
  const line = (await runTool(tools.qemu, ['--version'], { what: 'qemu-system-arm --version' })).split('\n')[0].trim();
  const m = /version (\d+)\./.exec(line);
  return { line, major: m ? Number(m[1]) : 0 };
}

export interface RunOptions {
  /** Seconds before a run counts as hung and is killed. */
  timeoutSeconds: number;
  /** Where that number came from (timeout.ts), for the message when a run is killed. */
  timeoutWhy?: string;
  /** Extra QEMU arguments (the instruction-count plugin). */
  qemuExtra?: string[];
}

export interface RunOutcome {
  output: Buffer;
  stdout: string;
}

/** Exit statuses of the firmware harness and startup code (firmware/README.md). */
export const guestExitCodes: Record<number, string> = {
  10: 'the harness could not open input.bin',
  11: 'input.bin is empty or not a whole number of tensors',
  12: 'the harness could not write output.bin',
  13: 'the harness could not read input.bin',
  14: 'a kernel wrote outside its output buffer',
  15: 'the network returned an error (a NULL or misaligned buffer)',
  70: 'undefined instruction',
  71: 'prefetch abort',
  72: 'data abort',
  73: 'hard fault',
};

export function qemuArgs(built: BuiltImage, extra: string[] = []): string[] {
  const q = built.target.qemu;
  if (!q) throw new Error(`target ${built.target.name} has no QEMU machine`);
  return [
    ...qemuMachineArgs(q), '-nodefaults', '-display', 'none',
    '-semihosting-config', 'enable=on,target=native', ...extra, '-kernel', built.image,
  ];
}

/** Run the image on `input` (N tensors back to back) in a fresh working directory `workDir`. */
export async function runImage(built: BuiltImage, input: Uint8Array, workDir: string, opts: RunOptions): Promise<RunOutcome> {
  fs.mkdirSync(workDir, { recursive: true });
  const inFile = path.join(workDir, 'input.bin');
  const outFile = path.join(workDir, 'output.bin');
  fs.writeFileSync(inFile, input);
  fs.rmSync(outFile, { force: true });
  const isHost = built.target.run === 'host';
  const missing = () => new EnvironmentError(`${tools.qemu.command} not found on PATH; install it with: ${tools.qemu.install} (or run \`convgen doctor\`)`);
  const command = isHost ? built.image : findOnPath(tools.qemu.command);
  if (!command) throw missing();
  const args = isHost ? [inFile, outFile] : qemuArgs(built, opts.qemuExtra);
  const where = `${built.target.name}`;
  let stdout = '';
  throwIfInterrupted();
  try {
    // The emulator dies with convgen, even when convgen is killed with SIGKILL (../toolchain/spawn.ts).
    const r = await execa(...diesWithParent(command, args), {
      cwd: workDir, timeout: opts.timeoutSeconds * 1000, killSignal: 'SIGKILL', stdin: 'ignore', all: false,
      cancelSignal: cancelSignal(),
    });
    stdout = r.stdout;
  } catch (e) {
    const err = e as ExecaError & { code?: string };
    // Ctrl-C (or a SIGTERM/SIGHUP to the group) reaches QEMU too when it shares the process group: either way the
    // run was interrupted.
    if (err.isCanceled || interrupted() || (STOP_SIGNALS as readonly string[]).includes(err.signal ?? '')) throw new InterruptedError();
    if (err.code === 'ENOENT') throw missing();
    if (err.timedOut)
      throw new EnvironmentError(`${where}: killed at the timeout, ${opts.timeoutSeconds} s (${opts.timeoutWhy ?? 'the caller\'s'}): `
        + 'the guest hung, or the run needs longer than that');
    const out = String(err.stdout ?? '');
    const fault = /convgen-fault: (.*)/.exec(out);
    if (fault) throw new EnvironmentError(`${where}: guest fault: ${fault[1].trim()}`);
    const harness = /convgen-harness: (.*)/.exec(out);
    const code = err.exitCode ?? -1;
    const meaning = guestExitCodes[code];
    if (harness || meaning)
      throw new EnvironmentError(`${where}: ${harness ? harness[1].trim() : meaning} (exit ${code})`);
    // Sanitizer reports start with a rule of '='; their line with ERROR or 'runtime error' says what happened.
    const lines = String(err.stderr ?? '').split('\n').filter((l) => l.trim() && !/has no peer/.test(l) && !/^=+$/.test(l.trim()));
    const stderr = lines.find((l) => /ERROR: |runtime error: /.test(l)) ?? lines[0] ?? '';
    throw new EnvironmentError(`${where}: run failed with exit ${code}${err.signal ? ` (${err.signal})` : ''}${stderr ? `: ${stderr.trim()}` : ''}`);
  }
  if (!fs.existsSync(outFile)) throw new EnvironmentError(`${where}: the run exited 0 but wrote no output.bin`);
  return { output: fs.readFileSync(outFile), stdout };
}
