// bench/matrix-jobs: throughput of `krepro matrix --jobs 1` against `--jobs 2` on
// this host — the same cells, every one a cold boot (snapshot: false, as cells that
// differ by kernel or ZFS are), artifacts built once beforehand, untimed. Prints
// wall time, cells per minute, the speed-up, and the host load around each run.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CELLS = Number(process.env.BENCH_CELLS ?? 6);
const CLI = join(ROOT, 'dist', 'harness', 'cli.js');

// The smoke boot plus one command, each cell on its own kernel command line (the axis makes the cells).
const scenario = `name: jobs-bench
kernel: { debian: 6.1.0-56-amd64 }
image: base
machine: { memory: 1G, cpus: 2, accel: auto }
snapshot: false
timeout: 5m
steps:
  - run: uname -r && cat /proc/cmdline
`;

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

async function timedMatrix(dir: string, jobs: number): Promise<{ seconds: number; passed: number; before: string; after: string }> {
  const before = load();
  const t0 = Date.now();
  const r = await execa(process.execPath, [CLI, 'matrix', join(dir, 'matrix.yaml'), '--jobs', String(jobs), '--results', join(dir, `jobs${jobs}`)],
    { reject: false, env: { KREPRO_QUIET: '1' } });
  const seconds = (Date.now() - t0) / 1000;
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`krepro matrix --jobs ${jobs} exited ${r.exitCode}:\n${r.stderr}`);
  const passed = /(\d+) cells: (\d+) passed/.exec(r.stdout)?.[2];
  return { seconds, passed: Number(passed ?? 0), before, after: load() };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'krepro-jobs-bench-'));
  try {
    await writeFile(join(dir, 'cell.yaml'), scenario);
    const variants = Array.from({ length: CELLS }, (_, i) => `[krepro.bench=${i + 1}]`).join(', ');
    await writeFile(join(dir, 'matrix.yaml'), `scenarios: [cell.yaml]\naxes:\n  cmdline: [${variants}]\n`);
    // Fetch and build what the cells need, untimed.
    const warm = await execa(process.execPath, [CLI, 'prepare', join(dir, 'cell.yaml')], { reject: false });
    if (warm.exitCode !== 0) throw new Error(`krepro prepare failed:\n${warm.stderr}`);
    console.log(`host: ${availableParallelism()} cores; ${CELLS} cells, each a cold boot + one command`);
    const runs: Record<number, Awaited<ReturnType<typeof timedMatrix>>> = {};
    for (const jobs of [1, 2]) {
      runs[jobs] = await timedMatrix(dir, jobs);
      const r = runs[jobs]!;
      console.log(`--jobs ${jobs}: ${r.seconds.toFixed(1)} s for ${CELLS} cells (${r.passed} passed) = ${(CELLS / r.seconds * 60).toFixed(2)} cells/min; load ${r.before} → ${r.after}`);
    }
    console.log(`speed-up of --jobs 2 over --jobs 1: ${(runs[1]!.seconds / runs[2]!.seconds).toFixed(2)}x`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
