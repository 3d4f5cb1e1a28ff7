// `fault:` — break something from QEMU's side: I/O errors or throttling on a
// disk (harness/run/faults.ts), the whole VM paused, the NIC's link down.
// Pause and link-down hold the step for their duration: the runner reaches the
// guest over SSH, which cannot work meanwhile, so no later step could run.
import type { FaultStep } from '../../scenario/types.js';
import { NETDEV } from '../../vm/faults.js';
import type { QmpEvent } from '../../vm/qmp.js';
import type { RunContext, StepImpl, StepOutcome } from '../context.js';
import { applyDiskFault } from '../faults.js';
import { sleep } from '../../util/signals.js';
import { errorMessage } from '../../util/errors.js';

const EVENT_TIMEOUT = 10_000;

const eventMs = (e: QmpEvent): number => (e.timestamp ? e.timestamp.seconds * 1000 + e.timestamp.microseconds / 1000 : Date.now());

async function pause(ctx: RunContext, step: FaultStep, forMs: number): Promise<StepOutcome> {
  const qmp = ctx.machine.qmp;
  const stopped = qmp.waitEvent('STOP', undefined, EVENT_TIMEOUT);
  await qmp.execute('stop');
  const stop = await stopped;
  ctx.rec.event('fault-start', { step: step.index, kind: 'pause', forMs });
  try {
    await sleep(forMs, ctx.signal);
  } finally {
    // Always resume, even when the run is ending: a paused VM cannot drain its console.
    const resumed = qmp.waitEvent('RESUME', undefined, EVENT_TIMEOUT);
    await qmp.execute('cont');
    const resume = await resumed;
    const pausedMs = Math.round(eventMs(resume) - eventMs(stop));
    ctx.rec.event('fault-end', { step: step.index, kind: 'pause', pausedMs });
  }
  if (ctx.signal.aborted) return { status: 'interrupted' };
  return { status: 'ok', message: `VM paused for ${(forMs / 1000).toFixed(1)}s` };
}

async function linkDown(ctx: RunContext, step: FaultStep, forMs: number): Promise<StepOutcome> {
  const qmp = ctx.machine.qmp;
  await qmp.execute('set_link', { name: NETDEV, up: false });
  ctx.rec.event('fault-start', { step: step.index, kind: 'link-down', forMs });
  try {
    await sleep(forMs, ctx.signal);
  } finally {
    await qmp.execute('set_link', { name: NETDEV, up: true });
    ctx.rec.event('fault-end', { step: step.index, kind: 'link-down' });
  }
  if (ctx.signal.aborted) return { status: 'interrupted' };
  return { status: 'ok', message: `link down for ${(forMs / 1000).toFixed(1)}s` };
}

export const faultStep: StepImpl<FaultStep> = async (ctx, step) => {
  const f = step.fault;
  try {
    if (f.kind === 'pause') return await pause(ctx, step, f.forMs);
    if (f.kind === 'link-down') return await linkDown(ctx, step, f.forMs);
    const disk = ctx.disks.get(f.disk);
    if (!disk) return { status: 'failed', message: `no disk ${f.disk}` };
    return { status: 'ok', message: await applyDiskFault(ctx, disk, f, step.index) };
  } catch (e) {
    // QEMU refused: the harness could not inject what the scenario asked for.
    // QEMU refusing a fault is the harness failing, not the system under test: error/infra.
    return { status: 'error', message: `fault: ${errorMessage(e)}` };
  }
};
