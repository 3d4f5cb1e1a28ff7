import type { QmpStep } from '../../scenario/types.js';
import type { StepImpl } from '../context.js';
import { errorMessage } from '../../util/errors.js';

/** `qmp:` — a raw QMP command; its reply goes to the step's output file. */
export const qmpStep: StepImpl<QmpStep> = async (ctx, step) => {
  const { path, stream } = ctx.rec.output(step.index, 'qmp');
  try {
    const reply = await ctx.machine.qmp.execute(step.execute, step.arguments);
    stream.end(`${JSON.stringify(reply, null, 2)}\n`);
    return { status: 'ok', output: path };
  } catch (e) {
    stream.end(`${errorMessage(e)}\n`);
    return { status: 'error', output: path, message: `QMP ${step.execute}: ${errorMessage(e)}` };
  }
};
