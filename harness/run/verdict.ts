// From what happened to one verdict. Pure: the runner gathers facts, this decides.
import type { Expectations } from '../scenario/types.js';
import type { Crash, Reason, StepResult, Verdict } from '../results/types.js';

export interface Outcome {
  /** The harness could not do its job before the system under test ran (build, QEMU, boot). */
  harnessError?: { reason: 'build-failed' | 'boot-failed' | 'infra'; message: string };
  crashes: Crash[];
  steps: StepResult[];
  /** A step, a wait or the whole run ran out of time. */
  hang?: { step: number; message: string };
  lost?: { step: number; message: string };
}

export interface Decision {
  verdict: Verdict;
  reason?: Reason;
  message: string;
}

/** Whether a crash report matches a { kind, title } pattern pair (absent = any). */
export function matches(c: { kind: string; title: string }, e: { kind?: string; title?: string }): boolean {
  return (!e.kind || new RegExp(e.kind).test(c.kind)) && (!e.title || new RegExp(e.title).test(c.title));
}

function crashLine(c: Crash): string {
  return `${c.title} (${c.kind}${c.step ? `, during step ${c.step}` : ', during boot'})`;
}

/** Decide passed/failed/error and the reason, in DESIGN.md's order of precedence. */
export function decide(o: Outcome, expect: Expectations): Decision {
  const wanted = expect.crashes === 'none' ? [] : expect.crashes;
  const unexpected = o.crashes.filter((c) => !wanted.some((e) => matches(c, e)) && !expect.allow.some((e) => matches(c, e)));
  const missing = wanted.filter((e) => !o.crashes.some((c) => matches(c, e)));

  // A crash outranks everything: even a boot that "failed" did so because the kernel did.
  const first = unexpected[0];
  if (first) {
    const more = unexpected.length > 1 ? ` (+${unexpected.length - 1} more)` : '';
    return { verdict: 'failed', reason: 'crash', message: `crash: ${crashLine(first)}${more}` };
  }
  if (o.harnessError && !(wanted.length > 0 && missing.length === 0)) {
    return { verdict: 'error', reason: o.harnessError.reason, message: o.harnessError.message };
  }
  if (o.hang) return { verdict: 'failed', reason: 'hang', message: `hang: ${o.hang.message}` };
  // A wanted crash that takes the VM down (a boot-time panic before pvpanic is loaded: QEMU exits) is the expected end.
  if (o.lost && !(wanted.length > 0 && missing.length === 0)) {
    return { verdict: 'failed', reason: 'lost-connection', message: `lost connection during step ${o.lost.step}: ${o.lost.message}` };
  }
  const failedStep = o.steps.find((s) => s.status === 'failed' || s.status === 'timeout' || s.status === 'lost');
  if (failedStep) {
    return {
      verdict: 'failed',
      reason: 'step-failed',
      message: `step ${failedStep.index} (${failedStep.label}) ${failedStep.message ?? 'failed'}`,
    };
  }
  if (missing.length > 0) {
    const m = missing.map((e) => [e.kind && `kind /${e.kind}/`, e.title && `title /${e.title}/`].filter(Boolean).join(' '));
    return { verdict: 'failed', reason: 'step-failed', message: `expected crash did not appear: ${m.join('; ')}` };
  }
  const hit = o.crashes.find((c) => wanted.some((e) => matches(c, e)));
  const seen = hit ? `; expected crash seen: ${crashLine(hit)}` : '';
  const tolerated = o.crashes.length - (hit ? 1 : 0);
  const allowed = tolerated > 0 ? `; ${tolerated} allowed report(s) recorded` : '';
  return { verdict: 'passed', message: `all ${o.steps.length} steps passed${seen}${allowed}` };
}
