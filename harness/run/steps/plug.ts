// `unplug:` / `plug:` — hot-remove a USB disk and put it back, as a user pulling a stick would.
import type { PlugStep } from '../../scenario/types.js';
import type { StepImpl } from '../context.js';
import { reapplyAfterPlug } from '../faults.js';

const DELETE_TIMEOUT = 30_000;

export const plugStep: StepImpl<PlugStep> = async (ctx, step) => {
  const disk = ctx.disks.get(step.disk);
  if (!disk) return { status: 'failed', message: `no disk ${step.disk}` };
  if (step.kind === 'unplug') {
    // The Machine waits for the DEVICE_DELETED of the device itself, not of its SCSI child.
    await ctx.machine.unplug(disk.id, DELETE_TIMEOUT);
    ctx.rec.event('unplugged', { disk: disk.id });
  } else {
    await ctx.machine.plug(disk.id);
    ctx.rec.event('plugged', { disk: disk.id });
    await reapplyAfterPlug(ctx, disk);
  }
  return { status: 'ok' };
};
