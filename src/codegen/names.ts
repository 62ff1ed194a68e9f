/**
 * Which kernel names are allowed. A name becomes `<name>.h` and `<name>.c` next to convgen's own files, so besides
 * being a C identifier it must not be the name of a header anything involved includes: `stdint` would write a
 * stdint.h that every `#include <stdint.h>` built with `-I` that folder then reads, `convgen_entry` would overwrite
 * convgen's own header. The reserved names are derived from what is actually written and included: the fixed files
 * convgen writes, every header the IR's C may include (src/ir/requirements.ts), every header named by an #include in
 * templates/ and the firmware built with a kernel, and the ISO C headers (which the user's own code next to the kernel
 * includes).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { headerOrder } from '../ir/requirements.ts';

/** The header every kernel folder holds besides `<name>.h` (written by src/codegen). */
export const ENTRY_HEADER = 'convgen_entry.h';

export const NAME_MAX = 32;
export const NAME_PATTERN = /^[a-z_][a-z0-9_]*$/;

const C_KEYWORDS = new Set(
  ('auto break case char const continue default do double else enum extern float for goto if inline int long ' +
    'register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while ' +
    '_Bool _Complex _Imaginary main')
    .split(' '),
);

/** ISO C99 and C11 library headers: fixed by the standard, included by any C file that sits next to a kernel. */
const ISO_C_HEADERS = ('assert complex ctype errno fenv float inttypes iso646 limits locale math setjmp signal stdalign ' +
  'stdarg stdatomic stdbool stddef stdint stdio stdlib stdnoreturn string tgmath threads time uchar wchar wctype').split(' ');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The sources compiled with a kernel: the templates of the generated C and the firmware it is linked with. */
const SCANNED = ['templates', 'firmware/include', 'firmware/common', 'firmware/harness', 'firmware/host', 'firmware/startup'];

function* sourceFiles(dir: string): Generator<string> {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* sourceFiles(p);
    else if (/\.(c|h|S|hbs)$/.test(e.name)) yield p;
  }
}

let reserved: Map<string, string> | undefined;

/** Reserved name -> why, built once from the files convgen writes and the sources it ships. */
export function reservedNames(): ReadonlyMap<string, string> {
  if (reserved) return reserved;
  const r = new Map<string, string>();
  r.set(path.basename(ENTRY_HEADER, '.h'), `convgen writes its own ${ENTRY_HEADER} next to the kernel`);
  for (const h of ISO_C_HEADERS) r.set(h, `${h}.h would shadow the C standard header <${h}.h>`);
  for (const h of headerOrder) {
    const name = h.replace(/\.h$/, '');
    if (!r.has(name)) r.set(name, `${h} would shadow the header <${h}> that generated C includes`);
  }
  for (const dir of SCANNED)
    for (const file of sourceFiles(path.join(root, dir))) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/^\s*#\s*include\s*[<"]([^>"]+)[>"]/gm)) {
        const header = m[1];
        if (header.includes('{{')) continue; // the kernel's own header, in a template
        const name = path.basename(header).replace(/\.h$/, '');
        if (NAME_PATTERN.test(name) && !r.has(name))
          r.set(name, `${name}.h would shadow the header ${header} that ${path.relative(root, file)} includes`);
      }
    }
  reserved = r;
  return r;
}

/** Why `name` cannot name a kernel, or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  if (!NAME_PATTERN.test(name))
    return `'${name}' is not a valid name: use lower-case letters, digits and '_', not starting with a digit`;
  if (name.length > NAME_MAX) return `'${name}' is ${name.length} characters long; at most ${NAME_MAX} are allowed`;
  if (C_KEYWORDS.has(name)) return `'${name}' is a C keyword; choose another name`;
  const why = reservedNames().get(name);
  if (why) return `'${name}' is reserved: ${why}; choose another name`;
  return undefined;
}

export function isCKeyword(name: string): boolean {
  return C_KEYWORDS.has(name);
}
