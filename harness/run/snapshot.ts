// Boot once, run many: which attempts may start from a snapshot of the booted
// guest (the rule below), what the snapshot depends on, and what a restored
// guest needs before its first step (a new SSH session, the host's clock,
// fresh entropy). The QEMU side — saving and loading the state — is vm/snapshot.ts.
import { randomBytes } from 'node:crypto';
import type { Guest } from '../guest/ssh.js';
import type { Scenario } from '../scenario/types.js';
import type { SnapshotInputs } from '../vm/snapshot.js';
import type { KernelEntry } from '../artifacts/kernel/pvh.js';
import { kernelCmdline } from './boot.js';

/**
 * Why a scenario's attempts must all boot (undefined: they may restore).
 * The rule: a snapshot replays the boot's outcome, so a scenario whose verdict
 * may come from the boot itself always boots —
 * - `snapshot: false` (seed 004's module load, any bug in the boot);
 * - `expect.crashes` lists crashes: an expected report may be the boot's own,
 *   and a reproduction rate must count real boots;
 * - the first step is a `wait: { console }`: it reads lines printed since
 *   boot, which a restored guest never prints again.
 */
export function snapshotOptOut(sc: Scenario): string | undefined {
  if (!sc.snapshot) return 'snapshot: false';
  if (sc.expect.crashes !== 'none') return 'expect.crashes lists crashes (one may come from the boot itself)';
  const first = sc.steps[0];
  if (first?.kind === 'wait' && first.on === 'console') return 'the first step waits for a console line (it may be a boot message)';
  return undefined;
}

/** The snapshot inputs of a scenario on resolved artifacts (pure). */
export function snapshotInputs(
  sc: Scenario,
  a: { kernelHash: string; imageHash: string; entry: KernelEntry; accel: 'kvm' | 'tcg'; qemuVersion: string },
): SnapshotInputs {
  return {
    kernelHash: a.kernelHash, kernelEntry: a.entry, imageHash: a.imageHash, accel: a.accel, qemuVersion: a.qemuVersion,
    cmdline: kernelCmdline(sc), cpus: sc.machine.cpus, memoryMiB: sc.machine.memoryMiB,
    disks: sc.disks.map((d) => ({ id: d.id, bus: d.bus, serial: d.serial, sizeBytes: d.sizeBytes })),
  };
}

/**
 * A restored guest's clock stands where the snapshot was taken: set it from
 * the host. Its RNG state is the snapshot's too: the kernel reseeds on the
 * new VM generation ID (vmgenid), and fresh host bytes are mixed in as well
 * (kernels without CONFIG_VMGENID).
 */
export async function freshenGuest(guest: Guest, signal?: AbortSignal): Promise<void> {
  const seed = randomBytes(64).toString('base64');
  // The SSH session that was open when the snapshot was saved is dead: end its
  // dropbear (all but the listener and this session's own).
  const stale = 'for p in $(pidof dropbear); do [ "$p" = "$PPID" ] || [ "$p" = "$(cat /run/dropbear.pid)" ] || kill "$p"; done';
  const r = await guest.exec(`date -u -s @${Math.round(Date.now() / 1000)} >/dev/null && cat >/dev/urandom && ${stale}`, {
    stdin: seed, timeoutMs: 60_000, signal,
  });
  if (r.code !== 0) {
    const why = r.lost ? 'SSH lost' : r.refused ? `refused: ${r.refused}` : r.timedOut ? 'timed out' : r.aborted ? 'aborted' : `exit ${r.code ?? r.signal}`;
    throw new Error(`could not set the restored guest's clock and entropy (${why}) ${r.stderr.trim()}`.trim());
  }
}
