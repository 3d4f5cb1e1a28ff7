// Shared by the end-to-end tests: run the built CLI for real and read what it wrote.
import { mkdir, readFile, readdir, symlink } from 'node:fs/promises';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { ScenarioResult } from '../../harness/results/types.js';
import { cacheRoot } from '../../harness/artifacts/store/root.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'harness', 'cli.js');

/** Start `krepro ARGS…` (the compiled CLI); never rejects on a non-zero exit. */
export function krepro(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): ResultPromise<{ reject: false; all: true }> {
  return execa(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, reject: false, all: true, env: { KREPRO_PROGRESS: 'plain', ...opts.env } });
}

/** The result.json files of one results directory, by scenario directory name. */
export async function results(resultsDir: string): Promise<Map<string, ScenarioResult>> {
  const out = new Map<string, ScenarioResult>();
  const [run] = await readdir(resultsDir);
  if (!run) return out;
  for (const sub of await readdir(join(resultsDir, run), { withFileTypes: true })) {
    if (!sub.isDirectory()) continue;
    out.set(sub.name, JSON.parse(await readFile(join(resultsDir, run, sub.name, 'result.json'), 'utf8')) as ScenarioResult);
  }
  return out;
}

/** The run directory (results/<run-id>) inside a results dir. */
export async function runDir(resultsDir: string): Promise<string> {
  const [run] = await readdir(resultsDir);
  return join(resultsDir, run!);
}

/** One live process, read from /proc. */
export interface Proc {
  pid: number;
  ppid: number;
  argv: string[];
}

/**
 * Every live process, from /proc (not pgrep: a missing pgrep must not read as "no process").
 * Throws when it cannot see this very process: an empty list would make every "nothing left" check pass.
 */
export function processes(): Proc[] {
  const out: Proc[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').filter(Boolean);
      out.push({ pid: Number(e), ppid, argv });
    } catch { /* exited while we read */ }
  }
  if (!out.some((p) => p.pid === process.pid)) throw new Error('cannot read /proc: this process is not in it');
  return out;
}

/** Live QEMU processes (argv[0] names qemu-system-*), optionally only children of `parent` or those with `arg` in their argv. */
export function qemuPids(filter: { parent?: number; arg?: string } = {}): number[] {
  return processes()
    .filter((p) => /(^|\/)qemu-system-/.test(p.argv[0] ?? ''))
    .filter((p) => filter.parent === undefined || p.ppid === filter.parent)
    .filter((p) => filter.arg === undefined || p.argv.some((a) => a.includes(filter.arg!)))
    .map((p) => p.pid);
}

/** Run one scenario file into a fresh results dir; its result.json and run directory. */
export async function runScenario(
  t: { testdir: () => string },
  file: string,
  name: string,
): Promise<{ exitCode: number | undefined; output: string; stderr: string; res: ScenarioResult; dir: string }> {
  const results_ = t.testdir();
  const r = await krepro(['run', file, '--results', results_]);
  const res = (await results(results_)).get(name);
  if (!res) throw new Error(`no result.json for ${name}:\n${r.all}`);
  return { exitCode: r.exitCode, output: r.all ?? '', stderr: String(r.stderr), res, dir: join(await runDir(results_), name) };
}

/**
 * QEMU processes that krepro started for the runs under `resultsDir` and that are still
 * alive. The pids come from each result.json's `qemu-started` event (QEMU's command line
 * does not name the results dir, so searching process lists for it could never fail).
 */
export async function leftoverQemu(resultsDir: string): Promise<number[]> {
  const pids: number[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else if (e.name === 'result.json') {
        const r = JSON.parse(await readFile(join(d, e.name), 'utf8')) as ScenarioResult;
        for (const ev of r.timeline) if (ev.event === 'qemu-started') pids.push((ev.detail as { pid: number }).pid);
      }
    }
  };
  await walk(resultsDir);
  if (pids.length === 0) throw new Error(`no qemu-started event in any result.json under ${resultsDir}`);
  return pids.filter((pid) => existsSync(`/proc/${pid}`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('qemu-system'));
}

/**
 * Whether the attempt saw each QEMU it started exit before it wrote result.json: it stopped
 * its machine itself, rather than leaving it to krepro's exit handlers (which would make a
 * leftover check pass after krepro has exited either way).
 */
export function qemuExitRecorded(res: ScenarioResult): boolean {
  const started = res.timeline.filter((e) => e.event === 'qemu-started').length;
  return started > 0 && res.timeline.filter((e) => e.event === 'qemu-exit').length === started;
}

/**
 * A KREPRO_CACHE of this test's own that shares the user's cache (symlinks: nothing is
 * fetched or built again) for every kind except `fresh`: what a run holds of those
 * kinds afterwards, it built itself.
 */
export async function privateCache(dir: string, fresh: string[]): Promise<string> {
  const shared = cacheRoot();
  await mkdir(dir, { recursive: true });
  for (const e of await readdir(shared).catch(() => [] as string[])) {
    if (!fresh.includes(e)) await symlink(join(shared, e), join(dir, e));
  }
  return dir;
}

/**
 * Interrupt a running `krepro bisect` (SIGINT, as Ctrl-C would) once its bisect.json
 * records `points` points; resolves to the bisection's directory.
 */
export async function interruptBisectAfter(child: ResultPromise, resultsDir: string, points: number): Promise<string> {
  let bisectDir = '';
  let done = false;
  void child.finally(() => { done = true; }).catch(() => {});
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const d = (await readdir(resultsDir).catch(() => [] as string[])).find((n) => n.startsWith('bisect-'));
    if (d) {
      bisectDir = join(resultsDir, d);
      const s = JSON.parse(await readFile(join(bisectDir, 'bisect.json'), 'utf8').catch(() => '{"points":[]}')) as { points: unknown[] };
      if (s.points.length >= points) {
        child.kill('SIGINT');
        return bisectDir;
      }
    }
    if (done) return bisectDir;
  }
}
