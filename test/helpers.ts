/** Shared test helpers: build models from inline values, find fixtures. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { modelFromValue, type KernelModel } from '../src/spec/index.ts';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const fixtures = path.join(root, 'test', 'fixtures');

/** A small valid q15 spec; override any field. */
export function baseSpec(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'k',
    input: { channels: 2, height: 5, width: 6 },
    output: { channels: 3 },
    kernel: 3,
    padding: 1,
    numeric: { type: 'q15', inputFrac: 12, weightFrac: 14, outputFrac: 12 },
    weights: { random: { seed: 1 } },
    bias: { random: { seed: 2 } },
    ...over,
  };
}

export function model(over: Record<string, unknown> = {}, file = path.join(root, 'inline.json')): KernelModel {
  return modelFromValue(baseSpec(over), file);
}
