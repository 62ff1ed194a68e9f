import { defineKernel } from 'convgen';
const n = 'k';
export default defineKernel({
  name: `${n}x`, input: { channels: 2, height: 5, width: 6 }, output: { channels: 3 }, padding: 1,
  numeric: { type: 'q15', inputFrac: 12, weightFrac: 14, outputFrac: 12 }, weights: { random: { seed: 1 } },
  kernel: 3,
});
