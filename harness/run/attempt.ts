// One attempt of one scenario: artifacts → boot → steps → verdict, with every
// piece of evidence written to the attempt's directory. QEMU is always stopped.
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { dir as tmpDir, type DirectoryResult } from 'tmp-promise';
import type { KernelArtifact } from '../artifacts/kernel/artifact.js';
import { withRunSecrets, type ImageArtifact } from '../artifacts/image/image.js';
import { readLockFor, type LockedPackage } from '../artifacts/store/lock.js';
import { packageRows, resolveArtifacts } from './artifacts.js';
import { generateHostKey } from '../artifacts/image/dropbear-key.js';
import { generateClientKey } from '../guest/keys.js';
import { Guest } from '../guest/ssh.js';
import { writeJsonAtomic } from '../results/atomic.js';
import type { ScenarioResult, Crash } from '../results/types.js';
import type { Scenario } from '../scenario/types.js';
import { interrupted } from '../util/interrupt.js';
import { BootError, errorMessage, InfraError, KreproError, reasonOf } from '../util/errors.js';
import { deadline } from '../util/signals.js';
import { task, type Task } from '../util/progress.js';
import { resolveAccel } from '../vm/accel.js';
import { startMachine, type Machine } from '../vm/machine.js';
import { ConsoleWatch } from './console-watch.js';
import { createDisks, HOSTKEY_LINE, kernelCmdline } from './boot.js';
import type { VmDisk } from '../vm/argv.js';
import type { Job, RunContext } from './context.js';
import { hostInfo } from '../host/info.js';
import { Recorder } from './recorder.js';
import { Phases } from './phases.js';
import { runSteps } from './step-loop.js';
import { decide, type Outcome } from './verdict.js';

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

async function prepare(sc: Scenario, result: ScenarioResult): Promise<{ kernel: KernelArtifact; image: ImageArtifact }> {
  const t = Date.now();
  // The CLI validated the lock before the run; one spoilt since is the host's problem, not the guest's.
  const lock = await readLockFor(sc.file).catch((e: unknown) => { throw new InfraError(errorMessage(e), { cause: e }); });
  if (lock) result.artifacts.lock = { identity: lock.path, hash: lock.sha256, path: lock.path };
  const used = new Map<string, LockedPackage>();
  try {
    const { kernel, image } = await resolveArtifacts(sc, lock, used);
    result.artifacts.kernel = { identity: kernel.identity, hash: kernel.hash, path: kernel.bzImage };
    result.artifacts.image = { identity: image.name, hash: image.hash, path: image.initrd };
    result.timings.artifactsMs = Date.now() - t;
    return { kernel, image };
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
}

/**
 * The attempt as ordered phases, each with its cleanup beside it:
 * artifacts → secrets → console → machine → guest → steps. Whatever fails, the
 * teardowns run last-first (SSH closed, QEMU stopped after the console settles,
 * crashes collected, secrets removed). A failure's verdict reason comes from
 * its type (util/errors.ts); a crash seen meanwhile outranks it.
 */
async function execute(sc: Scenario, rec: Recorder, result: ScenarioResult, outcome: Outcome): Promise<void> {
  const phases = new Phases(rec);
  const st: AttemptState = { stop: new AbortController(), crashSeen: false, stopping: false };
  try {
    const { kernel, image } = await phases.run('artifacts', () => prepare(sc, result));
    const accel = await resolveAccel(sc.machine.accel, QEMU);
    const secrets = await phases.run('secrets', () => makeSecrets(sc, image), (s) => s.dir.cleanup().catch(() => {}));
    const watch = await phases.run('console', async () => watchConsole(sc, rec, st), async (w) => {
      outcome.crashes = w.crashes();
      await w.close();
    });
    const booting = task(`boot ${sc.name} (${kernel.release}, ${accel.accel})`);
    const t0 = Date.now();
    const machine = await phases.run('machine', () => startVm(sc, rec, result, outcome, st, { kernel, accel, secrets, watch, booting }), async (m) => {
      if (st.crashSeen) await watch.settle();
      st.stopping = true;
      await m.stop();
      rec.event('qemu-stopped');
    });
    const guest = await phases.run('guest', () => bootGuest(sc, rec, result, st, { image, secrets, watch, machine, booting, t0 }), (g) => g.close());
    const ctx: RunContext = {
      scenario: sc, machine, guest, console: watch, rec, jobs: new Map<string, Job>(),
      disks: new Map(secrets.disks.map((d) => [d.id, d])), signal: st.stop.signal,
    };
    await phases.run('steps', () => runSteps(ctx, outcome, result));
  } catch (e) {
    // A crash explains a failed boot better than the boot failure does.
    if (!st.crashSeen) outcome.harnessError ??= harnessError(e, rec);
  } finally {
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

interface Secrets {
  /** The run's private directory (0700): QMP socket, disks, the secrets initrd. */
  dir: DirectoryResult;
  client: ReturnType<typeof generateClientKey>;
  hostKey: ReturnType<typeof generateHostKey>;
  initrd: string;
  disks: VmDisk[];
}

/** Per-run keys, the initrd with them appended, and fresh scenario disks, all in a private directory. */
async function makeSecrets(sc: Scenario, image: ImageArtifact): Promise<Secrets> {
  const dir = await tmpDir({ unsafeCleanup: true, prefix: 'krepro-' });
  try {
    await chmod(dir.path, 0o700);
    const client = generateClientKey();
    const hostKey = generateHostKey();
    const initrd = await withRunSecrets(image, { authorizedKey: client.publicKey, hostKeyDropbear: hostKey.dropbear }, dir.path);
    const disks = await createDisks(sc.disks, dir.path);
    return { dir, client, hostKey, initrd, disks };
  } catch (e) {
    await dir.cleanup().catch(() => {});
    throw e;
  }
}

/** The console watch: crash reports not tolerated by `expect.allow` stop the attempt. */
function watchConsole(sc: Scenario, rec: Recorder, st: AttemptState): ConsoleWatch {
  const watch = new ConsoleWatch(join(rec.dir, 'console.log'));
  watch.onCrash((kind) => {
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
  kernel: KernelArtifact;
  accel: Awaited<ReturnType<typeof resolveAccel>>;
  secrets: Secrets;
  watch: ConsoleWatch;
  booting: Task;
}

/** Start QEMU with the console streamed to triage; a VM that goes away on its own ends the attempt. */
async function startVm(sc: Scenario, rec: Recorder, result: ScenarioResult, outcome: Outcome, st: AttemptState, v: VmInputs): Promise<Machine> {
  let machine: Machine;
  try {
    machine = await startMachine({
      qemu: QEMU, accel: v.accel.accel, cpus: sc.machine.cpus, memoryMiB: sc.machine.memoryMiB,
      kernel: v.kernel.bzImage, initrd: v.secrets.initrd, append: kernelCmdline(sc), disks: v.secrets.disks,
      qmpSocket: join(v.secrets.dir.path, 'qmp.sock'),
    }, {
      consoleLog: join(rec.dir, 'console.raw'),
      qmpLog: join(rec.dir, 'qmp.jsonl'),
      onConsole: (b: Buffer) => v.watch.feed(b),
      onExit: (code: number | null, signal: string | null) => {
        rec.event('qemu-exit', { code, signal });
        if (st.stopping) return;
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
}

/** Boot: the fingerprint and readiness marker on the console, then SSH with that key pinned. */
async function bootGuest(sc: Scenario, rec: Recorder, result: ScenarioResult, st: AttemptState, g: GuestInputs): Promise<Guest> {
  const boot = deadline(sc.bootTimeoutMs, st.stop.signal);
  try {
    const fp = HOSTKEY_LINE.exec(await g.watch.waitFor(HOSTKEY_LINE, 0, boot.signal))![1]!;
    const want = g.secrets.hostKey.fingerprintSHA256;
    if (fp !== want) throw new BootError(`guest printed host key ${fp}, expected ${want}`);
    // dropbear is up once the fingerprint is printed: the (slow, under TCG) SSH handshake
    // overlaps the rest of the guest's boot; steps still wait for the readiness marker.
    const connecting = Guest.connect({
      port: g.machine.sshPort, privateKey: g.secrets.client.privateKey, hostFingerprint: fp,
      deadline: g.t0 + sc.bootTimeoutMs, signal: boot.signal,
    });
    connecting.catch(() => {}); // awaited below; a boot failure must not leave it unhandled
    await g.watch.waitFor(new RegExp(g.image.readyMarker), 0, boot.signal);
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
