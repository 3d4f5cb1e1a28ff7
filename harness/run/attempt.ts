// One attempt of one scenario: artifacts → boot → steps → verdict, with every
// piece of evidence written to the attempt's directory. QEMU is always stopped.
import { join } from 'node:path';
import type { BootKernel } from '../artifacts/kernel/pvh.js';
import type { ImageArtifact } from '../artifacts/image/image.js';
import { readLockFor, type LockedPackage } from '../artifacts/store/lock.js';
import { buildRows, packageRows, resolveArtifacts, type ScenarioArtifacts } from './artifacts.js';
import { Guest } from '../guest/ssh.js';
import { writeJsonAtomic } from '../results/atomic.js';
import type { ScenarioResult, Crash } from '../results/types.js';
import type { Scenario } from '../scenario/types.js';
import { interrupted } from '../util/interrupt.js';
import { BootError, errorMessage, InfraError, KreproError, reasonOf } from '../util/errors.js';
import { deadline } from '../util/signals.js';
import { task, type Task } from '../util/progress.js';
import { qemuVersion, resolveAccel } from '../vm/accel.js';
import { startMachine, type Machine } from '../vm/machine.js';
import { discardSnapshot, findSnapshot, pruneSnapshots, restoreInto, saveSnapshot, snapshotKey, SnapshotUnusable, type Snapshot, type SnapshotInputs } from '../vm/snapshot.js';
import { readFile } from 'node:fs/promises';
import { ConsoleWatch } from './console-watch.js';
import { HOSTKEY_LINE, kernelCmdline } from './boot.js';
import { makeSecrets, type Secrets } from './secrets.js';
import type { Job, RunContext } from './context.js';
import { hostInfo } from '../host/info.js';
import { Recorder } from './recorder.js';
import { Phases } from './phases.js';
import { runSteps } from './step-loop.js';
import { decide, type Outcome } from './verdict.js';
import { freshenGuest, snapshotInputs, snapshotOptOut } from './snapshot.js';

export const QEMU = process.env.KREPRO_QEMU ?? 'qemu-system-x86_64';

/** Run one attempt and write its result.json; never throws for failures of the system under test. */
export async function runAttempt(sc: Scenario, dir: string, attempt: number): Promise<ScenarioResult> {
  const rec = new Recorder(dir);
  await rec.init();
  const startedAt = new Date();
  const timings: Record<string, number> = {};
  const result: ScenarioResult = {
    scenario: sc.name, file: sc.file, attempt, verdict: 'error', message: '', crashes: [], steps: rec.steps,
    timings, artifacts: {}, host: await hostInfo(QEMU), timeline: rec.timeline,
    startedAt: startedAt.toISOString(), finishedAt: '',
  };
  const outcome: Outcome = { crashes: [], steps: rec.steps };
  await execute(sc, rec, result, outcome);
  if (interrupted.aborted) outcome.harnessError = { reason: 'infra', message: errorMessage(interrupted.reason) };
  result.crashes = outcome.crashes as Crash[];
  Object.assign(result, decide(outcome, sc.expect));
  timings.totalMs = Date.now() - startedAt.getTime();
  result.finishedAt = new Date().toISOString();
  await writeJsonAtomic(join(dir, 'result.json'), result);
  return result;
}

async function prepare(sc: Scenario, result: ScenarioResult): Promise<ScenarioArtifacts> {
  const t = Date.now();
  // The CLI validated the lock before the run; one spoilt since is the host's problem, not the guest's.
  const lock = await readLockFor(sc.file).catch((e: unknown) => { throw new InfraError(errorMessage(e), { cause: e }); });
  if (lock) result.artifacts.lock = { identity: lock.path, hash: lock.sha256, path: lock.path };
  const used = new Map<string, LockedPackage>();
  try {
    const { kernel, image, boot } = await resolveArtifacts(sc, lock, used);
    result.artifacts.kernel = { identity: kernel.identity, hash: kernel.hash, path: kernel.bzImage };
    result.kernelEntry = { entry: boot.entry, path: boot.path, ...(boot.why ? { why: boot.why } : {}) };
    result.artifacts.image = { identity: image.name, hash: image.hash, path: image.initrd };
    Object.assign(result.artifacts, buildRows(image));
    result.timings.artifactsMs = Date.now() - t;
    return { kernel, image, boot };
  } finally {
    Object.assign(result.artifacts, packageRows(used));
  }
}

/** What the attempt's phases share: the crash trigger and whether QEMU is being stopped on purpose. */
interface AttemptState {
  /** Aborted on the first crash or when QEMU goes away: ends the boot wait and the steps. */
  stop: AbortController;
  crashSeen: boolean;
  stopping: boolean;
  /** Crash reports seen so far, tolerated ones included (a boot that printed one is not saved). */
  reports: number;
}

/** What the attempt knows about snapshots before it starts a VM. */
interface SnapshotPlan {
  key: string;
  inputs: SnapshotInputs;
  /** Set: the scenario's rule says boot, and save nothing. */
  optOut?: string;
  /** A usable snapshot to restore. */
  found?: Snapshot;
}

/** Decide between restoring and booting (+ saving); result.boot says which, and why. */
async function planSnapshot(sc: Scenario, a: ScenarioArtifacts, accel: 'kvm' | 'tcg', result: ScenarioResult, rec: Recorder): Promise<SnapshotPlan> {
  const inputs = snapshotInputs(sc, { kernelHash: a.kernel.hash, imageHash: a.image.hash, entry: a.boot.entry, accel, qemuVersion: await qemuVersion(QEMU) });
  const key = snapshotKey(inputs);
  const optOut = snapshotOptOut(sc);
  result.boot = { mode: 'booted', snapshot: key };
  if (optOut) {
    result.boot = { mode: 'booted', optOut };
    return { key, inputs, optOut };
  }
  const found = await findSnapshot(key);
  if (found instanceof SnapshotUnusable) {
    result.boot.fallback = found.message;
    rec.event('snapshot-fallback', found.message);
    return { key, inputs };
  }
  return { key, inputs, found };
}

/**
 * The attempt as ordered phases, each with its cleanup beside it:
 * artifacts → secrets → console → machine → guest → steps. Whatever fails, the
 * teardowns run last-first (SSH closed, QEMU stopped after the console settles,
 * crashes collected, secrets removed). A failure's verdict reason comes from
 * its type (util/errors.ts); a crash seen meanwhile outranks it.
 */
async function execute(sc: Scenario, rec: Recorder, result: ScenarioResult, outcome: Outcome): Promise<void> {
  const phases = new Phases(rec, interrupted);
  const st: AttemptState = { stop: new AbortController(), crashSeen: false, stopping: false, reports: 0 };
  // Ctrl-C stops waits on the guest too, not only the QEMU the reaper stops.
  const onInterrupt = (): void => st.stop.abort(interrupted.reason);
  interrupted.addEventListener('abort', onInterrupt, { once: true });
  try {
    const artifacts = await phases.run('artifacts', () => prepare(sc, result));
    const { kernel, image, boot } = artifacts;
    const accel = await resolveAccel(sc.machine.accel, QEMU);
    const plan = await planSnapshot(sc, artifacts, accel.accel, result, rec);
    const secrets = await phases.run('secrets', () => makeSecrets(sc, image), (s) => s.dir.cleanup().catch(() => {}));
    const watch = await phases.run('console', async () => watchConsole(sc, rec, st), async (w) => {
      outcome.crashes = w.crashes();
      await w.close();
    });
    const stopVm = async (m: Machine): Promise<void> => {
      if (st.crashSeen) await watch.settle();
      st.stopping = true;
      await m.stop();
      rec.event('qemu-stopped');
    };
    // A restore in place of machine + guest; a snapshot that will not load falls back to a boot.
    const restored = plan.found && await phases.run('restore', () => restoreVm(sc, rec, result, outcome, st, plan.found!, { boot, accel, secrets, watch }),
      async (vm) => {
        if (!vm) return;
        vm.guest.close();
        await stopVm(vm.machine);
      });
    let machine: Machine;
    let guest: Guest;
    if (restored) {
      ({ machine, guest } = restored);
    } else {
      const booting = task(`boot ${sc.name} (${kernel.release}, ${accel.accel})`);
      const t0 = Date.now();
      const fromLine = watch.lineCount;
      machine = await phases.run('machine', () => startVm(sc, rec, result, outcome, st, { boot, accel, secrets, watch, booting }), stopVm);
      guest = await phases.run('guest', () => bootGuest(sc, rec, result, st, { image, secrets, watch, machine, booting, t0, fromLine }), (g) => g.close());
      if (!plan.optOut) await phases.run('snapshot', () => saveBoot(rec, result, st, plan, { machine, secrets, watch, fromLine }));
    }
    guest.onRefused = (reason, attempt) => rec.event('exec-refused', { reason, attempt });
    const ctx: RunContext = {
      scenario: sc, machine, guest, console: watch, rec, jobs: new Map<string, Job>(),
      disks: new Map(secrets.disks.map((d) => [d.id, d])), signal: st.stop.signal,
    };
    await phases.run('steps', () => runSteps(ctx, outcome, result));
  } catch (e) {
    // A crash explains a failed boot better than the boot failure does.
    if (!st.crashSeen) outcome.harnessError ??= harnessError(e, rec);
  } finally {
    interrupted.removeEventListener('abort', onInterrupt);
    await phases.teardownAll();
  }
}

/** A failure of the harness as the verdict sees it: typed errors keep their reason; anything else is a harness bug. */
function harnessError(e: unknown, rec: Recorder): NonNullable<Outcome['harnessError']> {
  if (e instanceof KreproError) return { reason: e.reason, message: e.detail };
  // Still an honest verdict, never a crash of krepro.
  rec.event('harness-error', { stack: e instanceof Error ? e.stack : String(e) });
  return { reason: reasonOf(e), message: `harness error: ${errorMessage(e)}` };
}

function watchConsole(sc: Scenario, rec: Recorder, st: AttemptState): ConsoleWatch {
  const watch = new ConsoleWatch(join(rec.dir, 'console.log'));
  watch.onCrash((kind) => {
    st.reports++;
    // Tolerated kinds (e.g. I/O errors from a disk pulled on purpose) are recorded, not acted on.
    if (sc.expect.allow.some((e) => e.kind && new RegExp(e.kind).test(kind))) rec.event('allowed-report', kind);
    else crashed(st, rec, kind);
  });
  return watch;
}

function crashed(st: AttemptState, rec: Recorder, why: string): void {
  if (st.crashSeen) return;
  st.crashSeen = true;
  rec.event('crash-detected', why);
  st.stop.abort(new Error(`crash: ${why}`));
}

interface VmInputs {
  boot: BootKernel;
  accel: Awaited<ReturnType<typeof resolveAccel>>;
  secrets: Secrets;
  watch: ConsoleWatch;
  booting: Task;
  /** Start paused for a snapshot's stream (vm/snapshot.ts). */
  incoming?: 'defer';
  /** While true, QEMU going away is the caller's business (a restore that failed), not a lost VM. */
  quiet?: () => boolean;
}

/** Start QEMU with the console streamed to triage; a VM that goes away on its own ends the attempt. */
async function startVm(sc: Scenario, rec: Recorder, result: ScenarioResult, outcome: Outcome, st: AttemptState, v: VmInputs): Promise<Machine> {
  let machine: Machine;
  try {
    machine = await startMachine({
      qemu: QEMU, accel: v.accel.accel, cpus: sc.machine.cpus, memoryMiB: sc.machine.memoryMiB,
      kernel: v.boot.path, initrd: v.secrets.initrd, append: kernelCmdline(sc), disks: v.secrets.disks,
      qmpSocket: join(v.secrets.dir.path, 'qmp.sock'), incoming: v.incoming,
    }, {
      consoleLog: join(rec.dir, 'console.raw'),
      qmpLog: join(rec.dir, 'qmp.jsonl'),
      onConsole: (b: Buffer) => v.watch.feed(b),
      onExit: (code: number | null, signal: string | null) => {
        rec.event('qemu-exit', { code, signal });
        if (st.stopping || v.quiet?.()) return;
        // The VM went away on its own (triple fault, -no-reboot on panic without pvpanic, OOM-killed QEMU).
        outcome.lost ??= { step: rec.steps.length, message: `QEMU exited unexpectedly (code ${code}, signal ${signal})` };
        st.stop.abort(new Error('QEMU exited'));
      },
    });
  } catch (e) {
    v.booting.fail('QEMU would not start');
    throw e;
  }
  result.qemu = { argv: [QEMU, ...machine.argv], accel: v.accel.accel, accelReason: v.accel.reason };
  machine.qmp.on('event', (e: { event: string }) => {
    if (e.event === 'GUEST_PANICKED') crashed(st, rec, 'GUEST_PANICKED');
  });
  rec.event('qemu-started', { pid: machine.pid });
  return machine;
}

interface GuestInputs {
  image: ImageArtifact;
  secrets: Secrets;
  watch: ConsoleWatch;
  machine: Machine;
  booting: Task;
  /** When QEMU was started: boot timings and the boot timeout count from here. */
  t0: number;
  /** Console lines before this boot (a failed restore's replayed boot console): not this boot's. */
  fromLine: number;
}

/** Boot: the fingerprint and readiness marker on the console, then SSH with that key pinned. */
async function bootGuest(sc: Scenario, rec: Recorder, result: ScenarioResult, st: AttemptState, g: GuestInputs): Promise<Guest> {
  const boot = deadline(sc.bootTimeoutMs, st.stop.signal);
  try {
    const fp = HOSTKEY_LINE.exec(await g.watch.waitFor(HOSTKEY_LINE, g.fromLine, boot.signal))![1]!;
    const want = g.secrets.hostKey.fingerprintSHA256;
    if (fp !== want) throw new BootError(`guest printed host key ${fp}, expected ${want}`);
    // dropbear is up once the fingerprint is printed: the (slow, under TCG) SSH handshake
    // overlaps the rest of the guest's boot; steps still wait for the readiness marker.
    const connecting = Guest.connect({
      port: g.machine.sshPort, privateKey: g.secrets.client.privateKey, hostFingerprint: fp,
      deadline: g.t0 + sc.bootTimeoutMs, signal: boot.signal,
    });
    connecting.catch(() => {}); // awaited below; a boot failure must not leave it unhandled
    await g.watch.waitFor(new RegExp(g.image.readyMarker), g.fromLine, boot.signal);
    result.timings.bootToReadyMs = Date.now() - g.t0;
    const guest = await connecting;
    result.timings.bootToSshMs = Date.now() - g.t0;
    rec.event('guest-ready');
    g.booting.done(`ready in ${(result.timings.bootToSshMs / 1000).toFixed(1)}s`);
    return guest;
  } catch (e) {
    g.booting.fail('guest not ready');
    const why = g.machine.exited ? `QEMU exited before the guest was ready: ${g.machine.stderrTail()}`
      : boot.timedOut() ? `guest not ready within ${sc.bootTimeoutMs / 1000}s`
        : errorMessage(e);
    throw new BootError(why, { cause: e, console: g.watch.tail(15) });
  } finally {
    boot.clear();
  }
}

/**
 * Restore the snapshot in place of machine + guest: QEMU with the same argv
 * plus `-incoming defer`, the stream loaded, SSH to the snapshot's pinned host
 * key, then the host's clock and fresh entropy. A snapshot that will not load
 * or answer is discarded and `undefined` returned: the attempt boots instead
 * (result.boot.fallback says why). Nothing is left running on that path.
 */
async function restoreVm(
  sc: Scenario, rec: Recorder, result: ScenarioResult, outcome: Outcome, st: AttemptState, snap: Snapshot,
  v: Omit<VmInputs, 'booting' | 'incoming' | 'quiet'>,
): Promise<{ machine: Machine; guest: Guest } | undefined> {
  const restoring = task(`restore ${sc.name} (snapshot ${snap.key.slice(0, 12)})`);
  const t0 = Date.now();
  let settled = false;
  let machine: Machine | undefined;
  let guest: Guest | undefined;
  const boot = deadline(sc.bootTimeoutMs, st.stop.signal);
  try {
    // The console of the boot the snapshot holds, replayed first: console.log,
    // console waits and crash line numbers read as they would after a boot.
    const bootConsole = await readFile(snap.bootConsole);
    machine = await startVm(sc, rec, result, outcome, st, { ...v, booting: restoring, incoming: 'defer', quiet: () => !settled });

    rec.event('restore-start', { snapshot: snap.key });
    await restoreInto(machine, snap, sc.bootTimeoutMs, () => v.watch.feed(bootConsole));
    result.timings.restoreMs = Date.now() - t0;
    guest = await Guest.connect({
      port: machine.sshPort, privateKey: snap.clientKey, hostFingerprint: snap.meta.hostFingerprint,
      deadline: t0 + sc.bootTimeoutMs, signal: boot.signal,
    });
    await freshenGuest(guest, boot.signal);
    settled = true;
  } catch (e) {
    guest?.close();
    if (machine) {
      if (st.crashSeen) await v.watch.settle(); // the report complete before QEMU goes
      await machine.stop();
      rec.event('qemu-stopped');
    }
    // A crash or an interrupt is this attempt's outcome, not the snapshot's fault.
    if (st.crashSeen || interrupted.aborted) {
      restoring.fail('restore interrupted');
      throw e;
    }
    const why = `restore of snapshot ${snap.key.slice(0, 12)} failed: ${boot.timedOut() ? `not ready within ${sc.bootTimeoutMs / 1000}s` : errorMessage(e)}`;
    restoring.fail('falling back to a boot');
    await discardSnapshot(snap.key);
    result.boot = { mode: 'booted', snapshot: snap.key, fallback: why };
    rec.event('snapshot-fallback', why);
    return undefined;
  } finally {
    boot.clear();
  }
  result.timings.bootToReadyMs = result.timings.restoreMs;
  result.timings.bootToSshMs = Date.now() - t0;
  result.boot = { mode: 'restored', snapshot: snap.key };
  rec.event('guest-ready', { restored: snap.key });
  restoring.done(`restored in ${(result.timings.bootToSshMs / 1000).toFixed(1)}s`);
  return { machine, guest };
}

/** After a boot: save the ready guest as the scenario's snapshot (once per key); a failed save only costs the next attempt a boot. */
async function saveBoot(rec: Recorder, result: ScenarioResult, st: AttemptState, plan: SnapshotPlan, v: { machine: Machine; secrets: Secrets; watch: ConsoleWatch; fromLine: number }): Promise<void> {
  if (st.reports > 0) {
    result.boot = { ...result.boot, mode: 'booted', optOut: 'the boot printed a crash report: not saved' };
    return;
  }
  const t = Date.now();
  try {
    const dir = await saveSnapshot(v.machine, {
      key: plan.key, inputs: plan.inputs, hostFingerprint: v.secrets.hostKey.fingerprintSHA256,
      clientKey: v.secrets.client.privateKey, bootConsole: `${v.watch.tail(v.watch.lineCount - v.fromLine)}\n`,
      bootedIn: rec.dir, bootToReadyMs: result.timings.bootToReadyMs,
    });
    result.timings.snapshotSaveMs = Date.now() - t;
    // cached() returns an entry another process saved meanwhile without saving ours.
    const mine = (await findSnapshot(plan.key)) as Snapshot | undefined;
    const saved = mine && !(mine instanceof SnapshotUnusable) && mine.meta.bootedIn === rec.dir;
    result.boot = { ...result.boot, mode: 'booted', snapshot: plan.key, ...(saved ? { saved: true } : {}) };
    rec.event('snapshot-saved', { key: plan.key, dir, ms: result.timings.snapshotSaveMs, saved });
    // Over the store's budget: the least recently used entries go (never this one). A failure here costs disk, not the run.
    await pruneSnapshots(plan.key).then(
      (p) => p.evicted.length && rec.event('snapshots-evicted', { keys: p.evicted, freedBytes: p.freedBytes }),
      (e: unknown) => rec.event('snapshots-evicted', { error: errorMessage(e) }),
    );
  } catch (e) {
    result.boot = { ...result.boot, mode: 'booted', snapshot: plan.key, saveError: errorMessage(e) };
    rec.event('snapshot-save-failed', errorMessage(e));
  }
}
