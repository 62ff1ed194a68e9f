/**
 * Report stage: results -> what people and CI systems read (terminal lines, JSON, JUnit XML). Files are written
 * atomically (temp name, then rename), so a report is either complete or absent.
 */
import { writeOutputFile } from '../files/write.ts';
import type { PairResult } from '../verify/index.ts';
import { describeMismatch } from '../verify/index.ts';

/** A report file, whole or not at all (src/files/write.ts). */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  writeOutputFile(file, content);
}

export function resultLine(r: PairResult): string {
  const head = `${r.status.toUpperCase().padEnd(5)} ${r.name} on ${r.target} (${r.variant})`;
  if (r.status === 'pass')
    return `${head}: bit-exact${r.verifiedOn ? ` on ${r.verifiedOn} (the same C; the board image built)` : ''}, ${r.elements} elements over ${r.tensors} inputs, ${r.seconds.toFixed(1)} s`;
  if (r.status === 'fail') return `${head}: ${describeMismatch(r)}${r.error ? `; ${r.error}` : ''}`;
  return `${head}: ${r.error}`;
}

export function summaryLine(results: PairResult[]): string {
  const count = (s: PairResult['status']) => results.filter((r) => r.status === s).length;
  return `${count('pass')} passed, ${count('fail')} failed, ${count('error')} errors`;
}

export function jsonReport(results: PairResult[]): string {
  return JSON.stringify({ results }, null, 2) + '\n';
}

function xml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export function junitReport(results: PairResult[]): string {
  const byTarget = new Map<string, PairResult[]>();
  for (const r of results) byTarget.set(r.target, [...(byTarget.get(r.target) ?? []), r]);
  const suites = [...byTarget].map(([target, rs]) => {
    const failures = rs.filter((r) => r.status === 'fail').length;
    const errors = rs.filter((r) => r.status === 'error').length;
    const time = rs.reduce((a, r) => a + r.seconds, 0);
    const cases = rs.map((r) => {
      const open = `    <testcase classname="convgen.${xml(target)}" name="${xml(r.name)} (${xml(r.variant)})" time="${r.seconds.toFixed(3)}"`;
      if (r.status === 'pass') return `${open}/>`;
      const tag = r.status === 'fail' ? 'failure' : 'error';
      const msg = r.status === 'fail' ? describeMismatch(r) : (r.error ?? '');
      return `${open}>\n      <${tag} message="${xml(msg)}">${xml(`${r.spec}: ${msg}`)}</${tag}>\n    </testcase>`;
    });
    return `  <testsuite name="${xml(target)}" tests="${rs.length}" failures="${failures}" errors="${errors}" time="${time.toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="convgen">\n${suites.join('\n')}\n</testsuites>\n`;
}
