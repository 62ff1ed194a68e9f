/**
 * Exact fusions on a network spec (before it is built):
 *   PAD -> CONV_2D / DEPTHWISE_CONV_2D: a PAD of H and W only, whose value is the convolution's input zero point, with
 *   the same quantization on both sides (TFLM's PAD copies raw values) and no other reader, becomes the convolution's
 *   explicit padding. A padded tap then adds w·(zp − zp) = 0, which is exactly a tap the convolution skips.
 * Fused activations need no pass: TFLite stores them in the producer's options, and the layer keeps them.
 */
import type { NpyArray } from '../npy/index.ts';
import { samePadding } from '../ops/conv_2d/spec/model.ts';
import type { RawLayer, RawNetwork } from './schema.ts';

const CONVS = new Set(['conv_2d', 'depthwise_conv_2d']);

export function fuseNetwork(net: RawNetwork, arrays: Map<string, NpyArray>): RawNetwork {
  let layers = [...net.layers];
  const tensors = { ...net.tensors };
  for (let changed = true; changed;) {
    changed = false;
    for (const padLayer of layers) {
      if (padLayer.op !== 'pad') continue;
      const fused = fusePad(padLayer, layers, net, tensors, arrays);
      if (!fused) continue;
      const [conv, replacement] = fused;
      layers = layers.filter((l) => l !== padLayer).map((l) => (l === conv ? replacement : l));
      delete tensors[padLayer.outputs[0]];
      changed = true;
      break;
    }
  }
  return { ...net, tensors, layers };
}

function fusePad(padLayer: RawLayer, layers: RawLayer[], net: RawNetwork, tensors: RawNetwork['tensors'],
  arrays: Map<string, NpyArray>): [RawLayer, RawLayer] | null {
  const mid = padLayer.outputs[0];
  const readers = layers.filter((l) => l.inputs.includes(mid));
  if (readers.length !== 1 || net.outputs.includes(mid)) return null;
  const conv = readers[0];
  if (!CONVS.has(conv.op) || conv.inputs[0] !== mid || conv.inputs.length !== 1) return null;
  const src = tensors[padLayer.inputs[0]];
  const out = tensors[mid];
  if (!src || !out || src.shape.length !== 4) return null;
  const paddings = padLayer.params.paddings as [number, number][];
  const value = (padLayer.params.value as number | undefined) ?? out.zeroPoint;
  const sameQuant = Math.fround(src.scale) === Math.fround(out.scale) && src.zeroPoint === out.zeroPoint;
  if (!sameQuant || value !== out.zeroPoint || paddings.length !== 4) return null;
  if (paddings[0][0] || paddings[0][1] || paddings[3][0] || paddings[3][1]) return null;
  const w = arrays.get((conv.params.weights as { npy?: string } | undefined)?.npy ?? '');
  if (!w || w.shape.length !== 4) return null;
  const k: [number, number] = [w.shape[1], w.shape[2]];
  const stride = conv.params.stride as [number, number];
  const dilation = (conv.params.dilation as [number, number] | undefined) ?? [1, 1];
  const p = conv.params.padding;
  const [h, wd] = [out.shape[1], out.shape[2]];
  let own: number[];
  if (p === 'valid') own = [0, 0, 0, 0];
  else if (p === 'same') {
    const [t, b] = samePadding(h, k[0], stride[0], dilation[0]);
    const [l, r] = samePadding(wd, k[1], stride[1], dilation[1]);
    own = [t, l, b, r];
  } else if (Array.isArray(p) && p.length === 4) own = p as number[];
  else return null;
  const padding = [own[0] + paddings[1][0], own[1] + paddings[2][0], own[2] + paddings[1][1], own[3] + paddings[2][1]];
  return [conv, {
    ...conv,
    inputs: [padLayer.inputs[0]],
    params: { ...conv.params, padding },
    from: `${padLayer.from ?? padLayer.name} + ${conv.from ?? conv.name} (the PAD fused into the convolution's padding)`,
  }];
}
