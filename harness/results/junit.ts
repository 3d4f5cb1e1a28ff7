// JUnit XML so CI systems show one test case per scenario attempt.
import type { ScenarioResult } from './types.js';

function esc(s: string): string {
  // XML 1.0 forbids most control characters; console excerpts contain them.
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Render results as one <testsuite> with a <testcase> per scenario attempt. */
export function junitXml(results: ScenarioResult[]): string {
  const failures = results.filter((r) => r.verdict === 'failed').length;
  const errors = results.filter((r) => r.verdict === 'error').length;
  const total = results.reduce((s, r) => s + (r.timings.totalMs ?? 0), 0) / 1000;
  const cases = results.map((r) => {
    const name = r.attempt > 1 ? `${r.scenario} #${r.attempt}` : r.scenario;
    const time = ((r.timings.totalMs ?? 0) / 1000).toFixed(3);
    let body = '';
    if (r.verdict !== 'passed') {
      const tag = r.verdict === 'failed' ? 'failure' : 'error';
      const detail = r.crashes.map((c) => `${c.title} (step ${c.step})\n${c.excerpt}`).join('\n\n');
      body = `\n    <${tag} type="${esc(r.reason ?? '')}" message="${esc(r.message)}">${esc(detail)}</${tag}>\n  `;
    }
    return `  <testcase classname="krepro" name="${esc(name)}" file="${esc(r.file)}" time="${time}">${body}</testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite name="krepro" tests="${results.length}" failures="${failures}" errors="${errors}" time="${total.toFixed(3)}">`,
    ...cases,
    '</testsuite>',
    '',
  ].join('\n');
}
