/**
 * The one place that opens files a user names: specs, .npy tensors, ONNX models. Only regular files are read
 * (a FIFO would block, /dev/zero never ends), their size is checked against a bound before a byte is read, and a
 * path written inside a spec must stay inside the spec's root folder after every symbolic link is resolved.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.ts';

/** Byte bounds checked with fstat before reading; stated in the README's spec section. */
export const FILE_BOUNDS = {
  /** A JSON spec (JSON.parse of 64 MiB of small numbers takes about 1 GB; larger tensors belong in .npy files). */
  jsonSpec: 64 * 2 ** 20,
  /** A *.kernel.ts spec: TypeScript's syntax tree of 2 MiB of literals takes about 0.5 GB. */
  typescriptSpec: 2 * 2 ** 20,
  /** An ONNX model (protobuf messages cannot exceed 2 GiB). */
  onnxModel: 2 ** 31 - 1,
  /** A .tflite model (flatbuffers cannot exceed 2 GiB). */
  tfliteModel: 2 ** 31 - 1,
  /** A .npy header: numpy itself refuses headers over 10,000 bytes by default. */
  npyHeader: 64 * 2 ** 10,
} as const;

export interface OpenedFile {
  fd: number;
  size: number;
}

function fileKind(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** What went wrong opening `file`, in words (a missing file behind a link says so). */
export function describeOpenError(e: unknown, file: string, notA = 'a file'): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT': {
      const link = readLinkOrNull(file);
      return link === null ? 'file not found' : `is a dangling symbolic link (to ${link})`;
    }
    case 'ENOTDIR':
      return 'file not found (a parent path is not a folder)';
    case 'EISDIR':
      return `is a directory, not ${notA}`;
    case 'ELOOP':
      return 'is a symbolic link loop (or a path through one)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    default:
      return `cannot read file: ${(e as Error)?.message ?? String(e)}`;
  }
}

function readLinkOrNull(file: string): string | null {
  try {
    return fs.readlinkSync(file);
  } catch {
    return null;
  }
}

/**
 * Open a user's file for reading: a regular file only, at most `maxBytes` long. O_NONBLOCK makes opening a FIFO
 * return at once (so it can be refused) instead of waiting for a writer; it changes nothing for regular files.
 */
export function openUserFile(file: string, maxBytes: number, notA = 'a file'): OpenedFile {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw new InputError(file, describeOpenError(e, file, notA));
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw new InputError(file, `is a directory, not ${notA}`);
    if (!st.isFile()) throw new InputError(file, `is ${fileKind(st)}, not ${notA}: only regular files are read`);
    if (st.size > maxBytes) throw new InputError(file, `is ${st.size} bytes; convgen reads at most ${maxBytes} bytes here`);
    return { fd, size: st.size };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/** Exactly `length` bytes at `position` (a file that shrank while read is reported, not padded). */
export function readExactly(f: OpenedFile, position: number, length: number, file: string): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    let n: number;
    try {
      n = fs.readSync(f.fd, buf, done, length - done, position + done);
    } catch (e) {
      throw new InputError(file, describeOpenError(e, file));
    }
    if (n === 0) throw new InputError(file, `the file ended after ${position + done} bytes while being read (it changed)`);
    done += n;
  }
  return buf;
}

/** A whole regular file of at most `maxBytes`. */
export function readUserFile(file: string, maxBytes: number, notA = 'a file'): Buffer {
  const f = openUserFile(file, maxBytes, notA);
  try {
    return readExactly(f, 0, f.size, file);
  } finally {
    fs.closeSync(f.fd);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Paths inside a spec

/** The folder a spec's paths must stay in, and how it was chosen (for messages). */
export interface SpecRoot {
  dir: string;
  how: 'given' | 'git' | 'spec';
}

/** `--root DIR` if given; else the nearest folder at or above the spec's that holds a `.git`; else the spec's folder. */
export function specRoot(specFile: string, given?: string): SpecRoot {
  if (given !== undefined) {
    const dir = path.resolve(given);
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new InputError('--root', `${given}: ${code === 'ENOENT' ? 'no such folder' : describeOpenError(e, dir, 'a folder')}`);
    }
    if (!st.isDirectory()) throw new InputError('--root', `${given} is not a folder`);
    return { dir, how: 'given' };
  }
  const specDir = path.dirname(path.resolve(specFile));
  for (let d = specDir; ; d = path.dirname(d)) {
    // A worktree or submodule has a `.git` file rather than a folder: both mark a project's top.
    if (fs.existsSync(path.join(d, '.git'))) return { dir: d, how: 'git' };
    if (path.dirname(d) === d) break;
  }
  return { dir: specDir, how: 'spec' };
}

function describeRoot(r: SpecRoot): string {
  if (r.how === 'given') return `the root folder ${r.dir} (--root)`;
  if (r.how === 'git') return `the root folder ${r.dir} (the nearest folder holding .git; give another with --root DIR)`;
  return "the spec's folder (no folder above it holds .git; give a root with --root DIR)";
}

function inside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/**
 * A path written in a spec: relative to the spec's folder, and inside the root both as written and after every
 * symbolic link is resolved (a link may not lead out). Returns the path as written, joined to the spec's folder
 * (what messages name).
 */
export function resolveSpecPath(specFile: string, rel: string, where: string, root: SpecRoot): string {
  if (path.isAbsolute(rel)) throw new InputError(where, `'${rel}' is an absolute path; paths in a spec are relative to the spec's folder`);
  const full = path.resolve(path.dirname(path.resolve(specFile)), rel);
  if (!inside(root.dir, full)) throw new InputError(where, `'${rel}' leaves ${describeRoot(root)}`);
  let real: string;
  let realRoot: string;
  try {
    realRoot = fs.realpathSync(root.dir);
    real = fs.realpathSync(full);
  } catch (e) {
    throw new InputError(full, describeOpenError(e, full));
  }
  if (!inside(realRoot, real)) throw new InputError(where, `'${rel}' leads through a symbolic link to ${real}, outside ${describeRoot(root)}`);
  return full;
}
