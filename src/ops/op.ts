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
 *   lower   the model -> the layer's C (src/network/c assembles the module): IR items printed by src/emit-c, or a
 *           kernel family's generated kernel embedded as one unit (conv, depthwise, fully connected)
 */
import type { z } from 'zod';
import type { Func, Item } from '../ir/kernel-ir.ts';
import type { Requirements } from '../ir/requirements.ts';
import type { IsaFeatures } from '../targets/index.ts';
import type { TfliteImport } from '../tflite/import-context.ts';

/** Element types of activation tensors: int8 (TFLite's int8, and q7), int16 (q15). */
export type ElemType = 'int8' | 'int16';

/** A tensor's values as the golden model holds them (raw integers of its element type). */
export type TensorData = Int8Array | Int16Array;

/**
 * An activation tensor: NHWC for 4-D, TFLite's layouts otherwise; batch is the first dimension. An int8 network's
 * tensors are int8 with a float32 scale and a zero point; a Q-format network's (q7, q15) carry `frac`, their Q format
 * (value = raw · 2^−frac), with scale 2^−frac and zero point 0 so that whatever reads scales reads them alike.
 */
export interface TensorInfo {
  name: string;
  shape: number[];
  dtype: ElemType;
  /** float32 value, as TFLite stores it. */
  scale: number;
  zeroPoint: number;
  /** Q-format networks: fraction bits of the tensor's format. */
  frac?: number;
}

export type Quant = Pick<TensorInfo, 'scale' | 'zeroPoint'>;
/** What an op reads of its output's declared tensor: quantization, element type and (Q networks) format. */
export type OutputQuant = Quant & Pick<TensorInfo, 'dtype' | 'frac'>;

/** The shape and quantization an op computes for one output (the network names it). */
export type OutputInfo = Omit<TensorInfo, 'name'>;

/** A constant tensor of a layer: raw integers in TFLite's layout (weights int8 or, q15, int16; bias int32). */
export interface Constant {
  shape: number[];
  data: Int8Array | Int16Array | Int32Array;
}

/** Reference to a constant in the spec: an .npy file beside it, plus the quantization TFLite gives it. */
export interface ConstRef {
  npy: string;
}

export interface BuildContext {
  /** "layer conv_2d_3" — prefixes every message. */
  layer: string;
  /** The declared quantization of each output tensor (from the spec's tensor table). */
  outputs: OutputQuant[];
  /** Load a constant (checked dtype and shape); `at` is the params path for messages, e.g. "weights". */
  constant(ref: ConstRef, dtype: 'int8' | 'int16' | 'int32', shape: number[] | null, at: string): Constant;
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
  /** int8 networks: Int8Array in and out; Q networks: the storage type's array (Int16Array for q15). */
  golden(model: M, inputs: TensorData[]): TensorData[];
  macs(model: M): number;
  /**
   * The op runs in Q-format networks (q7, q15) too: its build reads the tensors' `frac` and element type. An op
   * without it is refused in such a network, naming the layer.
   */
  qformat?: boolean;
  memory(model: M): MemoryFacts;
  tflite: TfliteHook<P>;
  /** The layer as C; absent only for ops that never run code (RESHAPE: the plan aliases it, or the module copies). */
  lower?: (model: M, ctx: LowerContext) => LayerCode;
}

/** A C function shared by the layers of a module (defined once, before its first user): the numerics' helpers. */
export interface SharedFunc {
  fn: Func;
  doc?: string[];
  /** Shared functions it calls (defined before it). */
  uses?: SharedFunc[];
}

/** What an op's lowering knows about the layer and its target. */
export interface LowerContext {
  /** The layer's C name: a lower-case identifier, unique in the module; every symbol the layer defines starts with it. */
  name: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** The target's instruction set (the conv families choose by it) and the optimize goal. */
  isa: IsaFeatures;
  optimize: 'default' | 'speed';
  /** The plan writes the output over an input: the layer's loops must read each element before writing over it. */
  inPlace: boolean;
  /** A shared helper's C name; the module defines it (and what it uses) once. */
  use(f: SharedFunc): string;
}

/**
 * A layer's C. `entry` is called by the module's run function with the inputs' then the output's pointers:
 * `entry(const T *in0[, const T *in1...], T *out)`, T the tensors' element type (int8_t, or int16_t for q15), once
 * per inference.
 */
export type LayerCode = { entry: string; summary: string } & (
  /** Functions and tables as IR (printed by src/emit-c). */
  | { k: 'ir'; items: Item[] }
  /**
   * A kernel family's C embedded as one unit: its symbols static and prefixed by the layer's C name, its own macros
   * #undef'd after it, the system headers it includes listed (the module includes them once at the top).
   */
  | { k: 'embedded'; text: string; headers: string[]; needs: Requirements; staticBytes: number; staticDoc: string; family: string | null }
);

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

/** Bytes of one element. */
export const elemBytes = (t: ElemType): number => (t === 'int16' ? 2 : 1);

/** The C type of an element. */
export const elemCType = (t: ElemType): 'int8_t' | 'int16_t' => (t === 'int16' ? 'int16_t' : 'int8_t');

/** The range of an element type. */
export const elemRange = (t: ElemType): [number, number] => (t === 'int16' ? [-32768, 32767] : [-128, 127]);

/** A new array of an element type. */
export const newTensorData = (t: ElemType, n: number): TensorData => (t === 'int16' ? new Int16Array(n) : new Int8Array(n));

/** Elements of a shape. */
export function elements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
