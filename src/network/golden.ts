/**
 * The network's golden model: every layer's golden model in execution order, every tensor kept (so a comparison can
 * name the first layer whose output differs). Inputs and outputs are the network's tensors (int8, or int16 in a q15
 * network), flat, in TFLite's layouts (NHWC for 4-D).
 */
import { elements, type TensorData } from '../ops/op.ts';
import type { Network } from './network.ts';

export interface NetworkRun {
  outputs: TensorData[];
  /** Every tensor's value by name: the inputs and each layer's output. */
  tensors: Map<string, TensorData>;
}

export function runNetwork(net: Network, inputs: TensorData[]): NetworkRun {
  const tensors = new Map<string, TensorData>();
  net.inputs.forEach((name, i) => {
    const size = elements(net.tensors.get(name)!.shape);
    if (inputs[i]?.length !== size) throw new Error(`network golden: input ${name} has ${inputs[i]?.length} elements, expected ${size}`);
    const want = net.tensors.get(name)!.dtype;
    if ((want === 'int16') !== inputs[i] instanceof Int16Array) throw new Error(`network golden: input ${name} is ${want}, given another element type`);
    tensors.set(name, inputs[i]);
  });
  for (const layer of net.layers) {
    const outs = layer.op.golden(layer.model, layer.inputs.map((n) => tensors.get(n)!));
    layer.outputs.forEach((n, i) => {
      const size = elements(net.tensors.get(n)!.shape);
      if (outs[i].length !== size) throw new Error(`network golden: layer ${layer.name} produced ${outs[i].length} elements for ${n}, expected ${size}`);
      tensors.set(n, outs[i]);
    });
  }
  return { outputs: net.outputs.map((n) => tensors.get(n)!), tensors };
}
