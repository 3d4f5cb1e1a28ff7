// Everything between a resolved scenario and a guest that answers SSH.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Scenario, DiskSpec } from '../scenario/types.js';
import type { VmDisk } from '../vm/argv.js';

/** Kernel command line krepro always passes (the scenario's `cmdline` is appended). */
export const DEFAULT_CMDLINE = [
  'console=ttyS0,115200',
  // Reboot at once on panic; with -no-reboot and pvpanic's panic=pause QEMU keeps the VM for evidence.
  'panic=-1',
  // KERN_INFO (6) must reach the console: a hung task's stack (sched_show_task), sysrq-w/t dumps and
  // some RCU stall detail are printed at that level; loglevel=6 left "INFO: task … blocked" without its stack.
  'loglevel=7',
  'printk.time=1',
  'net.ifnames=0',
  'random.trust_cpu=on',
];

/** The guest's by-id name for a disk (the init makes these links from serials). */
export function byIdName(d: Pick<DiskSpec, 'bus' | 'serial'>): string {
  return `${d.bus === 'usb' ? 'usb' : 'virtio'}-${d.serial}`;
}

/** krepro's defaults, the guest init's wait for every disk, then the scenario's own arguments. */
export function kernelCmdline(sc: Scenario): string {
  // Without the wait a slow USB disk could appear just after the readiness marker.
  const wait = sc.disks.length ? [`krepro.wait=${sc.disks.map(byIdName).join(',')}`] : [];
  return [...DEFAULT_CMDLINE, ...wait, ...sc.cmdline].join(' ');
}

/** Sparse raw disk files for one run, in the run's private directory. */
export async function createDisks(disks: DiskSpec[], dir: string): Promise<VmDisk[]> {
  const out: VmDisk[] = [];
  for (const d of disks) {
    const file = join(dir, `disk-${d.id}.raw`);
    const fh = await open(file, 'wx', 0o600);
    await fh.truncate(d.sizeBytes);
    await fh.close();
    out.push({ id: d.id, file, format: 'raw', bus: d.bus, serial: d.serial });
  }
  return out;
}

/** Console line the guest prints with its host key fingerprint. */
export const HOSTKEY_LINE = /krepro-hostkey: (SHA256:[A-Za-z0-9+/]+)/;
