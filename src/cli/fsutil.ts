/** File-system helpers of the CLI whose failures are one-line InputErrors. */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { EnvironmentError, InputError } from '../errors.ts';

/** mkdir -p that fails with one line (Node's recursive mkdir spins forever under /proc, where mkdir says ENOENT). */
/** Returns the folders it created, outermost first (so a failed command can remove them again). */
export function makeDir(dir: string, where = dir): string[] {
  const abs = path.resolve(dir);
  const parts: string[] = [];
  for (let d = abs; !fs.existsSync(d); d = path.dirname(d)) parts.unshift(d);
  for (const d of parts) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && fs.statSync(d).isDirectory()) continue;
      throw new InputError(where, `cannot create the folder ${d}: ${code === 'ENOTDIR' ? 'a parent path is not a folder' : code ?? (e as Error).message}`);
    }
  }
  if (!fs.statSync(abs).isDirectory()) throw new InputError(where, 'the output folder exists and is not a folder');
  return parts;
}

/** Remove folders makeDir created, innermost first, as long as they are empty. */
export function removeEmptyDirs(created: string[]): void {
  for (const d of [...created].reverse()) {
    try {
      fs.rmdirSync(d);
    } catch {
      return;
    }
  }
}

export interface OutFile {
  name: string;
  bytes: Uint8Array | string;
}

/** Write every file into `dir` (created if needed): temporary names first, then renamed; on failure nothing stays. */
export function writeFilesAtomic(files: OutFile[], dir: string): string[] {
  const created = makeDir(dir);
  const temps: [string, string][] = [];
  try {
    for (const f of files) {
      const dest = path.join(dir, f.name);
      if (fs.existsSync(dest) && fs.statSync(dest).isDirectory()) throw new InputError(dest, 'is a folder, not a file');
      const tmp = path.join(dir, `.${f.name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      fs.writeFileSync(tmp, f.bytes, { flag: 'wx' });
      temps.push([tmp, dest]);
    }
    for (const [tmp, dest] of temps) fs.renameSync(tmp, dest);
  } catch (e) {
    for (const [tmp] of temps) fs.rmSync(tmp, { force: true });
    removeEmptyDirs(created);
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new InputError(dir, `cannot write here: ${code}`);
    throw new EnvironmentError(`${dir}: cannot write: ${(e as Error).message}`);
  }
  return files.map((f) => path.join(dir, f.name));
}
