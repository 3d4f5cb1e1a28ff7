// A cell that fails as news is retried before it is called a regression: one pass
// makes it flaky, failures all through keep it a new failure (retried N×). Cells that
// are not news (known, still failing, no baseline) are never retried. No VM: the
// attempt runner is a script of verdicts; the facts are the matrix's own.
import t from 'tap';
import { runCell, isNews, bundleName } from '../../../harness/matrix/cell.js';
import { classify } from '../../../harness/matrix/classify.js';
import { summarise } from '../../../harness/run/suite.js';
import type { Cell, CellSummary } from '../../../harness/matrix/types.js';
import type { ScenarioResult, Verdict } from '../../../harness/results/types.js';
import type { Scenario } from '../../../harness/scenario/types.js';

const scenario = { name: 'gate', file: '/m/gate.yaml', repeat: 1 } as Scenario;
const cell = (id: string): Cell => ({ id, index: 0, scenarioId: 'gate', axes: {}, scenario });

function result(verdict: Verdict): ScenarioResult {
  return {
    scenario: 'gate', file: '/m/gate.yaml', attempt: 1, verdict, message: verdict === 'failed' ? 'step 2 exited 1' : 'all steps passed',
    ...(verdict === 'failed' ? { reason: 'step-failed' as const } : {}),
    crashes: [], steps: [], timings: { totalMs: 1000 }, artifacts: {}, host: {}, timeline: [], startedAt: '', finishedAt: '',
  };
}

/** An attempt runner that plays `script` (one verdict per attempt) and records the subdirs asked for. */
function scripted(script: Verdict[]) {
  const dirs: string[] = [];
  const run = async (sc: Scenario, _dir: string, subdir: (n: number) => string) => {
    const attempts: ScenarioResult[] = [];
    const mine: string[] = [];
    for (let n = 1; n <= sc.repeat; n++) {
      const v = script.shift();
      if (!v) throw new Error('the script ran out: more attempts than expected');
      mine.push(subdir(n));
      attempts.push(result(v));
      if (v !== 'passed') break;
    }
    dirs.push(...mine);
    return { summary: summarise(sc, attempts, mine), attempts };
  };
  return { run, dirs, left: () => script.length };
}

const passedBefore = new Map<string, CellSummary>([['gate/x', { verdict: 'passed', rate: '0/1' } as CellSummary]]);
const failedBefore = new Map<string, CellSummary>([['gate/x', { verdict: 'failed', rate: '1/1' } as CellSummary]]);
const cx = (baseline: Map<string, CellSummary> | undefined, run: ReturnType<typeof scripted>['run'], retry = 2) =>
  ({ dir: '/nowhere', known: [], baseline, today: '2026-12-03', retry, bundle: false, run });

t.test('a new failure that passes on retry is flaky, with its rate', async (t) => {
  const s = scripted(['failed', 'passed']);
  const f = await runCell(cell('gate/x'), cx(passedBefore, s.run));
  t.equal(f.retried, 1, 'one retry was enough');
  t.same(f.attemptVerdicts, ['failed', 'passed']);
  t.equal(f.rate, '1/2');
  t.same(s.dirs, ['1', 'retry-1']);
  t.same(f.dirs, ['cells/gate/x/1', 'cells/gate/x/retry-1']);
  t.equal(classify(f, [], passedBefore, '2026-12-03').class, 'flaky');
  t.equal(s.left(), 0);
});

t.test('failing through every retry: still a new failure, retried N×', async (t) => {
  const s = scripted(['failed', 'failed', 'failed']);
  const f = await runCell(cell('gate/x'), cx(passedBefore, s.run, 2));
  t.equal(f.retried, 2);
  t.equal(f.rate, '3/3');
  t.equal(classify(f, [], passedBefore, '2026-12-03').class, 'new-failure');
  t.ok(isNews(f, { known: [], baseline: passedBefore, today: '2026-12-03' }));
});

t.test('not news, not retried: still failing, known, no baseline, passing, retry 0', async (t) => {
  for (const [what, base, known, retry] of [
    ['still failing', failedBefore, [], 2],
    ['known', passedBefore, [{ cell: 'gate/**', title: 'exited', link: 'https://example.org/1', intermittent: false }], 2],
    ['no baseline', undefined, [], 2],
    ['retry: 0', passedBefore, [], 0],
  ] as const) {
    const s = scripted(['failed']);
    const f = await runCell(cell('gate/x'), { ...cx(base, s.run, retry), known: [...known] });
    t.equal(f.retried, undefined, `${what}: no retry`);
    t.same(s.dirs, ['1'], what);
  }
  const s = scripted(['passed']);
  t.equal((await runCell(cell('gate/x'), cx(passedBefore, s.run))).retried, undefined, 'passing: no retry');
});

t.test('bundle file names keep cell ids readable and flat', async (t) => {
  t.equal(bundleName('zfs/raw-send-usb-replug/kernel=6.1.0-56-amd64/zfs=2.3.2'), 'zfs_raw-send-usb-replug_kernel=6.1.0-56-amd64_zfs=2.3.2.bundle.tar.gz');
  t.equal(bundleName('gate/cmdline=a b,c'), 'gate_cmdline=a_b,c.bundle.tar.gz');
});
