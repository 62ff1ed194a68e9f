/**
 * The one place that writes what a command outputs. A single file goes to a temporary name beside it and is renamed
 * over the destination; an output folder is locked against a second convgen, filled in a staging folder beside it,
 * and only when everything is written moved into place (one rename when the folder is new, else one per file).
 * A failure at any point, a full disk included, leaves the destination as it was and removes the staging folder.
 * Write errors become one line: the environment (no space, read-only file system) exits 3, a path that cannot be
 * written exits 2.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConvgenError, EnvironmentError, InputError } from '../errors.ts';
import { OWNER_FILE, ownerIsGone, ownerText, registerCleanup, sweepAbandoned } from './cleanup.ts';

/** A write that failed, as one line naming `where`. */
export function writeError(e: unknown, where: string): ConvgenError {
  if (e instanceof ConvgenError) return e;
  const err = e as NodeJS.ErrnoException;
  const at = err.path && err.path !== where && !path.basename(err.path).startsWith('.') ? ` (${err.path})` : '';
  switch (err.code) {
    case 'ENOSPC':
      return new EnvironmentError(`${where}: no space left on the device${at}; nothing was written`);
    case 'EDQUOT':
      return new EnvironmentError(`${where}: disk quota exceeded${at}; nothing was written`);
    case 'EROFS':
      return new EnvironmentError(`${where}: read-only file system${at}; nothing was written`);
    case 'EIO':
      return new EnvironmentError(`${where}: input/output error${at}; nothing was written`);
    case 'EACCES':
    case 'EPERM':
      return new InputError(where, `permission denied${at}`);
    case 'ENOENT':
      return new InputError(where, `the folder ${path.dirname(path.resolve(where))} does not exist`);
    case 'ENOTDIR':
      return new InputError(where, 'a parent path is not a folder');
    case 'EISDIR':
      return new InputError(where, 'is a folder, not a file');
    case 'ELOOP':
      return new InputError(where, 'the path goes through a symbolic link loop');
    case 'ENAMETOOLONG':
      return new InputError(where, 'the path is too long');
    default:
      return new EnvironmentError(`${where}: cannot write: ${err.message ?? String(e)}`);
  }
}

/** A symbolic link at `p` (dangling, a loop or to a folder), described; undefined when `p` is not a link. */
function symlinkProblem(p: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch {
    return undefined;
  }
  if (!st.isSymbolicLink()) return undefined;
  const to = fs.readlinkSync(p);
  try {
    fs.statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return `is a symbolic link loop (to ${to}); give a real folder`;
    return `is a dangling symbolic link (to ${to}); give a real folder`;
  }
  return `is a symbolic link (to ${to}); convgen does not write through links: give the folder itself (${fs.realpathSync(p)})`;
}

/** The deepest part of `p` that exists (a folder, normally), for permission and read-only checks. */
function nearestExisting(p: string): string {
  let d = p;
  while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

/** Refuse a folder that could not be written to (a read-only file system, say) before any work is done. */
function checkWritable(dir: string, where: string): void {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (e) {
    throw writeError(e, where);
  }
}

/** Before any work: an output folder must not be a file or a symbolic link, and must be writable. */
export function checkOutputFolder(dir: string): void {
  const abs = path.resolve(dir);
  const link = symlinkProblem(abs);
  if (link) throw new InputError(dir, link);
  if (fs.existsSync(abs) && !fs.statSync(abs).isDirectory()) throw new InputError(dir, 'the output folder exists and is not a folder');
  const existing = nearestExisting(abs);
  if (!fs.statSync(existing).isDirectory()) {
    const first = path.join(existing, path.relative(existing, abs).split(path.sep)[0]);
    throw new InputError(dir, `cannot create the folder ${first}: a parent path is not a folder`);
  }
  checkWritable(existing, dir);
}

/** Before any work: an output file's folder must exist and be writable, and the file must not be a folder. */
export function checkOutputFile(file: string): void {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) throw new InputError(file, `the folder ${dir} does not exist`);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new InputError(file, 'is a folder, not a file');
  checkWritable(dir, file);
}

function tempName(file: string): string {
  return path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.convgen-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/** Write all of `bytes` to a new file (flag 'wx'), synced: a complete file, or (on any failure) none. */
function writeNew(file: string, bytes: string | Uint8Array): void {
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const fd = fs.openSync(file, 'wx');
  try {
    for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off, data.length - off);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw e;
  }
  fs.closeSync(fd);
}

/** One output file, replaced whole or not at all (a link at `file` is replaced, never written through). */
export function writeOutputFile(file: string, content: string | Uint8Array): void {
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new InputError(file, 'is a folder, not a file');
  const tmp = tempName(file);
  try {
    writeNew(tmp, content);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw writeError(e, file);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Output folders

/** mkdir -p that fails with one line and returns the folders it created, outermost first (to remove them again). */
function makeParents(dir: string, where: string): string[] {
  const parts: string[] = [];
  for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) parts.unshift(d);
  for (const d of parts) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && fs.statSync(d).isDirectory()) continue;
      removeEmptyFolders(parts);
      if (code === 'ENOSPC' || code === 'EROFS' || code === 'EDQUOT') throw writeError(e, where);
      // Node's recursive mkdir spins forever under /proc, where mkdir says ENOENT: hence one level at a time.
      throw new InputError(where, `cannot create the folder ${d}: ${code === 'ENOTDIR' ? 'a parent path is not a folder' : code ?? (e as Error).message}`);
    }
  }
  return parts;
}

function removeEmptyFolders(created: string[]): void {
  for (const d of [...created].reverse()) {
    try {
      fs.rmdirSync(d);
    } catch {
      return;
    }
  }
}

/**
 * The lock of an output folder: a file created exclusively in `home` (the folder itself when it exists, else beside
 * it), naming its owner. A lock whose owner is certainly gone (killed on this host) is taken over; any other makes
 * the second command fail at once.
 */
function lockFolder(lock: string, where: string): () => void {
  for (let attempt = 0; ; attempt++) {
    try {
      writeNew(lock, ownerText());
      return registerCleanup(() => fs.rmSync(lock, { force: true }));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError(e, where);
    }
    let owner = '';
    try {
      owner = fs.readFileSync(lock, 'utf8');
    } catch {
      // removed meanwhile: try again
    }
    if (attempt < 2 && (owner === '' || ownerIsGone(owner))) {
      fs.rmSync(lock, { force: true });
      continue;
    }
    const [pid, host] = owner.trim().split(/\s+/);
    throw new EnvironmentError(`${where}: another convgen (pid ${pid ?? '?'} on ${host ?? '?'}) is writing this folder; ` +
      `wait for it or give each its own -o (if none is running, remove ${lock})`);
  }
}

export interface OutputEntry {
  /** File name inside the folder. */
  name: string;
  /** The content, or `from`: a file already written (inside the staging folder) to move in. */
  content?: string | Uint8Array;
  from?: string;
}

/**
 * An output folder being written: locked, with a staging folder on the same file system (so moving the result in is
 * a rename). For a folder that exists, the lock and the staging folder are hidden entries inside it (nothing is
 * written next to it); for a new one they sit beside it, and the staging folder becomes the folder with one rename.
 * `close()` always runs: it removes the staging folder and the lock, and the folders created for it unless the
 * result was committed.
 */
export class OutputFolder {
  readonly abs: string;
  /** A private folder on the destination's file system for work files (builds, runs). */
  readonly work: string;
  private readonly out: string;
  private readonly created: string[];
  private unlock?: () => void;
  private removeStaging?: () => void;
  private readonly names: string[] = [];
  private committed = false;

  constructor(readonly dir: string) {
    checkOutputFolder(dir);
    this.abs = path.resolve(dir);
    const exists = fs.existsSync(this.abs);
    const home = exists ? this.abs : path.dirname(this.abs);
    const prefix = exists ? '.convgen-' : `.${path.basename(this.abs)}.convgen-`;
    this.created = exists ? [] : makeParents(home, dir);
    try {
      this.unlock = lockFolder(path.join(home, `${prefix}lock`), dir);
    } catch (e) {
      removeEmptyFolders(this.created);
      throw e;
    }
    let work = '';
    let out = '';
    try {
      // Staging folders of runs killed with SIGKILL, found by their owner file.
      sweepAbandoned(home, new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}staging-`));
      const staging = fs.mkdtempSync(path.join(home, `${prefix}staging-`));
      this.removeStaging = registerCleanup(() => fs.rmSync(staging, { recursive: true, force: true }));
      writeNew(path.join(staging, OWNER_FILE), ownerText());
      work = path.join(staging, 'work');
      out = path.join(staging, 'out');
      fs.mkdirSync(work);
      fs.mkdirSync(out);
    } catch (e) {
      this.close();
      throw writeError(e, dir);
    }
    this.work = work;
    this.out = out;
  }

  /** Stage files: written (or moved) into the staging folder; nothing reaches the destination yet. */
  add(entries: OutputEntry[]): void {
    for (const e of entries) {
      const dest = path.join(this.out, e.name);
      try {
        if (e.from !== undefined) fs.renameSync(e.from, dest);
        else writeNew(dest, e.content ?? '');
      } catch (err) {
        throw writeError(err, this.dir);
      }
      this.names.push(e.name);
    }
  }

  /** Move everything staged into place; returns the paths written. */
  commit(): string[] {
    try {
      const link = symlinkProblem(this.abs);
      if (link) throw new InputError(this.dir, link);
      if (!fs.existsSync(this.abs)) fs.renameSync(this.out, this.abs);
      else {
        if (!fs.statSync(this.abs).isDirectory()) throw new InputError(this.dir, 'the output folder exists and is not a folder');
        for (const n of this.names) {
          const dest = path.join(this.abs, n);
          if (fs.existsSync(dest) && fs.lstatSync(dest).isDirectory()) throw new InputError(dest, 'is a folder, not a file');
        }
        for (const n of this.names) fs.renameSync(path.join(this.out, n), path.join(this.abs, n));
      }
    } catch (e) {
      throw writeError(e, this.dir);
    }
    this.committed = true;
    return this.names.map((n) => path.join(this.dir, n));
  }

  close(): void {
    this.removeStaging?.();
    this.unlock?.();
    if (!this.committed) removeEmptyFolders(this.created);
  }
}

/** Write a whole output folder: lock, stage every file, move them in; nothing changes if any step fails. */
export function writeOutputFolder(dir: string, entries: OutputEntry[]): string[] {
  const folder = new OutputFolder(dir);
  try {
    folder.add(entries);
    return folder.commit();
  } finally {
    folder.close();
  }
}
