// bench/boot: plain QEMU booting the smoke scenario's kernel with a busybox
// initramfs that powers off at once, against `krepro run scenarios/smoke/boot.yaml`
// (boot, SSH, one command, verdict), in the same run on the same accelerator.
// Prints both wall times and the ratio. Artifacts are fetched first, untimed.
import { mkdtemp, mkdir, writeFile, copyFile, chmod, rm, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { aptDownload } from '../harness/artifacts/store/apt.js';
import { resolveKernel } from '../harness/artifacts/kernel/resolve.js';
import { loadScenario } from '../harness/scenario/load.js';
import { resolveAccel } from '../harness/vm/accel.js';
import { QEMU } from '../harness/run/attempt.js';

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
    // Warm the krepro cache (kernel, image) so both sides measure booting, not downloading.
    const warm = await execa(process.execPath, [join(ROOT, 'dist', 'harness', 'cli.js'), 'run', scenarioFile, '--results', join(work, 'warm')], { reject: false, env: { KREPRO_QUIET: '1' } });
    if (warm.exitCode !== 0) throw new Error(`krepro run failed while warming up:\n${warm.stderr}`);
    const plain: number[] = [];
    const kr: number[] = [];
    const toSsh: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let t = process.hrtime.bigint();
      const p = await execa(QEMU, plainArgv, { reject: false, timeout: 300_000 });
      plain.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (!p.stdout.includes('plain-init-reached')) throw new Error(`plain boot did not reach init:\n${p.stdout.slice(-2000)}\n${p.stderr}`);
      const results = join(work, `r${i}`);
      t = process.hrtime.bigint();
      const r = await execa(process.execPath, [join(ROOT, 'dist', 'harness', 'cli.js'), 'run', scenarioFile, '--results', results], { reject: false, env: { KREPRO_QUIET: '1' } });
      kr.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (r.exitCode !== 0) throw new Error(`krepro run failed: ${r.stderr}`);
      const [run] = await readdir(results);
      const res = JSON.parse(await readFile(join(results, run!, sc.name, 'result.json'), 'utf8'));
      toSsh.push(res.timings.bootToSshMs);
    }
    const p = median(plain) / 1000;
    const k = median(kr) / 1000;
    console.log(`boot bench (${accel.accel}, kernel ${kernel.release}, ${RUNS} runs, medians):`);
    console.log(`  plain QEMU, busybox initramfs, boot → poweroff: ${p.toFixed(2)} s   (runs: ${plain.map((x) => (x / 1000).toFixed(2)).join(', ')})`);
    console.log(`  krepro run scenarios/smoke/boot.yaml → verdict: ${k.toFixed(2)} s   (runs: ${kr.map((x) => (x / 1000).toFixed(2)).join(', ')})`);
    console.log(`  of which QEMU start → guest SSH ready:            ${(median(toSsh) / 1000).toFixed(2)} s`);
    console.log(`  ratio krepro / plain: ${(k / p).toFixed(2)}x (target ≤ 1.5x)`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
