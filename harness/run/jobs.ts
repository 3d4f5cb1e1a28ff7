// Background jobs in the guest: start one, wait for all or any of several,
// stop one. Shared by `run: … background:`, `wait: { jobs: … }` and `parallel:`.
import type { ExecResult } from '../guest/ssh.js';
import type { RunStep } from '../scenario/types.js';
import { closeStream } from './recorder.js';
import { judgeExec, type Job, type RunContext, type StepOutcome } from './context.js';
import { sleep } from '../util/signals.js';

const STOP_GRACE_MS = 5000;

// Every command of one SSH connection shares dropbear's session and process
// group, so a job gets its own: `exec setsid` keeps the pid (the shell is not a
// group leader, so setsid does not fork) and makes it the leader of a new
// group. Killing -PID then reaches every process of the job (pipes, loops)
// and nothing else, unless one of them made a session of its own.
const pidFile = (name: string): string => `/tmp/.krepro-job-${name}.pid`;

/** Quote for a POSIX shell: 'it'\''s'. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/** The command line that runs `command` as a stoppable job. */
export function jobCommand(name: string, command: string): string {
  return `echo $$ >${pidFile(name)}; exec setsid sh -c ${shellQuote(command)}`;
}

/** Start `step.command` as background job `name`; its output goes to steps/NN-run-NAME.out. */
export function startJob(ctx: RunContext, step: RunStep, name: string): Job {
  const { path, stream } = ctx.rec.output(step.index, `run-${name}`);
  const result = ctx.guest.exec(jobCommand(name, step.command), {
    stdin: step.stdin,
    timeoutMs: step.timeoutMs,
    signal: ctx.signal,
    onStdout: (b) => stream.write(b),
    onStderr: (b) => stream.write(b),
  }).then(async (r) => {
    await closeStream(stream);
    return r;
  });
  const job: Job = { name, step, result, output: path };
  ctx.jobs.set(name, job);
  ctx.rec.event('job-start', { job: name, step: step.index, output: path });
  void result.then((r) => {
    job.done = r;
    ctx.rec.event('job-exit', { job: name, code: r.code, signal: r.signal, timedOut: r.timedOut, stopped: job.stopped ?? false });
  });
  return job;
}

/** Stop a running job: SIGTERM to its process group, SIGKILL after a grace period. Returns whether it ended. */
export async function stopJob(ctx: RunContext, job: Job): Promise<boolean> {
  if (job.done) return true;
  job.stopped = true;
  for (const sig of ['TERM', 'KILL']) {
    const r = await ctx.guest.exec(`kill -${sig} -$(cat ${pidFile(job.name)}) 2>/dev/null; true`, { timeoutMs: 15_000, signal: ctx.signal });
    if (r.lost || r.refused || r.aborted) return false;
    const ended = await Promise.race([job.result.then(() => true), sleep(STOP_GRACE_MS, ctx.signal).then(() => false)]);
    if (ended) {
      ctx.rec.event('job-stopped', { job: job.name, signal: sig });
      return true;
    }
  }
  // Still there after SIGKILL: stuck in the kernel (D state), which is evidence in itself.
  ctx.rec.event('job-unstoppable', { job: job.name });
  return false;
}

/** The outcome of a finished job against its expected exit status. */
export function judgeJob(job: Job, r: ExecResult): StepOutcome {
  const o = judgeExec(r, job.step.expectExit, `job ${job.name}`);
  return { ...o, message: o.message && `job ${job.name} (step ${job.step.index}) ${o.message}` };
}

/** Resolves with the first of `jobs` to end, or null when `signal` aborts first. */
export function firstToEnd(jobs: Job[], signal: AbortSignal): Promise<{ job: Job; result: ExecResult } | null> {
  if (signal.aborted) return Promise.resolve(null);
  return Promise.race([
    ...jobs.map((job) => job.result.then((result) => ({ job, result }))),
    new Promise<null>((resolve) => signal.addEventListener('abort', () => resolve(null), { once: true })),
  ]);
}

/** "send exit 0 (41.2s), balance stopped" — what a group of jobs did, for step messages. */
export function summarize(jobs: Job[]): string {
  return jobs.map((j) => {
    if (!j.done) return `${j.name} still running`;
    const took = `${(j.done.durationMs / 1000).toFixed(1)}s`;
    if (j.stopped) return `${j.name} stopped after ${took}`;
    return `${j.name} exit ${j.done.code ?? j.done.signal ?? '?'} (${took})`;
  }).join(', ');
}
