// A bug bundle end to end: a scenario whose step crashes the kernel
// (sysrq c) runs, `krepro bundle` packs the failed attempt, `krepro replay`
// re-runs it from a fresh directory under a lock written from the manifest
// and gets the same verdict and crash title, on the same kernel and image
// hashes. A manifest with one hash changed is refused before anything boots:
// exit 3, error/infra, the artifact and both hashes named.
import t from 'tap';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ScenarioResult } from '../../harness/results/types.js';
import { krepro, qemuPids, ROOT, runDir } from './helpers.js';

const SCENARIO = join(ROOT, 'test', 'e2e', 'scenarios', 'sysrq-crash.yaml');
const TITLE = 'panic: sysrq triggered crash';

interface ManifestJson {
  packages: Record<string, { sha256: string }>;
  artifacts: Record<string, { hash: string }>;
}

t.test('a crash is bundled, and the bundle replays in a fresh directory to the same verdict and crash title', async (t) => {
  const work = t.testdir();
  const results = join(work, 'results');
  const run = await krepro(['run', SCENARIO, '--results', results]);
  t.equal(run.exitCode, 1, 'the run fails', { output: run.all });
  const attempt = join(await runDir(results), 'sysrq-crash');
  const original = JSON.parse(await readFile(join(attempt, 'result.json'), 'utf8')) as ScenarioResult;
  t.equal(original.crashes[0]?.title, TITLE);

  const bundle = join(work, 'out', 'sysrq.tar.gz');
  const b = await krepro(['bundle', attempt, '--out', bundle]);
  t.equal(b.exitCode, 0, 'krepro bundle exits 0', { output: b.all });
  t.match(b.stdout, `wrote ${bundle} (sysrq-crash: failed/crash, `);
  t.ok(existsSync(bundle));

  // Another directory, another cwd: nothing of the original run is reachable but the tarball.
  const elsewhere = join(work, 'elsewhere');
  await mkdir(elsewhere);
  const replaying = krepro(['replay', bundle, '--results', join(elsewhere, 'replays')], { cwd: elsewhere });
  const r = await replaying;
  t.equal(r.exitCode, 1, 'exit status as krepro run: failed', { output: r.all });
  t.match(r.stdout, `original: failed/crash: ${TITLE} (step 2)\nreplayed: failed/crash: ${TITLE} (step 2)\nsame outcome`);
  const [replayDir] = await readdir(join(elsewhere, 'replays'));
  const base = join(elsewhere, 'replays', replayDir!);
  const replayed = JSON.parse(await readFile(join(base, 'run', 'sysrq-crash', 'result.json'), 'utf8')) as ScenarioResult;
  t.equal(replayed.verdict, 'failed');
  t.equal(replayed.reason, 'crash');
  t.equal(replayed.crashes[0]?.title, TITLE, 'the same crash title');
  t.equal(replayed.crashes[0]?.step, 2, 'at the same step');
  t.equal(replayed.file, join(base, 'bundle', 'sysrq', 'scenario', 'sysrq-crash.yaml'), 'the scenario ran from the unpacked bundle');
  t.equal(replayed.artifacts.lock?.path, join(base, 'bundle', 'sysrq', 'scenario', 'sysrq-crash.lock.json'), 'under the lock written from the manifest');
  for (const k of Object.keys(original.artifacts).filter((k) => k !== 'lock')) {
    t.equal(replayed.artifacts[k]?.hash, original.artifacts[k]!.hash, `${k}: the same hash as the original run`);
  }
  const rj = JSON.parse(await readFile(join(base, 'replay.json'), 'utf8')) as { same: boolean };
  t.equal(rj.same, true, 'replay.json says the outcome is the same');
  // Its QEMU's argv names the replay's private dir (/tmp/krepro--PID-…): none may outlive it.
  t.same(qemuPids({ arg: `krepro--${replaying.pid}-` }), [], 'no QEMU of the replay left behind');
});

/** Unpack a bundle into `dir` (one t.testdir() per test: a second would empty the first), change its manifest, pack it again. */
async function tampered(dir: string, bundle: string, edit: (m: ManifestJson, top: string) => Promise<void> | void): Promise<string> {
  await mkdir(dir);
  await execa('tar', ['-xzf', bundle, '-C', dir]);
  const [top] = await readdir(dir);
  const file = join(dir, top!, 'manifest.json');
  const m = JSON.parse(await readFile(file, 'utf8')) as ManifestJson;
  await edit(m, join(dir, top!));
  await writeFile(file, JSON.stringify(m, null, 2));
  const out = join(dir, '..', `${top}-tampered.tar.gz`);
  await execa('tar', ['-C', dir, '-czf', out, top!]);
  return out;
}

t.test('a bundle whose manifest names another hash is refused before anything boots: exit 3, the artifact and both hashes', async (t) => {
  const work = t.testdir();
  const results = join(work, 'results');
  const run = await krepro(['run', SCENARIO, '--results', results]);
  t.equal(run.exitCode, 1, { output: run.all });
  const attempt = join(await runDir(results), 'sysrq-crash');
  const bundle = join(work, 'b.tar.gz');
  t.equal((await krepro(['bundle', attempt, '--out', bundle])).exitCode, 0);
  const fake = 'f'.repeat(64);

  const pkg = 'linux-image-6.1.0-56-amd64';
  let real = '';
  const debBundle = await tampered(join(work, 'deb'), bundle, (m) => { real = m.packages[pkg]!.sha256; m.packages[pkg]!.sha256 = fake; });
  const r = await krepro(['replay', debBundle, '--results', join(work, 'r1')]);
  t.equal(r.exitCode, 3, 'refused: exit 3', { output: r.all });
  t.match(r.stdout, /^replayed: error\/infra: replay refused/m);
  t.match(r.stdout, `${pkg} 6.1.192-2: sha256 mismatch`, 'names the package');
  t.match(r.stdout, real, 'the hash of the .deb it found');
  t.match(r.stdout, fake, 'and the hash the bundle demands');
  const [d1] = await readdir(join(work, 'r1'));
  t.same((await readdir(join(work, 'r1', d1!))).sort(), ['bundle', 'replay.json'], 'no run started: the unpacked bundle and replay.json only');
  t.notMatch(r.all, /FAILED|PASSED|ERROR /, 'the runner said nothing');

  let kernelHash = '';
  const kBundle = await tampered(join(work, 'kernel'), bundle, (m) => { kernelHash = m.artifacts.kernel!.hash; m.artifacts.kernel!.hash = fake; });
  const k = await krepro(['replay', kBundle, '--results', join(work, 'r2')]);
  t.equal(k.exitCode, 3, { output: k.all });
  t.match(k.stdout, `kernel: hash mismatch: the bundle has ${fake} (debian:6.1.0-56-amd64@6.1.192-2), this machine resolved ${kernelHash}`);

  // The scenario edited inside the bundle, the manifest left as it was: a damaged bundle, never run.
  const sBundle = await tampered(join(work, 'scenario'), bundle, async (_m, top) => {
    await writeFile(join(top, 'scenario', 'sysrq-crash.yaml'), `${await readFile(join(top, 'scenario', 'sysrq-crash.yaml'), 'utf8')}  - run: true\n`);
  });
  const sc = await krepro(['replay', sBundle, '--results', join(work, 'r3')]);
  t.equal(sc.exitCode, 3, { output: sc.all });
  t.match(sc.stdout, /the bundle is damaged:\n {2}scenario\/sysrq-crash\.yaml: the manifest says sha256 [0-9a-f]{64}, the bundle has [0-9a-f]{64}/);
});
