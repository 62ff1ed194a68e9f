/** ARMv7-A NEON kernels for the `optimized` variant: not implemented yet, so it never applies. */
import type { KernelFamily } from './families.ts';

export const neonFamily: KernelFamily = {
  name: 'neon',
  summary: 'ARMv7-A NEON vector kernel',
  template: 'neon/kernel.c.hbs',
  applies: () => false,
  view: () => ({}),
};
