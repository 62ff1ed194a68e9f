import { defineKernel } from 'convgen';
export default defineKernel({
  name: 'k', input: { channels: 2, height: 5, width: 6 }, output: { channels: 3 }, padding: 1,
  numeric: { type: 'q15', inputFrac: 12, weightFrac: 14, outputFrac: 12 }, weights: { random: { seed: 1 } },
  kernel: Math.max(1, 3),
});
