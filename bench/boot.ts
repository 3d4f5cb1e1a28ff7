// bench/boot: plain QEMU booting the smoke scenario's kernel with a busybox
// initramfs that powers off at once, against `krepro run scenarios/smoke/boot.yaml`
// (boot, SSH, one command, verdict) cold — no snapshot: it boots and saves one —
// and restored from that snapshot, in the same run on the same accelerator.
// Prints the wall times, krepro's time to its first step, and the ratios.
// Artifacts are fetched first, untimed; snapshots live in a cache of the bench's own.
import { mkdtemp, mkdir, writeFile, copyFile, chmod, rm, readFile, readdir, symlink } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { aptDownload } from '../harness/artifacts/store/apt.js';
import { resolveKernel } from '../harness/artifacts/kernel/resolve.js';
import { bootKernel } from '../harness/artifacts/kernel/pvh.js';
import { loadScenario } from '../harness/scenario/load.js';
import { resolveAccel } from '../harness/vm/accel.js';
import { QEMU } from '../harness/run/attempt.js';
import { cacheRoot } from '../harness/artifacts/store/root.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

async function busyboxInitrd(dir: string): Promise<string> {
  const debs = await aptDownload(['busybox-static']);
  const x = join(dir, 'x');
  await execa('dpkg-deb', ['-x', debs.get('busybox-static')!, x]);
  const tree = join(dir, 'tree');
  await mkdir(join(tree, 'bin'), { recursive: true });
  await copyFile(join(x, 'bin', 'busybox'), join(tree, 'bin', 'busybox'));
  await writeFile(join(tree, 'init'), '#!/bin/busybox sh\n/bin/busybox mount -t proc proc /proc 2>/dev/null\necho plain-init-reached\n/bin/busybox poweroff -f\n');
  await chmod(join(tree, 'init'), 0o755);
  const out = join(dir, 'plain.cpio.gz');
  await execa('sh', ['-c', `find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1 > ${out}`], { cwd: tree });
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const scenarioFile = join(ROOT, 'scenarios', 'smoke', 'boot.yaml');
  const sc = await loadScenario(scenarioFile);
  const kernel = await resolveKernel(sc.kernel);
  const accel = await resolveAccel(sc.machine.accel, QEMU);
  const work = await mkdtemp(join(tmpdir(), 'krepro-bench-'));
  try {
    const initrd = await busyboxInitrd(work);
    const cpu = accel.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg', '-cpu', 'max'];
    const plainArgv = ['-machine', 'q35', ...cpu, '-smp', String(sc.machine.cpus), '-m', String(sc.machine.memoryMiB),
      '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot', '-serial', 'stdio',
      '-kernel', kernel.bzImage, '-initrd', initrd, '-append', 'console=ttyS0,115200 panic=-1'];
    // The same plain boot entering through the PVH vmlinux krepro boots (when the kernel has one):
    // krepro's gain from skipping the decompressor is not counted as krepro's own.
    const pvh = await bootKernel(kernel, 'auto');
    const pvhArgv = pvh.entry === 'pvh' ? plainArgv.map((a) => (a === kernel.bzImage ? pvh.path : a)) : undefined;
    // Warm the krepro cache (kernel, image) so both sides measure booting, not downloading.
    const warm = await execa(process.execPath, [join(ROOT, 'dist', 'harness', 'cli.js'), 'run', scenarioFile, '--results', join(work, 'warm')], { reject: false, env: { KREPRO_QUIET: '1' } });
    if (warm.exitCode !== 0) throw new Error(`krepro run failed while warming up:\n${warm.stderr}`);
    // A cache of the bench's own for snapshots; everything else is shared (symlinks).
    const cache = join(work, 'cache');
    await mkdir(cache);
    for (const e of await readdir(cacheRoot())) if (e !== 'snapshot') await symlink(join(cacheRoot(), e), join(cache, e));
    const krepro = async (name: string): Promise<{ wallMs: number; res: any }> => {
      const results = join(work, name);
      const t = process.hrtime.bigint();
      const r = await execa(process.execPath, [join(ROOT, 'dist', 'harness', 'cli.js'), 'run', scenarioFile, '--results', results], { reject: false, env: { KREPRO_QUIET: '1', KREPRO_CACHE: cache } });
      const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
      if (r.exitCode !== 0) throw new Error(`krepro run failed: ${r.stderr}`);
      const [run] = await readdir(results);
      return { wallMs, res: JSON.parse(await readFile(join(results, run!, sc.name, 'result.json'), 'utf8')) };
    };
    /** ms from krepro's start to its first step: the attempt's own clock plus the process start before it. */
    const toFirstStep = (r: { wallMs: number; res: any }): number =>
      r.wallMs - r.res.timings.totalMs + r.res.timeline.find((e: { event: string }) => e.event === 'step-start').t;
    const plain: number[] = [];
    const plainPvh: number[] = [];
    const cold: number[] = [];
    const coldStep: number[] = [];
    const restored: number[] = [];
    const restoredStep: number[] = [];
    const load = loadavg()[0]!;
    for (let i = 0; i < RUNS; i++) {
      const t = process.hrtime.bigint();
      const p = await execa(QEMU, plainArgv, { reject: false, timeout: 300_000 });
      plain.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (!p.stdout.includes('plain-init-reached')) throw new Error(`plain boot did not reach init:\n${p.stdout.slice(-2000)}\n${p.stderr}`);
      if (pvhArgv) {
        const t2 = process.hrtime.bigint();
        const q = await execa(QEMU, pvhArgv, { reject: false, timeout: 300_000 });
        plainPvh.push(Number(process.hrtime.bigint() - t2) / 1e6);
        if (!q.stdout.includes('plain-init-reached')) throw new Error(`plain PVH boot did not reach init:\n${q.stdout.slice(-2000)}\n${q.stderr}`);
      }
      await rm(join(cache, 'snapshot'), { recursive: true, force: true });
      const c = await krepro(`cold${i}`);
      if (c.res.boot?.mode !== 'booted' || !c.res.boot?.saved) throw new Error(`cold run did not boot and save: ${JSON.stringify(c.res.boot)}`);
      cold.push(c.wallMs);
      coldStep.push(toFirstStep(c));
      const r = await krepro(`restored${i}`);
      if (r.res.boot?.mode !== 'restored') throw new Error(`second run did not restore: ${JSON.stringify(r.res.boot)}`);
      restored.push(r.wallMs);
      restoredStep.push(toFirstStep(r));
    }
    const s = (xs: number[]): string => (median(xs) / 1000).toFixed(2);
    const runs = (xs: number[]): string => xs.map((x) => (x / 1000).toFixed(2)).join(', ');
    const p = median(plain);
    console.log(`boot bench (${accel.accel}, kernel ${kernel.release}, ${RUNS} runs, medians; load average ${load.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}):`);
    console.log(`  plain QEMU, busybox initramfs, boot → poweroff:        ${s(plain)} s   (runs: ${runs(plain)})`);
    if (plainPvh.length) console.log(`  plain QEMU, same initramfs, PVH entry (vmlinux):       ${s(plainPvh)} s   (runs: ${runs(plainPvh)})`);
    console.log(`  krepro run smoke, cold (boots, saves the snapshot):     ${s(cold)} s   (runs: ${runs(cold)}); first step at ${s(coldStep)} s`);
    console.log(`  krepro run smoke, restored:                             ${s(restored)} s   (runs: ${runs(restored)}); first step at ${s(restoredStep)} s`);
    console.log(`  krepro enters the kernel by:              ${pvh.entry}${pvh.why ? ` (${pvh.why})` : ''}`);
    console.log(`  ratio cold / plain:                       ${(median(cold) / p).toFixed(2)}x (target ≤ 1.2x)`);
    if (plainPvh.length) console.log(`  ratio cold / plain with the same PVH entry: ${(median(cold) / median(plainPvh)).toFixed(2)}x`);
    console.log(`  ratio restored, time to first step / plain: ${(median(restoredStep) / p).toFixed(2)}x (target ≤ 0.5x)`);
    console.log(`  ratio restored, whole run / plain:        ${(median(restored) / p).toFixed(2)}x`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
