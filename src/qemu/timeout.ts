/**
 * How long a run may take before it counts as hung: by default scaled to the layer, so that a slow but healthy layer
 * (64->64 channels, 11x11, 224x224: ~25 G MACs per call) is not killed as a hang at a fixed minute. The bound is
 * pessimistic on purpose: instructions per MAC above every kernel measured in docs/benchmarks.json (checked by
 * test/qemu/timeout.test.ts), a cost per output for the output stage, the harness's poisoning per call, and an
 * emulator speed well under what QEMU reaches on a loaded 2-core machine.
 */
import type { KernelModel } from '../ops/conv_2d/spec/index.ts';
import type { Target } from '../targets/index.ts';

/** Kernel instructions per MAC, at most, per variant (measured maxima: naive 56.6, reference 23.3, optimized 10.3). */
const PER_MAC = { naive: 60, reference: 25, optimized: 12 } as const;
/** Instructions per output element for the output stage and the loop around it, at most. */
const PER_OUTPUT = 150;
/** Instructions per call for the harness: poisoning (a word store per 4 bytes of stack and tensors) and I/O. */
const HARNESS_CALL = 20_000;
/** Emulated instructions per second assumed: QEMU ran these cores at 60-300 M/s with the machine's load at 8. */
export const EMULATOR_IPS = 50e6;
/** The fixed part, and the least any run gets. */
export const BASE_SECONDS = 60;

export type TimedVariant = keyof typeof PER_MAC;

/** The most instructions one kernel call (and the harness around it) can take on `target`. */
export function callInstructions(m: KernelModel, target: Target, variant: TimedVariant, family: string | null): number {
  // The loops family is the reference kernel's code.
  const perMac = family === 'loops' ? PER_MAC.reference : PER_MAC[variant];
  // Thumb-1 has no long multiply (a library call per 64-bit product), and q31 products are 64-bit everywhere.
  const scale = (target.features.state === 'thumb1' ? 2 : 1) * (m.numeric.storage.bits === 32 ? 2 : 1);
  const macs = m.outC * m.outH * m.outW * m.inPerGroup * m.kH * m.kW;
  const outputs = m.outC * m.outH * m.outW;
  const bytes = (m.inC * m.inH * m.inW + outputs) * (m.numeric.storage.bits / 8) + target.stackBytes;
  return scale * (perMac * macs + PER_OUTPUT * outputs) + bytes + HARNESS_CALL;
}

export interface Timeout {
  seconds: number;
  /** How the number came about, for the message when a run is killed. */
  why: string;
}

/** The default: BASE_SECONDS plus `tensors` calls' worst-case instructions at EMULATOR_IPS. */
export function scaledTimeout(m: KernelModel, target: Target, variant: TimedVariant, family: string | null, tensors: number): Timeout {
  const instructions = tensors * callInstructions(m, target, variant, family);
  const seconds = BASE_SECONDS + Math.ceil(instructions / EMULATOR_IPS);
  const macs = m.outC * m.outH * m.outW * m.inPerGroup * m.kH * m.kW;
  return { seconds, why: `the default for this layer: ${macs.toLocaleString('en-US')} MACs x ${tensors} inputs at a pessimistic emulator speed; --timeout sets another` };
}

export function givenTimeout(seconds: number): Timeout {
  return { seconds, why: `--timeout ${seconds}` };
}

/**
 * A network's default: BASE_SECONDS plus `tensors` runs of every layer's MACs at the optimized variant's bound per
 * MAC (doubled on Thumb-1, where each 64-bit product is a library call), plus the harness's poisoning per call.
 */
export function networkTimeout(macs: number, target: Target, tensors: number, given?: number): Timeout {
  if (given !== undefined) return givenTimeout(given);
  const scale = target.features.state === 'thumb1' ? 2 : 1;
  const instructions = tensors * (scale * PER_MAC.optimized * macs + HARNESS_CALL + target.stackBytes);
  return { seconds: BASE_SECONDS + Math.ceil(instructions / EMULATOR_IPS),
    why: `the default for this network: ${macs.toLocaleString('en-US')} MACs x ${tensors} inputs at a pessimistic emulator speed; --timeout sets another` };
}
