/**
 * The network spec as written (JSON): tensors by name with shape and quantization, layers in execution order with
 * their op, params (checked by the op's own schema), input and output tensor names; constants are .npy files beside
 * the spec. Relations (names defined before use, shapes the ops compute) are checked in network.ts.
 */
import { z } from 'zod';

export const NETWORK_FORMAT = 'convgen-network';

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a name of letters, digits and _, not starting with a digit');

export const tensorSchema = z.strictObject({
  shape: z.array(z.number().int().min(1)).min(1),
  /** float32 scale and int8 zero point (a Q-format network: 2^−frac and 0). */
  scale: z.number(),
  zeroPoint: z.number().int().min(-128).max(127),
  /** Q-format networks only: the tensor's fraction bits (value = raw · 2^−frac). */
  frac: z.number().int().min(-32).max(48).optional(),
  /** The tensor's name and index in the .tflite model it came from (for messages and comparing intermediates). */
  name: z.string().optional(),
  tfliteIndex: z.number().int().min(0).optional(),
  /**
   * The model had float here: its QUANTIZE (input) or DEQUANTIZE (output) was left to the caller, who converts with
   * this tensor's scale and zero point (TFLite's AffineQuantize / Dequantize). The network itself is int8 only.
   */
  callerConverts: z.enum(['quantize', 'dequantize']).optional(),
  /**
   * How the source model (ONNX) lays the tensor out where the network's order differs: "nchw" (the network's NHWC
   * transposed), or flattened from NCHW [C, H, W] (the network's bytes are H·W·C ordered). `name` is then the model's
   * value, for comparing with a float run of the model.
   */
  sourceLayout: z.union([
    z.literal('nchw'),
    z.strictObject({ flattenedNchw: z.tuple([z.number().int().min(1), z.number().int().min(1), z.number().int().min(1)]) }),
  ]).optional(),
});

export const layerSchema = z.strictObject({
  name: identifier,
  op: z.string(),
  inputs: z.array(identifier).min(1),
  outputs: z.array(identifier).length(1),
  params: z.record(z.string(), z.unknown()).default({}),
  /** Where the layer came from and what was fused into it (informative). */
  from: z.string().optional(),
});

export const networkSchema = z.strictObject({
  format: z.literal(NETWORK_FORMAT),
  version: z.literal(1),
  name: identifier,
  /**
   * The tensors' numeric type: "int8" (TFLite's, the default), or one Q format per tensor with int8 ("q7") or int16
   * ("q15") storage (docs/networks.md, Q-format networks).
   */
  numeric: z.enum(['int8', 'q7', 'q15']).optional(),
  source: z.strictObject({ file: z.string(), sha256: z.string() }).optional(),
  inputs: z.array(identifier).min(1),
  outputs: z.array(identifier).min(1),
  tensors: z.record(identifier, tensorSchema),
  layers: z.array(layerSchema).min(1),
  notes: z.array(z.string()).optional(),
});

export type RawNetwork = z.output<typeof networkSchema>;
export type RawTensor = z.output<typeof tensorSchema>;
export type RawLayer = z.output<typeof layerSchema>;
