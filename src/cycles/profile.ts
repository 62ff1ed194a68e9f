/** The plugin's profile file (firmware/plugin/README.md, "Profile"): per window, one record per instruction address. */
import { EnvironmentError } from '../errors.ts';
import type { ExecRecord } from './model.ts';

const counts = ['pc', 'n', 'taken', 'entered'] as const;

export function parseProfile(text: string, file: string): ExecRecord[][] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new EnvironmentError(`${file}: the plugin's profile is not JSON`);
  }
  const windows = (parsed as { windows?: unknown }).windows;
  if (!Array.isArray(windows)) throw new EnvironmentError(`${file}: the plugin's profile has no windows array`);
  return windows.map((w, wi) => {
    if (!Array.isArray(w)) throw new EnvironmentError(`${file}: window ${wi} is not an array`);
    return w.map((r: Record<string, unknown>) => {
      for (const k of counts) if (typeof r[k] !== 'number') throw new EnvironmentError(`${file}: window ${wi}: a record without ${k}`);
      const mul = r.mul;
      if (mul !== undefined && !(Array.isArray(mul) && mul.length === 32 && mul.every((x) => typeof x === 'number')))
        throw new EnvironmentError(`${file}: window ${wi}: a malformed mul histogram at pc ${String(r.pc)}`);
      return {
        pc: r.pc as number, n: r.n as number, taken: r.taken as number, entered: r.entered as number,
        ...(typeof r.pass === 'number' ? { pass: r.pass } : {}), ...(mul ? { mul: mul as number[] } : {}),
      };
    });
  });
}
