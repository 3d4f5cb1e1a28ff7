// A nightly's merged report on disk, without a VM: attempt directories shaped
// like the runner's (result.json, console.log, qmp.jsonl, steps/NN-*.out), the
// crashes triaged from real console logs in test/fixtures/console (seed 000's
// SPL panic, seed 003's btrfs BUG, seed 004's CFI page fault), the cells' facts
// taken by the matrix's own cellFacts, two shards' summaries, and
// merge-reports' output (summary.json, junit.xml, report.html). The same
// directory feeds the HTML unit test and the real-browser test.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { triage } from '../../../harness/console/detector.js';
import { mergeReports } from '../../../harness/matrix/merge.js';
import { buildSummary, cellFacts, type CellFacts } from '../../../harness/matrix/report.js';
import { assignShards } from '../../../harness/matrix/shard.js';
import type { Cell, CellAxes, CellSummary, KnownFailure, MatrixSummary } from '../../../harness/matrix/types.js';
import type { Crash, ScenarioResult, ScenarioSummary, StepResult, Verdict } from '../../../harness/results/types.js';
import type { Scenario } from '../../../harness/scenario/types.js';

const CONSOLES = fileURLToPath(new URL('../../fixtures/console/', import.meta.url));

/** A crash title a kernel could print: markup and quotes must reach the page as text. */
export const HOSTILE_TITLE = `WARNING in <script>document.title='pwned'</script> & "q" <img src=x onerror=alert(1)>`;

interface AttemptPlan {
  verdict: Verdict;
  /** Real console log from test/fixtures/console; its last report is the deciding crash (failed attempts). */
  log?: string;
  reason?: ScenarioResult['reason'];
  message?: string;
  /** Leave console.log out (a build that failed before any boot). */
  noConsole?: boolean;
  hostile?: boolean;
}

interface CellPlan {
  scenario: string;
  axes: CellAxes;
  attempts: AttemptPlan[];
  durationMs: number;
}

const K61 = '6.1.0-56-amd64';
const K612 = '6.12.48+deb12-amd64';

/** The nightly's cells, in matrix order. */
export const PLANS: CellPlan[] = [
  { scenario: 'smoke/boot', axes: { kernel: K61 }, attempts: [{ verdict: 'passed' }], durationMs: 9_800 },
  { scenario: 'smoke/boot', axes: { kernel: K612 }, attempts: [{ verdict: 'passed' }], durationMs: 10_400 },
  { scenario: 'zfs/raw-send-usb-replug', axes: { kernel: K61, zfs: '2.3.2' }, attempts: [{ verdict: 'failed', log: 'seed000-qemu-spl-panic-halt.log' }], durationMs: 94_000 },
  { scenario: 'zfs/raw-send-usb-replug', axes: { kernel: K61, zfs: '2.1.11' }, attempts: [{ verdict: 'passed' }, { verdict: 'failed', log: 'seed000-issue-spl-panic.log' }], durationMs: 181_000 },
  { scenario: 'btrfs/send-balance', axes: { kernel: K61 }, attempts: [{ verdict: 'failed', log: 'seed003-btrfs-send-kernel-bug.log' }], durationMs: 61_000 },
  { scenario: 'btrfs/send-balance', axes: { kernel: K612 }, attempts: [{ verdict: 'failed', log: 'seed003-btrfs-send-kernel-bug.log' }], durationMs: 58_500 },
  { scenario: 'zfs/pipe-receive', axes: { kernel: K61, zfs: '2.3.2' }, attempts: [{ verdict: 'failed', reason: 'step-failed', message: 'step 3 (run: zfs receive) exited 1' }], durationMs: 40_000 },
  { scenario: 'zfs/pipe-receive', axes: { kernel: K612, zfs: '2.1.11' }, attempts: [{ verdict: 'error', reason: 'build-failed', message: 'zfs 2.1.11 does not build for 6.12: configure: error: <linux/blkdev.h> & friends', noConsole: true }], durationMs: 3_100 },
  { scenario: 'cfi/zfs-module-load', axes: { kernel: K612, zfs: '2.3.2' }, attempts: [{ verdict: 'failed', log: 'seed004-qemu-blake3-page-fault.log' }], durationMs: 22_000 },
  { scenario: 'smoke/hostile', axes: { kernel: K61 }, attempts: [{ verdict: 'failed', hostile: true }], durationMs: 12_000 },
];

export const KNOWN: KnownFailure[] = [
  { cell: 'zfs/raw-send-usb-replug/**', title: 'zio_encrypt|SPL PANIC', link: 'https://github.com/openzfs/zfs/issues/18394', intermittent: true },
];

const idOf = (p: CellPlan) => [p.scenario, ...(['kernel', 'zfs'] as const).filter((k) => p.axes[k] !== undefined).map((k) => `${k}=${p.axes[k]}`)].join('/');

function crashOf(a: AttemptPlan, log: string | undefined): Crash[] {
  if (a.hostile) return [{ kind: 'warning', title: HOSTILE_TITLE, guilty: 'x', frames: [], signature: 'f00dfeed', start: 1, end: 2, excerpt: HOSTILE_TITLE, step: 2 }];
  if (!a.log || !log) return [];
  const crashes = triage(log);
  if (!crashes.length) throw new Error(`${a.log}: triage found no crash in this fixture`);
  // The last report decides (the panic after an I/O error burst, the BUG after a transid warning).
  return crashes.map((c) => ({ ...c, step: 2 }));
}

/** One attempt directory as the runner writes it; returns its result. */
async function writeAttempt(dir: string, plan: CellPlan, a: AttemptPlan, n: number): Promise<ScenarioResult> {
  await mkdir(path.join(dir, 'steps'), { recursive: true });
  const log = a.log ? await readFile(path.join(CONSOLES, a.log), 'utf8') : a.hostile ? `[   12.000000] ${HOSTILE_TITLE}\n` : '[    0.000000] Linux version …\nkrepro-ready\n';
  const crashes = crashOf(a, log);
  const steps: StepResult[] = a.noConsole ? [] : [
    { index: 1, kind: 'run', label: 'run: uname -a', status: 'ok', exitCode: 0, startedAt: 4000, durationMs: 80, output: 'steps/01-run.out' },
    { index: 2, kind: 'run', label: 'run: ./trigger.sh <pool> & wait', status: a.verdict === 'passed' ? 'ok' : 'failed', exitCode: a.verdict === 'passed' ? 0 : 1, startedAt: 4100, durationMs: 900, output: 'steps/02-run.out' },
  ];
  for (const s of steps) await writeFile(path.join(dir, s.output!), `output of ${s.label}\n`);
  if (!a.noConsole) {
    await writeFile(path.join(dir, 'console.log'), log);
    await writeFile(path.join(dir, 'qmp.jsonl'), '{"t":0,"dir":"in","msg":{"QMP":{}}}\n');
  }
  const message = a.message ?? (crashes.length ? `${crashes.at(-1)!.kind}: ${crashes.at(-1)!.title}` : a.verdict === 'passed' ? 'all steps passed' : 'failed');
  const r: ScenarioResult = {
    scenario: plan.scenario.split('/').at(-1)!, file: `/work/scenarios/${plan.scenario}.yaml`, attempt: n,
    verdict: a.verdict, ...(a.verdict !== 'passed' ? { reason: a.reason ?? 'crash' } : {}), message,
    crashes, steps, timings: { bootToReadyMs: 4000 }, artifacts: { kernel: { identity: `debian:${plan.axes.kernel}`, hash: 'ab12' } },
    host: { kernel: '6.1.0-28-amd64' }, timeline: [], startedAt: '2026-12-03T02:00:00.000Z', finishedAt: '2026-12-03T02:01:00.000Z',
  };
  await writeFile(path.join(dir, 'result.json'), `${JSON.stringify(r, null, 2)}\n`);
  return r;
}

/** The previous night, for classes: btrfs on 6.1 passed then (so it is a new failure now), the rest as now. */
function baselineOf(facts: CellFacts[]): Map<string, CellSummary> {
  return new Map(facts.filter((f) => f.scenario !== 'smoke/hostile').map((f): [string, CellSummary] => {
    const verdict: Verdict = f.id === `btrfs/send-balance/kernel=${K61}` ? 'passed' : f.verdict;
    return [f.id, { ...f, verdict, rate: verdict === 'passed' ? '0/1' : f.rate, class: 'passing' }];
  }));
}

/** Write two shards' reports under `root` and merge them into `root/merged`; returns that directory and its summary. */
export async function writeMergedReport(root: string): Promise<{ dir: string; summary: MatrixSummary; shards: string[] }> {
  const facts: CellFacts[] = [];
  const ids = PLANS.map(idOf);
  const shardOf = assignShards(ids, 2);
  for (const [index, plan] of PLANS.entries()) {
    const id = ids[index]!;
    const prefix = `cells/${id}`;
    const shardDir = path.join(root, `shard-${shardOf.get(id)}`);
    const results: ScenarioResult[] = [];
    for (const [i, a] of plan.attempts.entries()) results.push(await writeAttempt(path.join(shardDir, prefix, String(i + 1)), plan, a, i + 1));
    const failures = results.filter((r) => r.verdict === 'failed').length;
    const decider = results.find((r) => r.verdict === 'failed') ?? results.at(-1)!;
    const s: ScenarioSummary = {
      scenario: plan.scenario, file: decider.file, verdict: failures ? 'failed' : decider.verdict, ...(decider.reason ? { reason: decider.reason } : {}),
      message: `${decider.message} [reproduced ${failures}/${results.length}]`, attempts: results.length, failures,
      dirs: results.map((_, i) => String(i + 1)), durationMs: plan.durationMs,
    };
    const cell: Cell = { id, index, scenarioId: plan.scenario, axes: plan.axes, scenario: { name: plan.scenario.split('/').at(-1)! } as Scenario };
    facts.push(cellFacts(cell, s, results, prefix));
  }
  const baseline = { path: path.join(root, 'last-night'), cells: baselineOf(facts) };
  const shards: string[] = [];
  for (const i of [1, 2]) {
    const dir = path.join(root, `shard-${i}`);
    const summary = buildSummary(facts.filter((f) => shardOf.get(f.id) === i), {
      matrix: { file: '/work/scenarios/nightly.yaml', name: 'nightly', cells: PLANS.length, known: KNOWN },
      shard: { index: i, total: 2 }, impossible: [{ scenario: 'smoke/boot', axis: 'zfs', values: ['2.3.2', '2.1.11'], reason: 'its image has no zfs parameter' }],
      notes: [], baseline, today: '2026-12-03',
      run: { startedAt: `2026-12-03T02:0${i}:00.000Z`, finishedAt: `2026-12-03T02:3${i}:00.000Z`, durationMs: 1_800_000, jobs: 1 },
    });
    await writeFile(path.join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    shards.push(dir);
  }
  const dir = path.join(root, 'merged');
  return { dir, summary: await mergeReports(shards, dir), shards };
}
