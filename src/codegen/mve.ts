/** ARMv8.1-M MVE (Helium) kernels for the `optimized` variant: not implemented yet, so it never applies. */
import type { KernelFamily } from './families.ts';

export const mveFamily: KernelFamily = {
  name: 'mve',
  summary: 'ARMv8.1-M MVE vector kernel',
  template: 'mve/kernel.c.hbs',
  applies: () => false,
  view: () => ({}),
};
