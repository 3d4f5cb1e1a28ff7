import type { SleepStep } from '../../scenario/types.js';
import type { StepImpl } from '../context.js';

/** `sleep:` — wait on the host; a crash during the sleep interrupts it. */
export const sleepStep: StepImpl<SleepStep> = (ctx, step) =>
  new Promise((resolve) => {
    if (ctx.signal.aborted) return resolve({ status: 'interrupted' });
    const t = setTimeout(() => resolve({ status: 'ok' }), step.ms);
    ctx.signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve({ status: 'interrupted' });
    }, { once: true });
  });
