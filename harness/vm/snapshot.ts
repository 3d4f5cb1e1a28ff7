// Snapshots of a booted guest, with QEMU's own migration machinery: a guest
// that is ready is stopped, migrated into a file (`migrate exec:cat > FILE`;
// QEMU 7.2 has no `file:` URI) and continued; a later QEMU, started with the
// identical argv plus `-incoming defer`, loads that stream (`migrate-incoming
// exec:cat FILE`) and continues where the first one stood.
// Entry invariant (artifacts/store/cache.ts): snapshot/KEY is absent or
// complete — the stream is written inside the entry's temp dir and renamed
// into place with it. An entry that cannot be read or loaded is discarded and
// the attempt boots instead; it is never a failed run.
import { randomBytes } from 'node:crypto';
import { chmod, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { cached, hashOf } from '../artifacts/store/cache.js';
import { cacheRoot } from '../artifacts/store/root.js';
import { errorMessage } from '../util/errors.js';
import { sleep } from '../util/signals.js';
import { parseSize } from '../scenario/duration.js';
import type { VmDisk } from './argv.js';
import type { Machine } from './machine.js';

/** Bump when the entry layout or what a snapshot holds changes: older entries are then simply never found. */
const FORMAT = 1;
const KIND = 'snapshot';

/** Everything the saved state depends on: change any one and the key changes. */
export interface SnapshotInputs {
  kernelHash: string;
  /** PVH or bzImage: QEMU's option ROMs and memory layout differ, so a stream is only loaded by the same entry. */
  kernelEntry: 'pvh' | 'bzimage';
  imageHash: string;
  /** The exact kernel command line (scenario cmdline and disk waits included). */
  cmdline: string;
  cpus: number;
  memoryMiB: number;
  accel: 'kvm' | 'tcg';
  /** First line of `qemu -version`: a stream is never loaded by another QEMU. */
  qemuVersion: string;
  /** Ids, buses, serials and sizes: the restored QEMU must have the very same devices. */
  disks: Array<Pick<VmDisk, 'id' | 'bus' | 'serial' | 'removable'> & { sizeBytes: number }>;
}

/** The cache key of a snapshot (pure). Under KVM, `-cpu host` makes the host CPU model an input too. */
export function snapshotKey(i: SnapshotInputs, hostCpu = i.accel === 'kvm' ? cpus()[0]?.model ?? '' : ''): string {
  return hashOf(['snapshot', FORMAT, i, hostCpu]);
}

/** What an entry holds besides the stream (meta.json). */
export interface SnapshotMeta {
  format: number;
  key: string;
  inputs: SnapshotInputs;
  /** The guest's pinned SSH host key, and the client key its authorized_keys holds (client.key, 0600). */
  hostFingerprint: string;
  createdAt: string;
  /** Where the attempt that booted and saved it wrote its results. */
  bootedIn: string;
  bootToReadyMs?: number;
  stateBytes: number;
}

/** A snapshot found in the cache, ready to load. */
export interface Snapshot {
  key: string;
  dir: string;
  meta: SnapshotMeta;
  /** The client private key the snapshot's guest accepts. */
  clientKey: string;
  /** The migration stream. */
  state: string;
  /** The console of the boot that was saved (evidence for restored attempts). */
  bootConsole: string;
}

/** Why an entry exists but cannot be used. */
export class SnapshotUnusable extends Error {}

/**
 * The snapshot for `key`: undefined when there is none, a SnapshotUnusable
 * when the entry is there but unreadable (it has been discarded).
 */
export async function findSnapshot(key: string): Promise<Snapshot | SnapshotUnusable | undefined> {
  const dir = join(cacheRoot(), KIND, key);
  if (!(await stat(dir).catch(() => undefined))) return undefined;
  try {
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as SnapshotMeta;
    if (meta.format !== FORMAT || meta.key !== key) throw new Error(`meta.json is for ${meta.key} (format ${meta.format})`);
    const state = join(dir, 'state');
    const size = (await stat(state)).size;
    if (size !== meta.stateBytes) throw new Error(`state is ${size} bytes, meta.json says ${meta.stateBytes}`);
    const clientKey = await readFile(join(dir, 'client.key'), 'utf8');
    // meta.json's mtime is the entry's last use: eviction (pruneSnapshots) goes by it.
    const now = new Date();
    await utimes(join(dir, 'meta.json'), now, now).catch(() => {});
    return { key, dir, meta, clientKey, state, bootConsole: join(dir, 'console.log') };
  } catch (e) {
    await discardSnapshot(key);
    return new SnapshotUnusable(`snapshot ${key.slice(0, 12)} unreadable: ${errorMessage(e)}`);
  }
}

/** Remove an entry (renamed aside first, so no reader ever sees half of it; a QEMU still reading keeps its open file). */
export async function discardSnapshot(key: string): Promise<void> {
  const dir = join(cacheRoot(), KIND, key);
  // The name the cache's sweep recognises as a temp dir of a dead process, should rm fail.
  const aside = join(cacheRoot(), KIND, `.tmp-${key}-discarded-0-${randomBytes(4).toString('hex')}`);
  if (await rename(dir, aside).then(() => true, () => false)) await rm(aside, { recursive: true, force: true }).catch(() => {});
}

/** The snapshot store's size limit: $KREPRO_SNAPSHOT_MAX (e.g. 8G, 0 = keep none but the newest), default 4 GiB. */
export function snapshotBudget(env = process.env.KREPRO_SNAPSHOT_MAX): number {
  if (env === undefined || env === '') return 4 * 1024 ** 3;
  try {
    return parseSize(env);
  } catch {
    throw new Error(`KREPRO_SNAPSHOT_MAX=${env}: not a size (e.g. 4G, 500M)`);
  }
}

/**
 * Keep the snapshot store under `maxBytes`: discard the least recently used
 * entries (by meta.json's mtime, touched on every restore) until it fits —
 * never `keep`, the one just saved. Bisection saves one snapshot per point and
 * uses it only for that point's runs; without this they piled up (21 entries,
 * 2.5 GB in one bisection). Returns the evicted keys and the bytes freed.
 */
export async function pruneSnapshots(keep: string, maxBytes = snapshotBudget()): Promise<{ evicted: string[]; freedBytes: number }> {
  const root = join(cacheRoot(), KIND);
  const entries: { key: string; bytes: number; used: number }[] = [];
  for (const key of await readdir(root).catch(() => [] as string[])) {
    if (key.startsWith('.') || !/^[0-9a-f]{64}$/.test(key)) continue;
    const used = (await stat(join(root, key, 'meta.json')).catch(() => undefined))?.mtimeMs ?? 0; // unreadable: oldest
    const bytes = (await stat(join(root, key, 'state')).catch(() => undefined))?.size ?? 0;
    entries.push({ key, bytes, used });
  }
  let total = entries.reduce((n, e) => n + e.bytes, 0);
  const evicted: string[] = [];
  let freedBytes = 0;
  for (const e of entries.sort((a, b) => a.used - b.used)) {
    if (total <= maxBytes) break;
    if (e.key === keep) continue;
    await discardSnapshot(e.key);
    total -= e.bytes;
    freedBytes += e.bytes;
    evicted.push(e.key);
  }
  return { evicted, freedBytes };
}

export interface SaveInputs {
  key: string;
  inputs: SnapshotInputs;
  hostFingerprint: string;
  clientKey: string;
  bootConsole: string;
  bootedIn: string;
  bootToReadyMs?: number;
  timeoutMs?: number;
}

/**
 * Save the machine's state as snapshot `key` (unless another process saved it
 * meanwhile), then let the guest run on. Returns the entry's directory.
 */
export function saveSnapshot(machine: Machine, s: SaveInputs): Promise<string> {
  return cached(KIND, s.key, async (tmp) => {
    await chmod(tmp, 0o700); // the client key and the guest's RAM (its host key) are in here
    await writeFile(join(tmp, 'client.key'), s.clientKey, { mode: 0o600 });
    await writeFile(join(tmp, 'console.log'), s.bootConsole, { mode: 0o600 });
    const state = join(tmp, 'state');
    await migrateOut(machine, state, s.timeoutMs ?? 120_000);
    await chmod(state, 0o600);
    const meta: SnapshotMeta = {
      format: FORMAT, key: s.key, inputs: s.inputs, hostFingerprint: s.hostFingerprint,
      createdAt: new Date().toISOString(), bootedIn: s.bootedIn, bootToReadyMs: s.bootToReadyMs,
      stateBytes: (await stat(state)).size,
    };
    await writeFile(join(tmp, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600 });
  });
}

/** Single-quote a path for the /bin/sh QEMU runs an `exec:` migration URI with. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/** Stop the guest, stream its whole state into `file`, and continue it — whatever happens in between. */
async function migrateOut(machine: Machine, file: string, timeoutMs: number): Promise<void> {
  const qmp = machine.qmp;
  await qmp.execute('stop');
  try {
    // The default limit (32 MiB/s) would make a 1 GiB guest's save take seconds;
    // with the guest stopped the whole state goes in one pass anyway.
    await qmp.execute('migrate-set-parameters', { 'max-bandwidth': 64 * 1024 ** 3 });
    await qmp.execute('migrate', { uri: `exec:cat > ${shellQuote(file)}` });
    await migrationDone(machine, timeoutMs, 'save');
  } finally {
    // After a completed migration the source sits in `postmigrate` with its disks
    // handed over; `cont` takes them back and runs the guest on.
    if (!machine.exited) await qmp.execute('cont');
  }
}

/** Load a snapshot into a machine started with `incoming: 'defer'`, then run it (`loaded` runs in between, the guest still paused). */
export async function restoreInto(machine: Machine, snap: Snapshot, timeoutMs = 120_000, loaded?: () => void): Promise<void> {
  await machine.qmp.execute('migrate-incoming', { uri: `exec:cat ${shellQuote(snap.state)}` });
  await migrationDone(machine, timeoutMs, 'restore');
  loaded?.();
  // The saving guest was stopped, so the loaded one waits paused until told.
  await machine.qmp.execute('cont');
}

/** Poll query-migrate until the migration completes; throws with QEMU's reason when it fails or QEMU exits. */
async function migrationDone(machine: Machine, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (machine.exited) throw new Error(`QEMU exited during the ${what}: ${lastLine(machine.stderrTail())}`);
    let status: { status?: string; 'error-desc'?: string };
    try {
      status = await machine.qmp.execute('query-migrate');
    } catch (e) {
      // A failed incoming migration makes QEMU exit; its QMP goes first.
      await sleep(100);
      if (machine.exited) continue;
      throw e;
    }
    if (status.status === 'completed') return;
    if (status.status === 'failed' || status.status === 'cancelled') {
      throw new Error(`${what} ${status.status}: ${status['error-desc'] ?? lastLine(machine.stderrTail())}`);
    }
    if (Date.now() > until) throw new Error(`${what} did not complete in ${timeoutMs / 1000}s (status ${status.status})`);
    await sleep(20);
  }
}

function lastLine(s: string): string {
  return s.trim().split('\n').at(-1) ?? '';
}
