/** `--target` values: names in any case, `all`, and a suggestion for a name that is not a target. */
import { InputError } from '../errors.ts';
import { closest } from '../files/issues.ts';
import { expandTargets, findTarget, targets, type Target } from '../targets/index.ts';

/** "unknown target 's3c2440' (did you mean 's3c2410'?); targets: arm920t, …" */
export function unknownTarget(name: string): string {
  const names = targets.map((t) => t.name);
  const hint = closest(name.trim(), names);
  return `unknown target '${name}'${hint ? ` (did you mean '${hint}'?)` : ''}; targets: ${names.join(', ')}`;
}

export function oneTarget(name: string, option = '--target'): Target {
  const t = findTarget(name);
  if (!t) throw new InputError(option, unknownTarget(name));
  return t;
}

/** A comma-separated list; `all` is every QEMU target (and the host too with `allIncludesHost`). */
export function targetList(list: string, option = '--target', o: { allIncludesHost?: boolean } = {}): Target[] {
  const names = list.split(',').map((s) => (o.allIncludesHost && s.trim().toLowerCase() === 'all' ? 'all,host' : s)).join(',');
  const { found, unknown } = expandTargets(names);
  if (unknown.length) throw new InputError(option, unknownTarget(unknown[0]));
  if (!found.length) throw new InputError(option, 'no target given');
  return found;
}
