/** The Handlebars templates under templates/: file skeletons (banner, header, entry), no code. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

const templateDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../templates');
const hbs = Handlebars.create();
const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** A template under templates/, compiled once (strict: a missing field is an error, not an empty string). */
export function template(rel: string): HandlebarsTemplateDelegate {
  let t = compiled.get(rel);
  if (!t) {
    t = hbs.compile(fs.readFileSync(path.join(templateDir, rel), 'utf8'), { noEscape: true, strict: true });
    compiled.set(rel, t);
  }
  return t;
}
