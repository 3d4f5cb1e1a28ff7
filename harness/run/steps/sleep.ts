import type { SleepStep } from '../../scenario/types.js';
import type { StepImpl } from '../context.js';
import { sleep } from '../../util/signals.js';

/** `sleep:` — wait on the host; a crash during the sleep interrupts it. */
export const sleepStep: StepImpl<SleepStep> = async (ctx, step) => {
  await sleep(step.ms, ctx.signal);
  return ctx.signal.aborted ? { status: 'interrupted' } : { status: 'ok' };
};
