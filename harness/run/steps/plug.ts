// `unplug:` / `plug:` — hot-remove a USB disk and put it back, as a user pulling a stick would.
import type { PlugStep } from '../../scenario/types.js';
import { usbDeviceProps } from '../../vm/argv.js';
import type { StepImpl } from '../context.js';
import { reapplyAfterPlug } from '../faults.js';

const DELETE_TIMEOUT = 30_000;

export const plugStep: StepImpl<PlugStep> = async (ctx, step) => {
  const disk = ctx.disks.get(step.disk);
  if (!disk) return { status: 'failed', message: `no disk ${step.disk}` };
  const qmp = ctx.machine.qmp;
  if (step.kind === 'unplug') {
    // usb-storage emits DEVICE_DELETED for its SCSI child first (no `device`), then for itself.
    const gone = qmp.waitEvent('DEVICE_DELETED', (e) => e.data?.device === disk.id, DELETE_TIMEOUT);
    await qmp.execute('device_del', { id: disk.id });
    await gone;
    ctx.rec.event('unplugged', { disk: disk.id });
  } else {
    await qmp.execute('device_add', usbDeviceProps(disk));
    ctx.rec.event('plugged', { disk: disk.id });
    await reapplyAfterPlug(ctx, disk);
  }
  return { status: 'ok' };
};
