// QMP arguments for injecting faults into a running VM. Pure, so the exact
// shapes are unit-tested; harness/run/faults.ts sends them.
//
// I/O errors: blkdebug rules are fixed when its node is created, so a fault is
// a fresh blkdebug node over the disk's file node, swapped in under the
// disk's format node with blockdev-reopen (and swapped out the same way). The
// guest device never notices; idle disks carry no extra node.

import type { ThrottleLimits } from '../scenario/types.js';
import { scsiChildQomPath, type VmDisk } from './argv.js';

export type IoErrorType = 'read' | 'write' | 'all';

/** Block I/O limits: the same shape the scenario resolves (block_set_io_throttle's terms). */
export type Throttle = ThrottleLimits;

/** The disk's protocol (file) node, as argv.ts names it. */
export const fileNodeName = (diskId: string): string => `${diskId}-file`;

// blkdebug arms its inject-error rules on events the format driver raises per
// request (raw: read_aio / write_aio) and then matches each request's type.
const EVENTS: Record<IoErrorType, string[]> = { read: ['read_aio'], write: ['write_aio'], all: ['read_aio', 'write_aio'] };
const IOTYPES: Record<IoErrorType, string[]> = {
  read: ['read'],
  write: ['write', 'write-zeroes'],
  all: ['read', 'write', 'write-zeroes', 'discard', 'flush'],
};

/**
 * blockdev-add arguments for a blkdebug node that fails `io` requests with
 * `errno`, after letting `after` of them through. Counting uses blkdebug
 * states: each matching event moves state i → i+1, and the error rules only
 * apply in state after+1 — exact, and nothing for the harness to poll.
 */
export function blkdebugNode(diskId: string, nodeName: string, io: IoErrorType, after: number, errno: number): Record<string, unknown> {
  const events = EVENTS[io];
  const state = after > 0 ? { state: after + 1 } : {};
  const injectError = events.flatMap((event) => IOTYPES[io].map((iotype) => ({ event, iotype, errno, ...state })));
  const setState: Array<Record<string, unknown>> = [];
  for (let i = 1; i <= after; i++) for (const event of events) setState.push({ event, state: i, new_state: i + 1 });
  return {
    driver: 'blkdebug', 'node-name': nodeName, image: fileNodeName(diskId),
    'inject-error': injectError, ...(setState.length ? { 'set-state': setState } : {}),
  };
}

/** blockdev-reopen arguments that point the disk's format node at `fileChild`. */
export function reopenFormatNode(disk: Pick<VmDisk, 'id' | 'format'>, fileChild: string): Record<string, unknown> {
  return { options: [{ driver: disk.format, 'node-name': disk.id, file: fileChild }] };
}

/**
 * The id block_set_io_throttle needs: the QOM path of the device that owns the
 * block backend. Not the disk id: usb-storage and virtio-blk-pci are wrappers
 * ("Device does not have a block device backend"); the backend sits on their
 * scsi-disk child and on the virtio-blk device inside the PCI proxy.
 */
export function throttleTarget(disk: Pick<VmDisk, 'id' | 'bus'>): string {
  return disk.bus === 'usb' ? scsiChildQomPath(disk.id) : `/machine/peripheral/${disk.id}/virtio-backend`;
}

export function throttleArgs(disk: Pick<VmDisk, 'id' | 'bus'>, limits: Throttle): Record<string, unknown> {
  return { id: throttleTarget(disk), ...limits };
}

export const NO_THROTTLE: Throttle = { bps: 0, bps_rd: 0, bps_wr: 0, iops: 0, iops_rd: 0, iops_wr: 0 };

/** The NIC's netdev id in argv.ts, the name set_link takes. */
export const NETDEV = 'net0';
