// VM slots: how many cells run at once. The default comes from the host's
// cores and memory and the cells' own machine sizes; whatever --jobs says,
// a cell starts only when its guest fits in the host memory left (one cell
// may always run, so a big guest is slow, never stuck).
import type { Cell } from './types.js';

/** What QEMU needs beyond the guest's RAM (its own heap, TCG's translation cache). */
export const QEMU_OVERHEAD_MIB = 256;
/** Host memory never handed to guests (krepro, builds, the page cache). */
export const HOST_RESERVE_MIB = 512;

export interface HostSize {
  cores: number;
  totalMiB: number;
  freeMiB: number;
}

export function needMiB(cell: Cell): number {
  return cell.scenario.machine.memoryMiB + QEMU_OVERHEAD_MIB;
}

/** Memory the cells may use together: what is free now, less a reserve. */
export function memoryBudgetMiB(host: HostSize): number {
  return Math.max(0, Math.min(host.freeMiB, host.totalMiB) - HOST_RESERVE_MIB);
}

/** --jobs default: as many VMs as the cores hold the largest cell's vCPUs, and the memory budget holds the largest guest. */
export function defaultJobs(cells: Cell[], host: HostSize): number {
  if (cells.length === 0) return 1;
  const cpus = Math.max(...cells.map((c) => c.scenario.machine.cpus));
  const mem = Math.max(...cells.map(needMiB));
  return Math.max(1, Math.min(Math.floor(host.cores / cpus), Math.floor(memoryBudgetMiB(host) / mem), cells.length));
}

/**
 * Run fn on every item, at most `jobs` at once and within `budgetMiB`, starting them in order.
 * Returns when all have finished (a rejection is rethrown only then); `stop()` true starts no more.
 */
export async function runSlots<T>(
  items: T[], opts: { jobs: number; budgetMiB: number; need: (t: T) => number; stop?: () => boolean },
  fn: (t: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let used = 0;
  const running = new Set<Promise<void>>();
  const errors: unknown[] = [];
  while (next < items.length && !opts.stop?.()) {
    const item = items[next]!;
    const need = opts.need(item);
    if (running.size >= opts.jobs || (running.size > 0 && used + need > opts.budgetMiB)) {
      await Promise.race(running);
      continue;
    }
    next++;
    used += need;
    const p: Promise<void> = fn(item).catch((e: unknown) => void errors.push(e)).finally(() => {
      used -= need;
      running.delete(p);
    });
    running.add(p);
  }
  await Promise.all(running);
  if (errors.length) throw errors[0];
}
