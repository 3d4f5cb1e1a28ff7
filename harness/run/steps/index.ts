// Step kind → implementation. Adding a step kind means adding a row here and a file beside it.
import type { Step } from '../../scenario/types.js';
import type { RunContext, StepOutcome } from '../context.js';
import { faultStep } from './fault.js';
import { parallelStep } from './parallel.js';
import { plugStep } from './plug.js';
import { qmpStep } from './qmp.js';
import { runStep } from './run.js';
import { sleepStep } from './sleep.js';
import { waitStep } from './wait.js';
import { unreachable } from '../../util/unreachable.js';

/** Execute one step of any kind. */
export function executeStep(ctx: RunContext, step: Step, consoleFrom: number): Promise<StepOutcome> {
  switch (step.kind) {
    case 'run': return runStep(ctx, step, consoleFrom);
    case 'wait': return waitStep(ctx, step, consoleFrom);
    case 'sleep': return sleepStep(ctx, step, consoleFrom);
    case 'unplug':
    case 'plug': return plugStep(ctx, step, consoleFrom);
    case 'qmp': return qmpStep(ctx, step, consoleFrom);
    case 'fault': return faultStep(ctx, step, consoleFrom);
    case 'parallel': return parallelStep(ctx, step, consoleFrom);
    default: return unreachable(step, 'step kind');
  }
}
