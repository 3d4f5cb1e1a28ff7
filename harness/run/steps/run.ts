// `run:` — a command over SSH, in the foreground or as a named background job.
import type { RunStep } from '../../scenario/types.js';
import { closeStream } from '../recorder.js';
import { judgeExec, type StepImpl } from '../context.js';
import { startJob } from '../jobs.js';

export const runStep: StepImpl<RunStep> = async (ctx, step) => {
  if (step.background) {
    const job = startJob(ctx, step, step.background);
    return { status: 'ok', output: job.output, job: step.background };
  }
  const { path, stream } = ctx.rec.output(step.index, 'run');
  const exec = ctx.guest.exec(step.command, {
    stdin: step.stdin,
    timeoutMs: step.timeoutMs,
    signal: ctx.signal,
    onStdout: (b) => stream.write(b),
    onStderr: (b) => stream.write(b),
  });
  const result = exec.then(async (r) => {
    await closeStream(stream);
    return r;
  });
  return { ...judgeExec(await result, step.expectExit, 'command'), output: path };
};
