// bisect.junit.xml: a bisection as CI reads it — one case per point (passed,
// with its verdict and counts as properties: a bad point is the search working,
// not a test failing) and one case for the answer, which fails when the
// bisection named nothing it could confirm.
import { junitCases, type JUnitCase } from '../results/junit.js';
import { answerOf } from './oracle.js';
import type { BisectState } from './types.js';

export function bisectJunit(s: BisectState): string {
  const name = s.scenario.split('/').pop()!.replace(/\.ya?ml$/, '');
  const cases: JUnitCase[] = s.points.map((p, i) => ({
    classname: `bisect.${name}.points`, name: `${String(i + 1).padStart(2, '0')} ${p.role} ${p.commit} ${p.subject}`, timeMs: p.durationMs,
    verdict: 'passed', message: p.why,
    detail: '', properties: {
      verdict: p.verdict, why: p.why, reproduced: String(p.counts.reproduced), clean: String(p.counts.clean), other: String(p.counts.other), error: String(p.counts.error),
      ...(p.build ? { build: p.build.kernel.identity } : {}),
    },
  }));
  const a = answerOf(s);
  const done = s.status === 'done' || s.status === 'stopped';
  cases.push({
    classname: `bisect.${name}`, name: 'answer', timeMs: s.points.reduce((t, p) => t + p.durationMs, 0),
    verdict: a.found ? 'passed' : done ? 'failed' : 'error', reason: a.found ? undefined : done ? 'no-culprit' : 'unfinished', message: a.what, detail: a.what,
    properties: { status: s.status, ...(s.confidence ? { confidence: s.confidence.value.toFixed(3) } : {}) },
  });
  return junitCases(cases);
}
