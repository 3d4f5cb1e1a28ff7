// krepro bisect --versions over real Debian kernels from three releases: a
// scenario whose step fails on any 6.12 kernel (uname -r, read in the guest),
// bisected over bullseye-security's 6.1 build, bookworm's 6.1, bookworm's 6.12
// and trixie's 6.12 — so the answer is known: the first bad version is
// 6.12.118+deb12-amd64, the last good one 6.1.0-56-amd64. The first leg is
// stopped with SIGINT after both ends are verified and the search resumes.
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { interruptBisectAfter, krepro, leftoverQemu } from './helpers.js';
import type { BisectState } from '../../harness/bisect/types.js';

const VERSIONS = ['6.1.0-0.deb11.48-amd64', '6.1.0-56-amd64', '6.12.118+deb12-amd64', '6.12.118+deb13-amd64'];
const SCENARIO = `name: bisect-versions
kernel: { debian: 6.1.0-56-amd64 }
image: base
machine: { memory: 1G, cpus: 2 }
timeout: 5m
steps:
  - run: 'case "$(uname -r)" in 6.12.*) echo "broken on $(uname -r)"; exit 1 ;; *) echo "fine on $(uname -r)" ;; esac'
`;

t.test('a version not in the archive is bad input (exit 2), with the kernels the archive has', async (t) => {
  const dir = t.testdir({ 's.yaml': SCENARIO });
  const r = await krepro(['bisect', join(dir, 's.yaml'), '--good', '5.10.0-31-amd64', '--bad', '6.1.0-56-amd64', '--versions', 'auto', '--results', join(dir, 'results')]);
  t.equal(r.exitCode, 2, 'exit 2', { output: r.all });
  t.match(r.all, /not in Debian's archive: 5\.10\.0-31-amd64; the amd64 kernels it has, oldest first: 5\.10\.0-\d+-amd64, /);
  const r2 = await krepro(['bisect', join(dir, 's.yaml'), '--good', VERSIONS[0]!, '--bad', VERSIONS[3]!, '--versions', `${VERSIONS[0]},${VERSIONS[2]}`, '--results', join(dir, 'results')]);
  t.equal(r2.exitCode, 2);
  t.match(r2.all, /must both be in --versions/);
});

t.test('bisect four Debian kernels of three releases: survives SIGINT, names 6.12.118+deb12-amd64', async (t) => {
  const dir = t.testdir();
  const scenario = join(dir, 'bisect-versions.yaml');
  await writeFile(scenario, SCENARIO);
  const resultsDir = join(dir, 'results');
  const started = Date.now();
  const first = krepro(['bisect', scenario, '--good', VERSIONS[0]!, '--bad', VERSIONS[3]!, '--versions', VERSIONS.join(','), '--runs', '1', '--results', resultsDir]);
  const poll = interruptBisectAfter(first, resultsDir, 2);
  const r1 = await first;
  const bisectDir = await poll;
  t.equal(r1.exitCode, 130, 'the interrupted leg exits 130', { output: r1.all?.slice(-3000) });
  const before = JSON.parse(await readFile(join(bisectDir, 'bisect.json'), 'utf8')) as BisectState;
  t.same(before.points.slice(0, 2).map((p) => [p.commit, p.role, p.verdict]), [[VERSIONS[3], 'bad-end', 'bad'], [VERSIONS[0], 'good-end', 'good']], 'both ends verified first');
  t.match(before.reference, { reason: 'step-failed', step: /broken on|uname -r/ }, 'the reference failure: the step, from the bad end');
  t.same(before.versions?.list.map((v) => v.version), VERSIONS);
  t.same(before.versions?.list.map((v) => v.suite), ['bullseye-security', 'bookworm-security', 'bookworm-security', 'trixie-security'], 'each version from its release');

  const r2 = await krepro(['bisect', '--resume', bisectDir]);
  const wallMs = Date.now() - started;
  t.equal(r2.exitCode, 0, 'the resumed search finds the first bad version', { output: r2.all?.slice(-4000) });
  t.match(r2.all, /6\.12\.118\+deb12-amd64 is the first bad version\n\s+linux-image-6\.12\.118\+deb12-amd64 6\.12\.118-1~deb12u1 \(bookworm-security\)\n\s+last good: 6\.1\.0-56-amd64/);
  const s = JSON.parse(await readFile(join(bisectDir, 'bisect.json'), 'utf8')) as BisectState;
  t.equal(s.firstBad?.version.version, VERSIONS[2]);
  t.equal(s.firstBad?.lastGood.version, VERSIONS[1]);
  t.same(s.points.slice(0, 2).map((p) => p.startedAt), before.points.slice(0, 2).map((p) => p.startedAt), 'the ends were not run again');
  t.same(s.points.map((p) => [p.commit, p.verdict]), [[VERSIONS[3], 'bad'], [VERSIONS[0], 'good'], [VERSIONS[1], 'good'], [VERSIONS[2], 'bad']], 'the search: ends, then 6.1.0-56 (good), then 6.12.118+deb12 (bad)');
  for (const p of s.points) {
    t.equal(p.build?.kernel.identity.replace(/@.*/, ''), `debian:${p.commit}`, `${p.commit}: the point's kernel`);
    t.equal(p.attempts.at(-1)?.guestSrcversions?.['uname-r'], p.commit, `${p.commit}: the guest booted it`);
  }
  const md = await readFile(join(bisectDir, 'bisect.md'), 'utf8');
  t.match(md, /\*\*First bad version: `6\.12\.118\+deb12-amd64`\*\*/);
  t.match(md, /## Search log\n\n```\n# bad: \[6\.12\.118\+deb13-amd64\]/);
  t.comment(`wall time ${(wallMs / 1000).toFixed(0)} s for ${s.points.length} points`);
  // By the pids the points' result.json files recorded: QEMU's argv never names the bisection's dir.
  t.same(await leftoverQemu(bisectDir), [], 'no QEMU left behind');
});
