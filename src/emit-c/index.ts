/** A kernel's .c file: the banner and include (the Handlebars skeleton), then the printed IR. */
import { template } from '../codegen/templates.ts';
import type { KernelIR } from '../ir/kernel-ir.ts';
import { prune } from '../ir/prune.ts';
import { requirements } from '../ir/requirements.ts';
import { printItems, type PrintOptions } from './print.ts';
import { commentLines } from './writer.ts';

export const printOptions: PrintOptions = { fold: true };

export function kernelFile(ir: KernelIR, o: PrintOptions = printOptions): string {
  const live = prune(ir);
  return template('kernel.c.hbs')({
    banner: commentLines(ir.banner).join('\n'), name: ir.name, includes: requirements(live).headers, body: printItems(live, o),
  });
}
