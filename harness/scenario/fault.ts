// `fault:` steps: turn the checked shape into one Fault, checking what the
// shape alone cannot — the disk exists, exactly one action per step, options
// that only make sense with io-error, and QEMU's own rules for throttle limits.

import { formatDuration } from './duration.js';
import type { Out } from './fields.js';
import type { Cx } from './problems.js';
import type { KnownDisks } from './resolve.js';
import type { faultSpec } from './spec.js';
import { didYouMean } from './suggest.js';
import type { Fault, Position, ThrottleLimits } from './types.js';

type DiskFault = Extract<Out<typeof faultSpec>, { tag: 'disk' }>['value'];
const ACTIONS = ['io-error', 'throttle', 'clear'] as const;
const EIO = 5;

function throttleLimits(t: NonNullable<DiskFault['throttle']>, cx: Cx): ThrottleLimits | undefined {
  const limits: ThrottleLimits = {
    bps: t.bps ?? 0, bps_rd: t['bps-read'] ?? 0, bps_wr: t['bps-write'] ?? 0,
    iops: t.iops ?? 0, iops_rd: t['iops-read'] ?? 0, iops_wr: t['iops-write'] ?? 0,
  };
  // QEMU refuses a total together with a per-direction limit; say so before booting.
  let ok = true;
  for (const [total, parts] of [['bps', ['bps-read', 'bps-write']], ['iops', ['iops-read', 'iops-write']]] as const) {
    const part = parts.find((p) => t[p] !== undefined);
    if (t[total] !== undefined && part) {
      cx.reportAt(t.$at[part], `throttle: '${part}' cannot be combined with '${total}' (QEMU takes a total or per-direction limits)`);
      ok = false;
    }
  }
  return ok ? limits : undefined;
}

function diskFault(v: DiskFault, disks: KnownDisks, cx: Cx): Fault | undefined {
  let ok = true;
  if (!disks.has(v.disk)) {
    const hint = didYouMean(v.disk, disks.keys()) || (disks.size ? `; disks: ${[...disks.keys()].join(', ')}` : '; no disks are defined');
    cx.reportAt(v.$at.disk, `fault: unknown disk '${v.disk}'${hint}`);
    ok = false;
  }
  const given = ACTIONS.filter((a) => (a === 'clear' ? v.clear === true : v[a] !== undefined));
  if (v.clear === false) {
    cx.reportAt(v.$at.clear, 'clear: false does nothing; leave it out');
    return undefined;
  }
  if (given.length === 0) {
    cx.reportAt(v.$pos, `fault on disk '${v.disk}' needs one of: ${ACTIONS.join(', ')}`);
    return undefined;
  }
  if (given.length > 1) {
    cx.reportAt((v.$at as Record<string, Position>)[given[1]!]!, `'${given[1]}' cannot be combined with '${given[0]}' in one fault step (use two steps)`);
    return undefined;
  }
  const action = given[0]!;
  for (const k of ['after', 'errno'] as const) {
    if (v[k] !== undefined && action !== 'io-error') {
      cx.reportAt(v.$at[k], `'${k}' only applies to io-error faults`);
      ok = false;
    }
  }
  if (v.for !== undefined && action === 'clear') {
    cx.reportAt(v.$at.for, "'for' cannot be combined with 'clear'");
    ok = false;
  }
  const forMs = v.for !== undefined ? { forMs: v.for } : {};
  if (action === 'io-error') {
    return ok ? { kind: 'io-error', disk: v.disk, io: v['io-error']!, after: v.after ?? 0, errno: v.errno ?? EIO, ...forMs } : undefined;
  }
  if (action === 'throttle') {
    const limits = throttleLimits(v.throttle!, cx);
    return ok && limits ? { kind: 'throttle', disk: v.disk, limits, ...forMs } : undefined;
  }
  return ok ? { kind: 'clear', disk: v.disk } : undefined;
}

/** The Fault a step describes, or undefined after reporting why not. */
export function resolveFault(f: Out<typeof faultSpec>, disks: KnownDisks, cx: Cx): Fault | undefined {
  switch (f.tag) {
    case 'disk': return diskFault(f.value, disks, cx);
    case 'machine': return { kind: 'pause', forMs: f.value.for };
    case 'link': return { kind: 'link-down', forMs: f.value.for };
  }
}

/** "tank io-error write after 100 for 5s", for step labels. */
export function describeFault(f: Fault): string {
  const dur = (ms?: number) => (ms !== undefined ? ` for ${formatDuration(ms)}` : '');
  switch (f.kind) {
    case 'io-error': return `${f.disk} io-error ${f.io}${f.after ? ` after ${f.after}` : ''}${f.errno !== EIO ? ` errno ${f.errno}` : ''}${dur(f.forMs)}`;
    case 'throttle': {
      const set = Object.entries(f.limits).filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`);
      return `${f.disk} throttle ${set.join(' ') || 'off'}${dur(f.forMs)}`;
    }
    case 'clear': return `${f.disk} clear`;
    case 'pause': return `machine pause${dur(f.forMs)}`;
    case 'link-down': return `link down${dur(f.forMs)}`;
  }
}
