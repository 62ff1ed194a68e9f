/** Bounded parallelism for the commands that run many builds and emulators at once (test, bench, fuzz). */
import { throwIfInterrupted } from './errors.ts';

/**
 * Run `work` over items with at most `jobs` in flight, calling `done` as each finishes; results keep the items'
 * order. After the first error (Ctrl-C included: no item starts once interrupted) no new item starts, every running
 * one is awaited (so its temporary folders are removed), then the first error is rethrown.
 */
export async function pool<T, R>(items: T[], jobs: number, work: (t: T) => Promise<R>, done?: (r: R) => void): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const errors: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length && errors.length === 0) {
      const i = next++;
      try {
        throwIfInterrupted();
        results[i] = await work(items[i]);
        done?.(results[i]);
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, jobs), items.length) }, worker));
  if (errors.length) throw errors[0];
  return results;
}
