// krepro matrix for real (TCG boots of the base image): a 2-cell matrix run
// whole and as two shards merges to the same report; then a baseline
// classification on those real result directories (one cell newly failing,
// one fixed, one new). The failing cell fails by a step: the scenario is the
// smoke boot plus one check of /proc/cmdline, and the cmdline axis decides.
import t from 'tap';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { krepro, qemuPids, runDir } from './helpers.js';
import type { MatrixSummary } from '../../harness/matrix/types.js';

const gate = (failOn: string) => `name: matrix-gate
description: the smoke boot, failing when the kernel command line holds ${failOn}
kernel: { debian: 6.1.0-56-amd64 }
image: base
machine: { memory: 1G, cpus: 2, accel: auto }
timeout: 5m
steps:
  - run: uname -a
  - run: "! grep -qw ${failOn} /proc/cmdline"
`;

const matrix = (variants: string[]) => `scenarios: [gate.yaml]
axes:
  cmdline: [${variants.map((v) => `[${v}]`).join(', ')}]
`;

async function summaryOf(dir: string): Promise<MatrixSummary> {
  return JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as MatrixSummary;
}

/** A report without what differs between two runs of the same cells: timings and run facts. */
const comparable = (s: MatrixSummary) => ({ ...s, run: undefined, cells: s.cells.map((c) => ({ ...c, durationMs: undefined })) });

t.test('a matrix run whole, and in two shards merged, give the same report; a baseline finds what is new', async (t) => {
  const root = t.testdir({});
  for (const [d, failOn] of [['a', 'krepro.t=1'], ['b', 'krepro.t=2']] as const) {
    await mkdir(join(root, d));
    await writeFile(join(root, d, 'gate.yaml'), gate(failOn));
  }
  await writeFile(join(root, 'a', 'matrix.yaml'), matrix(['krepro.t=1', 'krepro.t=2']));
  await writeFile(join(root, 'b', 'matrix.yaml'), matrix(['krepro.t=1', 'krepro.t=2', 'krepro.t=3']));
  const mA = join(root, 'a', 'matrix.yaml');

  const started = Date.now();
  const whole = await krepro(['matrix', mA, '--jobs', '1', '--results', join(root, 'whole')]);
  t.comment(`unsharded: ${((Date.now() - started) / 1000).toFixed(0)}s`);
  t.equal(whole.exitCode, 1, 'a failing cell nobody has seen before is news', { output: whole.all });
  const wholeDir = await runDir(join(root, 'whole'));
  const w = await summaryOf(wholeDir);
  t.same(w.cells.map((c) => [c.id, c.verdict, c.reason, c.rate, c.class]), [
    ['gate/cmdline=krepro.t=1', 'failed', 'step-failed', '1/1', 'new-cell'],
    ['gate/cmdline=krepro.t=2', 'passed', undefined, '0/1', 'new-cell'],
  ]);
  t.ok(w.cells.every((c) => existsSync(join(wholeDir, c.dirs[0]!, 'result.json'))), 'every cell links its attempt directory');
  t.ok(w.cells[1]!.artifacts.kernel?.hash, 'artifact identities recorded');
  t.match(await readFile(join(wholeDir, 'junit.xml'), 'utf8'), /tests="2" failures="1" errors="0"/);

  const shardDirs: string[] = [];
  for (const s of ['1/2', '2/2']) {
    const r = await krepro(['matrix', mA, '--jobs', '1', '--shard', s, '--results', join(root, `shard${s[0]}`)]);
    t.ok(r.exitCode === 0 || r.exitCode === 1, `shard ${s} ran`, { output: r.all });
    shardDirs.push(await runDir(join(root, `shard${s[0]}`)));
  }
  const counts = await Promise.all(shardDirs.map(async (d) => (await summaryOf(d)).cells.length));
  t.same(counts, [1, 1], 'each shard ran one of the two cells');
  const merged = join(root, 'merged');
  const m = await krepro(['merge-reports', ...shardDirs, '--out', merged]);
  t.equal(m.exitCode, 1, 'the merged report has the same exit status', { output: m.all });
  t.same(comparable(await summaryOf(merged)), comparable(w), 'merged shards = the unsharded run, timings aside');
  t.ok((await summaryOf(merged)).cells.every((c) => existsSync(join(merged, c.dirs[0]!, 'console.log'))), 'merged cells keep their evidence');

  // The next night: the scenario now fails on krepro.t=2 instead of 1, and a third variant is new.
  const next = await krepro(['matrix', join(root, 'b', 'matrix.yaml'), '--jobs', '1', '--baseline', merged, '--results', join(root, 'next')]);
  t.equal(next.exitCode, 1, 'a new failure makes the exit status 1', { output: next.all });
  const nextDir = await runDir(join(root, 'next'));
  const n = await summaryOf(nextDir);
  t.same(n.cells.map((c) => [c.id, c.verdict, c.class]), [
    ['gate/cmdline=krepro.t=1', 'passed', 'fixed'],
    ['gate/cmdline=krepro.t=2', 'failed', 'new-failure'],
    ['gate/cmdline=krepro.t=3', 'passed', 'new-cell'],
  ]);
  t.match(next.stdout, /NEW gate\/cmdline=krepro\.t=2/);
  // Before it is called a regression the new failure runs once more (retry: 1 by default); then it is bundled.
  const regressed = n.cells[1]!;
  t.equal(regressed.retried, 1, 'the new failure was retried before it was called one');
  t.same([regressed.rate, regressed.attemptVerdicts], ['2/2', ['failed', 'failed']]);
  t.ok(existsSync(join(nextDir, regressed.dirs[1]!, 'result.json')), 'the retry has its own attempt directory');
  t.equal(n.cells[0]!.retried, undefined, 'a fixed cell is not retried');
  t.ok(regressed.bundle && existsSync(join(nextDir, regressed.bundle)), `the new failure is bundled (${regressed.bundle})`);
  t.match(next.stdout, /bundle: \S+\.bundle\.tar\.gz/);
  t.notOk(n.cells[2]!.bundle, 'a passing cell is not bundled');
  t.same(qemuPids({ arg: 'krepro.t=' }), [], 'no QEMU of these cells left behind');
});
