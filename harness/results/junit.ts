// JUnit XML so CI systems show one test case per scenario attempt (or per matrix cell).
import type { ScenarioResult, Verdict } from './types.js';

function esc(s: string): string {
  // XML 1.0 forbids most control characters; console excerpts contain them.
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** One <testcase>: what any report (attempts, matrix cells) hands the JUnit writer. */
export interface JUnitCase {
  classname: string;
  name: string;
  file?: string;
  timeMs: number;
  verdict: Verdict;
  reason?: string;
  message: string;
  /** Body of the <failure>/<error> element (crash excerpts). */
  detail: string;
  /** <properties> of the case (kernel, zfs, attempts, signature…). */
  properties?: Record<string, string>;
  /** Reported as <skipped> with this message instead of a failure (a known failure). */
  skipped?: string;
}

/** Render cases as one <testsuite>. */
export function junitCases(cases: JUnitCase[]): string {
  const failures = cases.filter((c) => c.verdict === 'failed' && c.skipped === undefined).length;
  const errors = cases.filter((c) => c.verdict === 'error' && c.skipped === undefined).length;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const total = cases.reduce((s, c) => s + c.timeMs, 0) / 1000;
  const lines = cases.map((c) => {
    const time = (c.timeMs / 1000).toFixed(3);
    const parts: string[] = [];
    const props = Object.entries(c.properties ?? {});
    if (props.length) {
      parts.push(`\n    <properties>${props.map(([k, v]) => `\n      <property name="${esc(k)}" value="${esc(v)}"/>`).join('')}\n    </properties>`);
    }
    if (c.skipped !== undefined) {
      parts.push(`\n    <skipped message="${esc(c.skipped)}"/>`);
    } else if (c.verdict !== 'passed') {
      const tag = c.verdict === 'failed' ? 'failure' : 'error';
      parts.push(`\n    <${tag} type="${esc(c.reason ?? '')}" message="${esc(c.message)}">${esc(c.detail)}</${tag}>`);
    }
    const body = parts.length ? `${parts.join('')}\n  ` : '';
    const file = c.file === undefined ? '' : ` file="${esc(c.file)}"`;
    return `  <testcase classname="${esc(c.classname)}" name="${esc(c.name)}"${file} time="${time}">${body}</testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite name="krepro" tests="${cases.length}" failures="${failures}" errors="${errors}"${skipped ? ` skipped="${skipped}"` : ''} time="${total.toFixed(3)}">`,
    ...lines,
    '</testsuite>',
    '',
  ].join('\n');
}

/** Render results as one <testsuite> with a <testcase> per scenario attempt. */
export function junitXml(results: ScenarioResult[]): string {
  return junitCases(results.map((r) => ({
    classname: 'krepro',
    name: r.attempt > 1 ? `${r.scenario} #${r.attempt}` : r.scenario,
    file: r.file,
    timeMs: r.timings.totalMs ?? 0,
    verdict: r.verdict,
    reason: r.reason,
    message: r.message,
    detail: r.crashes.map((c) => `${c.title} (step ${c.step})\n${c.excerpt}`).join('\n\n'),
  })));
}
