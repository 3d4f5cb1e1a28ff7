// The point oracle's decisions, pure: which failure an attempt shows, whether it
// is the reference failure (the bug being bisected) or another one, what a
// point's attempts add up to, and how sure the answer is.
import { matches } from '../run/verdict.js';
import type { Crash, ScenarioResult, Verdict } from '../results/types.js';
import type { Expectations } from '../scenario/types.js';
import type { AttemptClass, BisectState, Confidence, PointRecord, PointVerdict, Reference } from './types.js';

/** `krepro run --bisect-exit`: passed → 0, the failure → 1, error → 125 (git bisect run's skip). */
export function bisectExitCode(verdicts: Verdict[]): number {
  if (verdicts.includes('failed')) return 1;
  if (verdicts.includes('error') || verdicts.length === 0) return 125;
  return 0;
}

/** The crashes that made an attempt fail: neither expected nor allowed, in console order. */
export function failingCrashes(r: Pick<ScenarioResult, 'crashes'>, expect: Expectations): Crash[] {
  const wanted = expect.crashes === 'none' ? [] : expect.crashes;
  return r.crashes.filter((c) => !wanted.some((e) => matches(c, e)) && !expect.allow.some((e) => matches(c, e)));
}

/** The failure an attempt shows, as a reference (undefined unless it failed). */
export function failureOf(r: ScenarioResult, expect: Expectations, dir: string): Reference | undefined {
  if (r.verdict !== 'failed' || !r.reason) return undefined;
  const c = failingCrashes(r, expect)[0];
  if (c) return { reason: 'crash', kind: c.kind, title: c.title, signature: c.signature, dir, excerpt: c.excerpt };
  const step = r.steps.find((s) => s.status !== 'ok' && s.status !== 'skipped');
  return { reason: r.reason, step: step?.label, dir };
}

/** Whether a failure is the reference one: same reason; for crashes the same kind and title or signature. */
export function isReference(f: Reference, ref: Reference): boolean {
  if (f.reason !== ref.reason) return false;
  if (ref.reason === 'crash') return f.kind === ref.kind && (f.title === ref.title || (!!ref.signature && f.signature === ref.signature));
  return f.step === ref.step;
}

/** One attempt, as the bisection counts it. */
export function classifyAttempt(r: ScenarioResult, expect: Expectations, ref: Reference | undefined): AttemptClass {
  if (r.verdict === 'passed') return 'clean';
  if (r.verdict === 'error') return 'error';
  const f = failureOf(r, expect, '');
  if (!ref) return 'reproduced'; // the bad end, before a reference exists: its first failure becomes it
  return f && isReference(f, ref) ? 'reproduced' : 'other';
}

/**
 * A point's verdict from its attempts: bad as soon as the reference failure
 * reproduces; good only after `runs` clean attempts; anything else — an error,
 * another bug, too few runs — is a skip, never bad.
 */
export function pointVerdict(classes: AttemptClass[], runs: number): PointVerdict {
  if (classes.includes('reproduced')) return 'bad';
  if (classes.length >= runs && classes.every((c) => c === 'clean')) return 'good';
  return 'skip';
}

/** Whether a point has seen enough: the first non-clean attempt decides, as does the last run. */
export function pointSettled(classes: AttemptClass[], runs: number, role: PointRecord['role']): boolean {
  // The bad end (and the culprit's recheck) runs all its attempts when they keep reproducing: they measure the reproduction rate.
  if (role === 'bad-end' || role === 'recheck') return classes.length >= runs || classes.some((c) => c === 'error' || c === 'other');
  return classes.length >= runs || classes.some((c) => c !== 'clean');
}

/**
 * How sure the answer is: the reproduction rate p is estimated from every
 * attempt at a bad point; each good point of n clean runs could have been a
 * missed reproduction with probability (1-p)^n, and the answer is wrong if
 * any was. Bad points are taken as certain (the reference failure was seen).
 */
export function confidence(points: PointRecord[], culprit: string | undefined, parentOf: (c: string) => string | undefined): Confidence {
  const bad = points.filter((p) => p.verdict === 'bad');
  const reproductions = bad.reduce((s, p) => s + p.counts.reproduced, 0);
  const attempts = bad.reduce((s, p) => s + p.counts.reproduced + p.counts.clean, 0);
  const rate = attempts ? reproductions / attempts : 0;
  const value = points.filter((p) => p.verdict === 'good').reduce((v, p) => v * (1 - (1 - rate) ** p.counts.clean), 1);
  const parent = culprit ? parentOf(culprit) : undefined;
  const decidedBy = points.filter((p) => p.commit === culprit || p.commit === parent).map((p) => `${/^[0-9a-f]{40}$/.test(p.commit) ? p.commit.slice(0, 12) : p.commit} ${p.verdict} (${p.counts.reproduced}/${p.attempts.length} reproduced)`);
  return { rate, reproductions, attempts, value, decidedBy };
}

/** What a bisection answered, and whether it stands (checked) — one rule for stdout's exit code, JUnit and --bisect-new. */
export function answerOf(s: BisectState): { found: boolean; what: string } {
  if (s.configCulprit?.verified) return { found: true, what: `options ${s.configCulprit.changes.map((c) => `CONFIG_${c.symbol}`).join(' ')}` };
  if (s.culprit && s.culpritCheck?.verified !== false) return { found: true, what: `commit ${s.culprit.commit} ${s.culprit.subject}` };
  if (s.firstBad) return { found: true, what: `version ${s.firstBad.version.version}` };
  if (s.culprit) return { found: false, what: `commit ${s.culprit.commit} not confirmed: ${s.culpritCheck?.doubts.join('; ')}` };
  return { found: false, what: s.stopped ?? `no answer yet (${s.status})` };
}
