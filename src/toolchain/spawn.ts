/**
 * How convgen starts compilers and emulators so that they die with it. Ctrl-C, SIGTERM and SIGHUP are handled
 * (every child is killed), but SIGKILL cannot be: without help a running qemu-system-arm would be left to init, and
 * a hung guest would run for ever. Linux's parent-death signal (prctl PR_SET_PDEATHSIG) fixes that: the kernel
 * kills the child when convgen dies, however it dies. Node cannot set it for a child, so the tool is started through
 * util-linux's `setpriv --pdeathsig KILL`, which sets it and then execs the tool (same process, same pid; the
 * setting survives exec). Where setpriv is missing the tool starts directly, as before.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

/** The executable `command` names: itself when it holds a '/', else the first match on PATH. */
export function findOnPath(command: string, envPath = process.env.PATH ?? ''): string | undefined {
  const executable = (p: string) => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes('/')) return executable(command) ? command : undefined;
  for (const dir of envPath.split(path.delimiter)) {
    if (dir === '') continue;
    const p = path.join(dir, command);
    if (executable(p)) return p;
  }
  return undefined;
}

const probed = new Map<string, string | null>();

/** setpriv on this PATH, if it can set a parent-death signal (util-linux 2.33 and later). */
function setpriv(): string | null {
  const envPath = process.env.PATH ?? '';
  let found = probed.get(envPath);
  if (found === undefined) {
    found = null;
    const file = findOnPath('setpriv', envPath);
    if (file) {
      try {
        if (execFileSync(file, ['--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).includes('--pdeathsig')) found = file;
      } catch {
        // an old or broken setpriv: start tools directly
      }
    }
    probed.set(envPath, found);
  }
  return found;
}

/** [file, args] that start `file` with `args` and kill it with SIGKILL should this process die first. */
export function diesWithParent(file: string, args: string[]): [string, string[]] {
  const wrapper = setpriv();
  return wrapper ? [wrapper, ['--pdeathsig', 'KILL', '--', file, ...args]] : [file, args];
}
