/** The spec generators live in src/fuzz (the `convgen fuzz` command uses them); tests import them from here. */
export { specArbitrary, fuzzTypes, type SpecOptions, type FuzzType } from '../src/fuzz/arbitraries.ts';
