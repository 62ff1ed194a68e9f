/** The fuzzer's records: cases, outcomes, failures, summaries, the report, and the run's options. */
import fc from 'fast-check';
import type { OptimizeGoal, VariantName } from '../codegen/index.ts';
import type { KernelModel } from '../ops/conv_2d/spec/index.ts';
import type { Target } from '../targets/index.ts';
import type { Mismatch } from '../verify/index.ts';
import { specArbitrary, type SpecOptions } from './arbitraries.ts';

/** No -g: debug info would cost 60% more compile time; sanitizer reports still name the function. */
export const SANITIZE_FLAGS = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all'];

/** One generated spec with its inputs and the golden model's outputs for them. */
export interface FuzzCase {
  /** Position in the seeded stream: fc.sample(specArbitrary(), { seed, numRuns })[index]. */
  index: number;
  spec: Record<string, unknown>;
  model: KernelModel;
  /** Seed of the random input tensors. */
  inputSeed: number;
  inputs: Int32Array[];
  expected: Int32Array[];
}

export interface KernelOutcome {
  case: FuzzCase;
  variant: VariantName;
  /** The optimized variant's goal ('default' for the other variants, which have none). */
  optimize: OptimizeGoal;
  target: string;
  status: 'pass' | 'fail' | 'error';
  message?: string;
  first?: Mismatch;
}

export interface FuzzFailure {
  seed: number;
  index: number;
  inputSeed: number;
  target: string;
  variant: VariantName;
  optimize: OptimizeGoal;
  status: 'fail' | 'error';
  message: string;
  spec: Record<string, unknown>;
  /** The smallest spec fast-check found that still fails (the spec itself when shrinking is off or found nothing). */
  shrunk: Record<string, unknown>;
  /** Where the regression file was written. */
  file?: string;
}

export interface TargetSummary {
  target: string;
  cases: number;
  /** Cases left out on this target because their tensors do not fit its RAM. */
  skipped: number;
  kernels: number;
  /** Distinct (numeric type × layout × kernel class × optimized family) cells its specs reached (coverage.ts). */
  cells: number;
  images: number;
  tensors: number;
  failures: number;
  seconds: number;
}

export interface FuzzReport {
  seed: number;
  cases: number;
  variants: VariantName[];
  goals: OptimizeGoal[];
  targets: TargetSummary[];
  failures: FuzzFailure[];
  seconds: number;
}

export interface FuzzProgress {
  target: string;
  kernelsDone: number;
  kernelsTotal: number;
  failures: number;
}

export interface FuzzOptions {
  cases: number;
  seed: number;
  targets: Target[];
  variants?: VariantName[];
  /** The optimized variant's goals (default: just 'default'); each is its own case. */
  goals?: OptimizeGoal[];
  /** Kernels per image (default: 60 on the host, 40 under QEMU, fewer where flash is small). */
  batch?: number;
  /** Images built and run at once (default: the number of CPUs). */
  jobs?: number;
  /** Host builds under ASan + UBSan (default true). */
  sanitize?: boolean;
  /** Shrink failures (default true); only the first `maxShrinks` (default 3) are shrunk, the rest are reported as found. */
  shrink?: boolean;
  maxShrinks?: number;
  /** Folder for the regression files of failures (default: none written). */
  failuresDir?: string;
  /** Seconds before a hung image is killed (default: scaled to each image's layers). */
  timeoutSeconds?: number;
  spec?: SpecOptions;
  /** A target's run starts, with its number of (spec, variant) cases. */
  onTarget?: (target: string, kernelsTotal: number) => void;
  onProgress?: (p: FuzzProgress) => void;
  onFailure?: (f: FuzzFailure) => void;
  /** For testing the fuzzer itself: rewrite a kernel's C before it is compiled. */
  tamper?: (file: string, text: string) => string;
}
