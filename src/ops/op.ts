/**
 * The op axis of a network: every op folder (src/ops/<op>/) exports one `Op` record with the same hooks, so that a new
 * op is a new folder plus one line in src/ops/index.ts.
 *
 *   params  zod schema of the op's `params` object as written in the network spec (unknown keys refused)
 *   build   params + input tensors -> a validated model (every constant TFLite's Prepare computes, computed the same
 *           way) and the output tensors' shapes and quantization; bad input is an InputError naming the layer
 *   golden  the model on int8 inputs -> int8 outputs, bit-exact with TensorFlow Lite Micro's reference kernel
 *   macs    multiply-accumulates per inference (0 for data movement)
 *   memory  facts for the memory planner: whether the output is a view of an input (no code runs), and which inputs
 *           the output may overwrite when that input dies at this op
 *   tflite  which builtin operators map to the op and how their options and constant inputs become params
 *   lower   the C lowering hook, added by the network code generator (part 2 of issue 17): typed loosely until the
 *           kernel IR exists; `undefined` means the op cannot be generated yet
 */
import type { z } from 'zod';
import type { TfliteImport } from '../tflite/import-context.ts';

/** An int8 activation tensor: NHWC for 4-D, TFLite's layouts otherwise; batch is the first dimension. */
export interface TensorInfo {
  name: string;
  shape: number[];
  dtype: 'int8';
  /** float32 value, as TFLite stores it. */
  scale: number;
  zeroPoint: number;
}

export type Quant = Pick<TensorInfo, 'scale' | 'zeroPoint'>;

/** The shape and quantization an op computes for one output (the network names it). */
export type OutputInfo = Omit<TensorInfo, 'name'>;

/** A constant tensor of a layer: raw integers in TFLite's layout (weights int8, bias int32). */
export interface Constant {
  shape: number[];
  data: Int8Array | Int32Array;
}

/** Reference to a constant in the spec: an .npy file beside it, plus the quantization TFLite gives it. */
export interface ConstRef {
  npy: string;
}

export interface BuildContext {
  /** "layer conv_2d_3" — prefixes every message. */
  layer: string;
  /** The declared quantization of each output tensor (from the spec's tensor table). */
  outputs: Quant[];
  /** Load a constant (checked dtype and shape); `at` is the params path for messages, e.g. "weights". */
  constant(ref: ConstRef, dtype: 'int8' | 'int32', shape: number[] | null, at: string): Constant;
  /** Throw one InputError naming the file, the layer and (when given) the params path. */
  fail(detail: string, at?: string): never;
}

export interface Built<M> {
  model: M;
  outputs: OutputInfo[];
}

export interface MemoryFacts {
  /** The output is input `alias`'s bytes seen with another shape: no code runs (RESHAPE). */
  alias?: number;
  /**
   * Inputs whose buffer the output may take when that input dies at this op (same byte size). Safe only where every
   * output element is written after every input element it, or any later output element, reads — stated per op.
   */
  inPlace: number[];
  /** Why (for the plan's report and the C generator's trust). */
  why: string;
}

export interface Op<P = unknown, M = unknown> {
  /** The op's name in the network spec (lower case, TFLite's builtin name). */
  name: string;
  params: z.ZodType<P>;
  build(params: P, inputs: TensorInfo[], ctx: BuildContext): Built<M>;
  golden(model: M, inputs: Int8Array[]): Int8Array[];
  macs(model: M): number;
  memory(model: M): MemoryFacts;
  tflite: TfliteHook<P>;
  /** Part 2: lowering to the typed kernel IR. Loosely typed until that IR lands (issue 16). */
  lower?: (model: M, ...args: unknown[]) => unknown;
}

export interface TfliteHook<P> {
  /** BuiltinOperator names this op imports. */
  builtins: readonly string[];
  /**
   * The operator's options and constant inputs -> params and the positions (in the operator's inputs) of its
   * activation inputs. An option convgen does not implement is reported with ctx.unsupported(), which the importer
   * collects so that it can name every unsupported operator in one line.
   */
  import(ctx: TfliteImport): { params: P; inputs: number[] };
}

/** Elements of a shape. */
export function elements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
