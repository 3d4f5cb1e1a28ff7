// One attempt of one scenario: artifacts → boot → steps → verdict, with every
// piece of evidence written to the attempt's directory. QEMU is always stopped.
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { dir as tmpDir } from 'tmp-promise';
import type { KernelArtifact } from '../artifacts/kernel/artifact.js';
import { resolveKernel } from '../artifacts/kernel/resolve.js';
import { buildImage, withRunSecrets, type ImageArtifact } from '../artifacts/image/image.js';
import { generateHostKey } from '../artifacts/image/dropbear-key.js';
import { generateClientKey } from '../guest/keys.js';
import { Guest } from '../guest/ssh.js';
import { writeAtomic, writeJsonAtomic } from '../results/atomic.js';
import type { ScenarioResult, Crash } from '../results/types.js';
import type { Scenario } from '../scenario/types.js';
import { interrupted } from '../util/interrupt.js';
import { deadline, linkedController } from '../util/signals.js';
import { task } from '../util/progress.js';
import { resolveAccel } from '../vm/accel.js';
import { startMachine, type Machine } from '../vm/machine.js';
import { ConsoleWatch } from './console-watch.js';
import { createDisks, HOSTKEY_LINE, kernelCmdline } from './boot.js';
import type { Job, RunContext } from './context.js';
import { collectHangDiagnostics } from './diagnostics.js';
import { hostInfo } from '../host/info.js';
import { Recorder } from './recorder.js';
import { executeStep } from './steps/index.js';
import { decide, type Outcome } from './verdict.js';

export const QEMU = process.env.KREPRO_QEMU ?? 'qemu-system-x86_64';

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

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
  try {
    await execute(sc, rec, result, outcome);
  } catch (e) {
    // A bug in the harness itself: still an honest verdict, never a crash of krepro.
    outcome.harnessError ??= { reason: 'infra', message: `harness error: ${errorText(e)}` };
    rec.event('harness-error', { stack: (e as Error).stack });
  }
  if (interrupted.aborted) outcome.harnessError = { reason: 'infra', message: errorText(interrupted.reason) };
  result.crashes = outcome.crashes as Crash[];
  Object.assign(result, decide(outcome, sc.expect));
  timings.totalMs = Date.now() - startedAt.getTime();
  result.finishedAt = new Date().toISOString();
  await writeJsonAtomic(join(dir, 'result.json'), result);
  return result;
}

async function prepare(sc: Scenario, result: ScenarioResult): Promise<{ kernel: KernelArtifact; image: ImageArtifact }> {
  const t = Date.now();
  const kernel = await resolveKernel(sc.kernel);
  result.artifacts.kernel = { identity: kernel.identity, hash: kernel.hash, path: kernel.bzImage };
  const image = await buildImage(sc.image, kernel);
  result.artifacts.image = { identity: image.name, hash: image.hash, path: image.initrd };
  result.timings.artifactsMs = Date.now() - t;
  return { kernel, image };
}

async function execute(sc: Scenario, rec: Recorder, result: ScenarioResult, outcome: Outcome): Promise<void> {
  let kernel: KernelArtifact;
  let image: ImageArtifact;
  try {
    ({ kernel, image } = await prepare(sc, result));
  } catch (e) {
    outcome.harnessError = { reason: 'build-failed', message: errorText(e) };
    return;
  }
  const accel = await resolveAccel(sc.machine.accel, QEMU);
  const priv = await tmpDir({ unsafeCleanup: true, prefix: 'krepro-' });
  await chmod(priv.path, 0o700);
  const consoleWatch = new ConsoleWatch(join(rec.dir, 'console.log'));
  let machine: Machine | undefined;
  let guest: Guest | undefined;
  const stop = new AbortController();
  let crashSeen = false;
  let stopping = false;
  const onCrash = (why: string): void => {
    if (crashSeen) return;
    crashSeen = true;
    rec.event('crash-detected', why);
    stop.abort(new Error(`crash: ${why}`));
  };
  consoleWatch.onCrash((kind) => {
    // Tolerated kinds (e.g. I/O errors from a disk pulled on purpose) are recorded, not acted on.
    if (sc.expect.allow.some((e) => e.kind && new RegExp(e.kind).test(kind))) rec.event('allowed-report', kind);
    else onCrash(kind);
  });
  try {
    const client = generateClientKey();
    const hostKey = generateHostKey();
    const initrd = await withRunSecrets(image, { authorizedKey: client.publicKey, hostKeyDropbear: hostKey.dropbear }, priv.path);
    const disks = await createDisks(sc.disks, priv.path);
    const booting = task(`boot ${sc.name} (${kernel.release}, ${accel.accel})`);
    const t0 = Date.now();
    try {
      machine = await startMachine({
        qemu: QEMU, accel: accel.accel, cpus: sc.machine.cpus, memoryMiB: sc.machine.memoryMiB,
        kernel: kernel.bzImage, initrd, append: kernelCmdline(sc), disks, qmpSocket: join(priv.path, 'qmp.sock'),
      }, {
        consoleLog: join(rec.dir, 'console.raw'),
        qmpLog: join(rec.dir, 'qmp.jsonl'),
        onConsole: (b: Buffer) => consoleWatch.feed(b),
        onExit: (code: number | null, signal: string | null) => {
          rec.event('qemu-exit', { code, signal });
          if (stopping) return;
          // The VM went away on its own (triple fault, -no-reboot on panic without pvpanic, OOM-killed QEMU).
          outcome.lost ??= { step: rec.steps.length, message: `QEMU exited unexpectedly (code ${code}, signal ${signal})` };
          stop.abort(new Error('QEMU exited'));
        },
      });
    } catch (e) {
      booting.fail('QEMU would not start');
      outcome.harnessError = { reason: 'infra', message: `QEMU would not start: ${errorText(e)}` };
      return;
    }
    result.qemu = { argv: [QEMU, ...machine.argv], accel: accel.accel, accelReason: accel.reason };
    machine.qmp.on('event', (e: { event: string }) => {
      if (e.event === 'GUEST_PANICKED') onCrash('GUEST_PANICKED');
    });
    rec.event('qemu-started', { pid: machine.pid });

    // Boot: the fingerprint and readiness marker on the console, then SSH with that key pinned.
    const boot = deadline(sc.bootTimeoutMs, stop.signal);
    const bootSignal = boot.signal;
    try {
      const fp = HOSTKEY_LINE.exec(await consoleWatch.waitFor(HOSTKEY_LINE, 0, bootSignal))![1]!;
      if (fp !== hostKey.fingerprintSHA256) throw new Error(`guest printed host key ${fp}, expected ${hostKey.fingerprintSHA256}`);
      // dropbear is up once the fingerprint is printed: the (slow, under TCG) SSH handshake
      // overlaps the rest of the guest's boot; steps still wait for the readiness marker.
      const connecting = Guest.connect({
        port: machine.sshPort, privateKey: client.privateKey, hostFingerprint: fp,
        deadline: t0 + sc.bootTimeoutMs, signal: bootSignal,
      });
      connecting.catch(() => {}); // awaited below; a boot failure must not leave it unhandled
      await consoleWatch.waitFor(new RegExp(image.readyMarker), 0, bootSignal);
      result.timings.bootToReadyMs = Date.now() - t0;
      guest = await connecting;
      boot.clear();
      result.timings.bootToSshMs = Date.now() - t0;
      rec.event('guest-ready');
      booting.done(`ready in ${(result.timings.bootToSshMs / 1000).toFixed(1)}s`);
    } catch (e) {
      boot.clear();
      booting.fail('guest not ready');
      if (!crashSeen) {
        const why = machine.exited ? `QEMU exited before the guest was ready: ${machine.stderrTail()}`
          : boot.timedOut() ? `guest not ready within ${sc.bootTimeoutMs / 1000}s`
            : errorText(e);
        outcome.harnessError = { reason: 'boot-failed', message: `${why}\n--- last console lines ---\n${consoleWatch.tail(15)}` };
      }
      return;
    }

    const ctx: RunContext = {
      scenario: sc, machine, guest, console: consoleWatch, rec, jobs: new Map<string, Job>(),
      disks: new Map(disks.map((d) => [d.id, d])), signal: stop.signal,
    };
    await runSteps(ctx, outcome, result);
  } finally {
    if (crashSeen) await consoleWatch.settle();
    guest?.close();
    stopping = true;
    if (machine) {
      await machine.stop();
      rec.event('qemu-stopped');
    }
    outcome.crashes = consoleWatch.crashes();
    await consoleWatch.close();
    await priv.cleanup().catch(() => {});
  }
}

async function runSteps(ctx: RunContext, outcome: Outcome, result: ScenarioResult): Promise<void> {
  const { scenario: sc, rec } = ctx;
  const t0 = Date.now();
  // Aborted when the steps must end: the scenario timeout, or a step that did not succeed.
  const end = new AbortController();
  // `timeout` covers the whole attempt (boot included), so only what is left of it applies here.
  const global = setTimeout(() => {
    outcome.hang ??= { step: rec.steps.at(-1)?.index ?? 0, message: `scenario timeout (${sc.timeoutMs / 1000}s) reached` };
    end.abort(new Error('scenario timeout'));
  }, Math.max(0, sc.timeoutMs - rec.now()));
  ctx = { ...ctx, signal: linkedController(ctx.signal, end.signal).signal };
  let consoleFrom = ctx.console.lineCount;
  try {
    for (const step of sc.steps) {
      const base = { index: step.index, kind: step.kind, label: step.label, startedAt: rec.now() };
      if (ctx.signal.aborted) {
        rec.steps.push({ ...base, status: 'skipped', durationMs: 0 });
        continue;
      }
      // The console itself shows step boundaries, so a crash maps to its step even offline.
      await ctx.guest.exec('cat > /dev/kmsg', { stdin: `<5>krepro: step ${step.index}: ${step.label}\n`, timeoutMs: 15_000, signal: ctx.signal });
      const progress = task(`step ${step.index}: ${step.label}`);
      rec.event('step-start', { step: step.index });
      const from = consoleFrom;
      consoleFrom = ctx.console.lineCount;
      const started = Date.now();
      let o;
      try {
        o = await executeStep(ctx, step, from);
      } catch (e) {
        o = { status: 'failed' as const, message: errorText(e) };
      }
      rec.steps.push({ ...base, ...o, durationMs: Date.now() - started });
      rec.event('step-end', { step: step.index, status: o.status });
      if (o.status === 'ok') progress.done(o.exitCode !== undefined ? `exit ${o.exitCode}` : 'ok');
      else progress.fail(o.message ?? o.status);
      if (o.status === 'ok') continue;
      if (o.status === 'timeout') {
        outcome.hang = { step: step.index, message: `step ${step.index} (${step.label}): ${o.message}` };
        const diag = await collectHangDiagnostics(ctx.guest);
        await writeAtomic(join(rec.dir, 'steps', `${String(step.index).padStart(2, '0')}-hang-diagnostics.out`), diag);
        result.diagnostics = { ...result.diagnostics, stuckTasks: diag };
        await ctx.console.settle(1500, 5000);
      } else if (o.status === 'error') {
        outcome.harnessError ??= { reason: 'infra', message: `step ${step.index} (${step.label}): ${o.message ?? 'harness error'}` };
      } else if (o.status === 'lost') {
        outcome.lost = { step: step.index, message: o.message ?? 'SSH connection lost' };
        await ctx.console.settle();
      }
      // Any step that did not succeed ends the attempt; the rest are recorded as skipped.
      end.abort(new Error(`step ${step.index} ${o.status}`));
    }
  } finally {
    clearTimeout(global);
    result.timings.stepsMs = Date.now() - t0;
  }
}
