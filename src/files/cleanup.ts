/**
 * What a command must undo however it ends: its temporary folders, its output staging folder, its lock. Each is
 * registered while it exists. Normal unwinding (errors, Ctrl-C, SIGTERM, SIGHUP) removes them in `finally` blocks;
 * a forced exit (a second signal, or a command still busy 10 s after the first) skips those, so the process's
 * 'exit' hook runs whatever is still registered. Only SIGKILL leaves anything, and the next run sweeps that
 * (see owner files below).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const pending = new Set<() => void>();
let hooked = false;

/** Run `undo` at exit unless the returned function is called first (which runs it) or `forget`ted. */
export function registerCleanup(undo: () => void): (() => void) & { forget: () => void } {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const f of [...pending]) {
        try {
          f();
        } catch {
          // exiting: nothing better to do than try the rest
        }
      }
    });
  }
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    pending.delete(run);
    undo();
  };
  pending.add(run);
  return Object.assign(run, { forget: () => void pending.delete(run) });
}

// ---------------------------------------------------------------------------------------------------------------
// Owner files: who made a folder or lock, so a later run can tell one left by a killed process from a live one.

const host = os.hostname();

/** The text an owner file holds: this process and this host. */
export function ownerText(): string {
  return `${process.pid} ${host}\n`;
}

/**
 * Whether the owner recorded in `text` is certainly gone: on this host and no such process. A process on another
 * host (a shared folder) or in another PID namespace cannot be judged and counts as alive.
 */
export function ownerIsGone(text: string): boolean {
  const [pidText, owner] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0 || owner !== host) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export const OWNER_FILE = '.convgen-owner';

/** Remove folders in `dir` whose names match `pattern` and whose owner file says their process is gone. */
export function sweepAbandoned(dir: string, pattern: RegExp): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!pattern.test(name)) continue;
    const p = path.join(dir, name);
    try {
      if (ownerIsGone(fs.readFileSync(path.join(p, OWNER_FILE), 'utf8'))) fs.rmSync(p, { recursive: true, force: true });
    } catch {
      // not ours, not a folder, or already gone
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Temporary folders

let swept = false;

/**
 * A fresh folder under the temp folder (TMPDIR), removed by `remove()` or at exit, unless `keep()` is called (a
 * caller asked to inspect it). Its owner file lets a later run remove it if this process is killed with SIGKILL.
 */
export function makeTempDir(prefix: string, parent = os.tmpdir()): { dir: string; remove: () => void; keep: () => void } {
  if (!swept && parent === os.tmpdir()) {
    swept = true;
    sweepAbandoned(parent, /^convgen-/);
  }
  const dir = fs.mkdtempSync(path.join(parent, prefix));
  const remove = registerCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  try {
    fs.writeFileSync(path.join(dir, OWNER_FILE), ownerText());
  } catch (e) {
    remove();
    throw e;
  }
  return { dir, remove, keep: remove.forget };
}
