// The faults active on each disk of a running VM, and the QMP sequences that
// add and remove them. Timed faults (`for:`) end on a timer while later steps
// run; `plug:` asks here to re-apply a throttle, which QEMU drops with the device.
import type { Fault, ThrottleLimits } from '../scenario/types.js';
import type { VmDisk } from '../vm/argv.js';
import { blkdebugNode, fileNodeName, NO_THROTTLE, reopenFormatNode, throttleArgs } from '../vm/faults.js';
import type { Machine } from '../vm/machine.js';
import type { RunContext } from './context.js';
import { errorMessage } from '../util/errors.js';

interface Active {
  /** blkdebug node currently under the format node. */
  ioError?: { node: string; timer?: NodeJS.Timeout };
  throttle?: { limits: ThrottleLimits; timer?: NodeJS.Timeout };
}

interface MachineFaults {
  disks: Map<string, Active>;
  /** Serialises QMP sequences: a timer's removal must not interleave with a step's. */
  chain: Promise<unknown>;
  seq: number;
}

// Keyed by machine: the runner copies RunContext per step, the machine stays.
const registry = new WeakMap<Machine, MachineFaults>();

function faultsOf(ctx: RunContext): MachineFaults {
  let f = registry.get(ctx.machine);
  if (!f) registry.set(ctx.machine, (f = { disks: new Map(), chain: Promise.resolve(), seq: 0 }));
  return f;
}

function serial<T>(f: MachineFaults, fn: () => Promise<T>): Promise<T> {
  const run = f.chain.then(fn, fn);
  f.chain = run.catch(() => {});
  return run;
}

function activeOf(f: MachineFaults, disk: string): Active {
  let a = f.disks.get(disk);
  if (!a) f.disks.set(disk, (a = {}));
  return a;
}

async function removeIoError(ctx: RunContext, disk: VmDisk, a: Active, why: string): Promise<void> {
  if (!a.ioError) return;
  const { node, timer } = a.ioError;
  clearTimeout(timer);
  a.ioError = undefined;
  const qmp = ctx.machine.qmp;
  await qmp.execute('blockdev-reopen', reopenFormatNode(disk, fileNodeName(disk.id)));
  await qmp.execute('blockdev-del', { 'node-name': node });
  ctx.rec.event('fault-end', { kind: 'io-error', disk: disk.id, why });
}

async function removeThrottle(ctx: RunContext, disk: VmDisk, a: Active, why: string): Promise<void> {
  if (!a.throttle) return;
  clearTimeout(a.throttle.timer);
  a.throttle = undefined;
  await ctx.machine.qmp.execute('block_set_io_throttle', throttleArgs(disk, NO_THROTTLE));
  ctx.rec.event('fault-end', { kind: 'throttle', disk: disk.id, why });
}

/** End a timed fault later, off the step's path; failures are recorded, never thrown. */
function endLater(ctx: RunContext, f: MachineFaults, ms: number, end: () => Promise<void>): NodeJS.Timeout {
  const t = setTimeout(() => {
    if (ctx.machine.exited || ctx.machine.qmp.closed) return;
    serial(f, end).catch((e: unknown) => ctx.rec.event('fault-end-failed', { error: errorMessage(e) }));
  }, ms);
  // A fault outliving the run must not keep krepro alive after QEMU is gone.
  t.unref();
  return t;
}

/** Apply a disk fault (io-error, throttle, clear). */
export function applyDiskFault(ctx: RunContext, disk: VmDisk, fault: Extract<Fault, { disk: string }>, step: number): Promise<string> {
  const f = faultsOf(ctx);
  return serial(f, async () => {
    const a = activeOf(f, disk.id);
    const qmp = ctx.machine.qmp;
    if (fault.kind === 'clear') {
      const had = [a.ioError && 'io-error', a.throttle && 'throttle'].filter(Boolean);
      await removeIoError(ctx, disk, a, `cleared by step ${step}`);
      await removeThrottle(ctx, disk, a, `cleared by step ${step}`);
      return had.length ? `removed ${had.join(' and ')}` : 'nothing to clear';
    }
    if (fault.kind === 'throttle') {
      clearTimeout(a.throttle?.timer);
      await qmp.execute('block_set_io_throttle', throttleArgs(disk, fault.limits));
      a.throttle = { limits: fault.limits };
      if (fault.forMs !== undefined) {
        a.throttle.timer = endLater(ctx, f, fault.forMs, () => removeThrottle(ctx, disk, a, `for ${fault.forMs}ms elapsed`));
      }
      ctx.rec.event('fault-start', { step, kind: 'throttle', disk: disk.id, limits: fault.limits, forMs: fault.forMs });
      return 'throttled';
    }
    // A new io-error replaces the old one: its rules and its count start afresh.
    await removeIoError(ctx, disk, a, `replaced by step ${step}`);
    const node = `${disk.id}-err${++f.seq}`;
    await qmp.execute('blockdev-add', blkdebugNode(disk.id, node, fault.io, fault.after, fault.errno));
    try {
      await qmp.execute('blockdev-reopen', reopenFormatNode(disk, node));
    } catch (e) {
      await qmp.execute('blockdev-del', { 'node-name': node }).catch(() => {});
      throw e;
    }
    a.ioError = { node };
    if (fault.forMs !== undefined) {
      a.ioError.timer = endLater(ctx, f, fault.forMs, () => removeIoError(ctx, disk, a, `for ${fault.forMs}ms elapsed`));
    }
    ctx.rec.event('fault-start', { step, kind: 'io-error', disk: disk.id, io: fault.io, after: fault.after, errno: fault.errno, node, forMs: fault.forMs });
    return `${fault.io} requests fail with errno ${fault.errno}${fault.after ? ` after ${fault.after}` : ''}`;
  });
}

/** After device_add: QEMU forgot the throttle with the old device; put it back. I/O errors live below and stay. */
export async function reapplyAfterPlug(ctx: RunContext, disk: VmDisk): Promise<void> {
  const f = registry.get(ctx.machine);
  const a = f?.disks.get(disk.id);
  if (!f || !a?.throttle) return;
  const limits = a.throttle.limits;
  await serial(f, () => ctx.machine.qmp.execute('block_set_io_throttle', throttleArgs(disk, limits)));
  ctx.rec.event('fault-reapplied', { kind: 'throttle', disk: disk.id, limits });
}
