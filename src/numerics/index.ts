/**
 * Shared integer numerics: TFLite's and gemmlowp's fixed-point arithmetic and TFLite's float32/double constant
 * preparation, defined once for the golden models of every op (and, spelled in C, every generated kernel).
 */
export * from './int32.ts';
export * from './qformat.ts';
export * from './requantize.ts';
export * from './scales.ts';
export * from './qshift.ts';
export {
  EXP_BARREL, GEMMLOWP, expOnIntervalBetweenNegativeOneQuarterAnd0Excl, expOnNegativeValues, fixedOne, getReciprocal, oneOverOnePlusXForXIn01,
  rescale, roundingHalfSum,
} from './gemmlowp.ts';
