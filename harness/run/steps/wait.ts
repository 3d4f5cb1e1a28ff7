// `wait:` — for a background job, a console line, or a polled command's output.
import type { UntilCondition, WaitConsoleStep, WaitJobStep, WaitPollStep, WaitStep } from '../../scenario/types.js';
import { closeStream } from '../recorder.js';
import { judgeExec, type RunContext, type StepImpl, type StepOutcome } from '../context.js';
import { waitJobsStep } from './wait-jobs.js';
import { lastNumber, StallWatch } from '../watchdog.js';
import { deadline, sleep } from '../../util/signals.js';
import { unreachable } from '../../util/unreachable.js';

const SIZE = /^\s*(-?\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$/i;
const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** Whether a polled command's stdout satisfies `until` (pure; exported for tests). */
export function satisfies(stdout: string, until: UntilCondition): boolean {
  const text = stdout.trim();
  if (until.kind === 'match') return new RegExp(until.regex, 'm').test(text);
  const m = SIZE.exec(text.split('\n').pop() ?? '');
  if (!m) return false;
  const v = Number(m[1]) * (UNITS[(m[2] ?? '').toUpperCase()] ?? 1);
  switch (until.op) {
    case '>=': return v >= until.value;
    case '>': return v > until.value;
    case '<=': return v <= until.value;
    case '<': return v < until.value;
    case '==': return v === until.value;
    case '!=': return v !== until.value;
  }
}

function timeoutSignal(ctx: RunContext, ms: number): { signal: AbortSignal; timedOut: () => boolean; clear: () => void } {
  return deadline(ms, ctx.signal);
}

async function waitJob(ctx: RunContext, step: WaitJobStep): Promise<StepOutcome> {
  const job = ctx.jobs.get(step.job);
  if (!job) return { status: 'failed', message: `no background job named ${step.job}` };
  const t = timeoutSignal(ctx, step.timeoutMs);
  const watch = step.watchdog ? watchProgress(ctx, step.index, step.watchdog, t.signal) : undefined;
  try {
    const r = await Promise.race([
      job.result,
      new Promise<null>((resolve) => t.signal.addEventListener('abort', () => resolve(null), { once: true })),
      ...(watch ? [watch.stalled] : []),
    ]);
    if (typeof r === 'string') return { status: 'timeout', output: watch!.path, message: `job ${job.name}: ${r}` };
    if (r === null) {
      return t.timedOut()
        ? { status: 'timeout', output: watch?.path, message: `job ${job.name} still running after ${step.timeoutMs / 1000}s` }
        : { status: 'interrupted' };
    }
    const o = judgeExec(r, job.step.expectExit, `job ${job.name}`);
    return { ...o, message: o.message && `job ${job.name} (step ${job.step.index}) ${o.message}` };
  } finally {
    watch?.stop();
    t.clear();
  }
}

/**
 * Poll the job's progress command every `every`; `stalled` resolves with a message when its number
 * has not grown for `stall`. Each poll is bounded, so a progress command stuck in D state cannot stall the watchdog.
 */
function watchProgress(ctx: RunContext, index: number, w: NonNullable<WaitJobStep['watchdog']>, signal: AbortSignal): { stalled: Promise<string>; stop: () => void; path: string } {
  const { path, stream } = ctx.rec.output(index, 'progress');
  const { stallMs } = w;
  const watch = new StallWatch(stallMs, Date.now());
  let stopped = false;
  const stalled = (async (): Promise<string> => {
    try {
      while (!stopped && !signal.aborted) {
        const r = await ctx.guest.exec(w.progress, { timeoutMs: Math.max(w.everyMs, Math.min(stallMs / 2, 30_000)), signal });
        if (stopped || r.aborted) break;
        const value = r.code === 0 ? lastNumber(r.stdout) : undefined;
        const state = watch.observe(value, Date.now());
        const why = r.timedOut ? 'poll timed out' : r.lost ? 'SSH lost' : r.refused ? `refused: ${r.refused}` : r.code !== 0 ? `exit ${r.code}` : r.stdout.trim().split('\n').pop();
        stream.write(`[${(ctx.rec.now() / 1000).toFixed(1)}s] ${why} → ${state} (max ${watch.value ?? 'none'})\n`);
        if (state === 'stalled') {
          ctx.rec.event('watchdog-stall', { step: index, value: watch.value });
          return `no progress for ${Math.round(watch.flatFor(Date.now()) / 1000)}s (\`${w.progress}\` stuck at ${watch.value ?? 'no number'})`;
        }
        if (r.lost) break;
        await sleep(w.everyMs);
      }
    } finally {
      await closeStream(stream);
    }
    return new Promise<string>(() => {}); // stopped: never settles, the race is decided elsewhere
  })();
  return { stalled, stop: () => { stopped = true; }, path };
}

async function waitConsole(ctx: RunContext, step: WaitConsoleStep, from: number): Promise<StepOutcome> {
  const t = timeoutSignal(ctx, step.timeoutMs);
  try {
    const line = await ctx.console.waitFor(new RegExp(step.console), from, t.signal);
    ctx.rec.event('console-matched', { step: step.index, line });
    return { status: 'ok', message: line.trim().slice(0, 200) };
  } catch {
    return t.timedOut()
      ? { status: 'timeout', message: `no console line matched /${step.console}/ within ${step.timeoutMs / 1000}s` }
      : { status: 'interrupted' };
  } finally {
    t.clear();
  }
}

async function waitPoll(ctx: RunContext, step: WaitPollStep): Promise<StepOutcome> {
  const { path, stream } = ctx.rec.output(step.index, 'wait');
  const deadline = Date.now() + step.timeoutMs;
  let last = '';
  try {
    while (!ctx.signal.aborted) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const r = await ctx.guest.exec(step.run, { timeoutMs: Math.min(left, Math.max(step.everyMs * 5, 30_000)), signal: ctx.signal });
      if (r.lost) return { status: 'lost', output: path, message: 'SSH connection lost while polling' };
      if (r.refused) return { status: 'lost', output: path, message: `the guest's sshd refused to run the poll: ${r.refused}` };
      if (r.aborted) return { status: 'interrupted', output: path };
      last = r.stdout.trim();
      stream.write(`[${(ctx.rec.now() / 1000).toFixed(1)}s] exit=${r.code} ${last}${r.stderr ? ` (stderr: ${r.stderr.trim()})` : ''}\n`);
      if (r.code === 0 && satisfies(r.stdout, step.until)) {
        return { status: 'ok', output: path, message: `reached: ${last.slice(0, 100)}` };
      }
      await sleep(Math.min(step.everyMs, Math.max(0, deadline - Date.now())));
    }
    if (ctx.signal.aborted) return { status: 'interrupted', output: path };
    return { status: 'timeout', output: path, message: `condition not reached within ${step.timeoutMs / 1000}s (last output: ${last.slice(0, 100) || 'none'})` };
  } finally {
    await closeStream(stream);
  }
}

export const waitStep: StepImpl<WaitStep> = (ctx, step, consoleFrom) => {
  switch (step.on) {
    case 'jobs': return waitJobsStep(ctx, step, consoleFrom);
    case 'job': return waitJob(ctx, step);
    case 'console': return waitConsole(ctx, step, consoleFrom);
    case 'poll': return waitPoll(ctx, step);
    default: return unreachable(step, 'wait kind');
  }
};
