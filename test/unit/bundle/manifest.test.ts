// Bundle manifests from real result.json files (test/fixtures/bundle: a real
// sysrq crash run, and its replay under a lock) and from the matrix's
// runner-shaped cell directories: what the manifest lists, that it reads back,
// that a malformed one is refused by field, that the lock written from it is
// `krepro lock`'s, and that a replay's different hash is named with both.
// bundleAttempt runs for real (system tar) on an attempt directory laid out
// like the runner's, with its kernel cache entry and lock beside it (no apt).
import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile, copyFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { formatLock, parseLock, type LockedPackage } from '../../../harness/artifacts/store/lock.js';
import {
  artifactMismatches, artifactsOf, decidingCrash, describeOutcome, formatManifest, gitCommitsOf, lockPackages, packagesOf, parseManifest, type Manifest,
} from '../../../harness/bundle/manifest.js';
import { bundleAttempt } from '../../../harness/bundle/pack.js';
import { matrixScenarioText } from '../../../harness/bundle/matrix-cell.js';
import { sameOutcome } from '../../../harness/bundle/replay.js';
import { InputError } from '../../../harness/util/errors.js';
import type { ScenarioResult } from '../../../harness/results/types.js';
import { writeMergedReport } from '../matrix/result-dirs.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/bundle/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

async function fixture(name: string): Promise<ScenarioResult> {
  return JSON.parse(await readFile(path.join(FIXTURES, name), 'utf8')) as ScenarioResult;
}

t.test("a real run's result.json gives every Debian package it used, at its version, hash and .deb file", async (t) => {
  const r = await fixture('sysrq-crash.result.json');
  const sizes: string[] = [];
  const pkgs = packagesOf(r, (n) => (sizes.push(n), 1000 + sizes.length));
  t.same(Object.keys(pkgs), ['busybox-static', 'dropbear-bin', 'libc6', 'libcrypt1', 'libgcc-s1', 'libgmp10', 'libtomcrypt1', 'libtommath1', 'linux-image-6.1.0-56-amd64', 'zlib1g']);
  t.same(pkgs['linux-image-6.1.0-56-amd64'], {
    version: '6.1.192-2', sha256: 'a86e2049672f52354c4536a089203b6c82639420424d31c91cf31a181fd4d8f1',
    file: 'linux-image-6.1.0-56-amd64_6.1.192-2_amd64.deb', size: 1009,
  });
  t.equal(pkgs['busybox-static']!.version, '1:1.35.0-4+deb12u1+b1', 'an epoch stays in the version');
  t.equal(sizes.length, 10, 'the size is asked once per package (result.json does not carry it)');
  t.same(Object.keys(artifactsOf(r)), ['kernel', 'image'], 'the artifacts to match besides packages: kernel and image');
  t.same(artifactsOf(r).kernel, { identity: 'debian:6.1.0-56-amd64@6.1.192-2', hash: '94ae58cee0694d4848e315b140da279485b2d1bbe8b8a2e205148bb8ad20e14b' });
  const locked = await fixture('sysrq-crash-locked.result.json');
  t.ok(locked.artifacts.lock, 'the replayed run recorded its lock');
  t.notOk('lock' in artifactsOf(locked), 'the lock row is the lock itself, not an input to match');
  t.same(packagesOf(locked, () => 1), packagesOf(r, () => 1), 'the run under the lock used exactly the packages of the run it came from');
});

t.test('the deciding crash and the one-line outcome of a real crash', async (t) => {
  const r = await fixture('sysrq-crash.result.json');
  t.same(decidingCrash(r), { kind: 'panic', title: 'panic: sysrq triggered crash', signature: r.crashes[0]!.signature, step: 2 });
  t.equal(describeOutcome({ verdict: r.verdict, reason: r.reason!, message: r.message, crash: decidingCrash(r)! }), 'failed/crash: panic: sysrq triggered crash (step 2)');
  t.equal(describeOutcome({ verdict: 'error', reason: 'infra', message: 'x: sha256 mismatch\nmore' }), 'error/infra: x: sha256 mismatch');
});

t.test('a malformed result row is refused, naming the row', async (t) => {
  const r = await fixture('sysrq-crash.result.json');
  r.artifacts['deb:libc6'] = { identity: 'libc7=2.36', hash: 'ab', path: 'libc6.deb' };
  t.throws(() => packagesOf(r, () => 1), { name: 'InputError', message: /artifacts\["deb:libc6"\] has identity "libc7=2.36", not libc6=VERSION/ });
});

t.test('git commits are read from identities', async (t) => {
  t.same(gitCommitsOf({
    kernel: { identity: 'build:git:/src/linux@v6.1.100(0123456789ab) tinyconfig+qemu-virt', hash: 'h' },
    image: { identity: 'zfs', hash: 'i' },
  }), [{ artifact: 'kernel', repo: '/src/linux', ref: 'v6.1.100', commit: '0123456789ab' }]);
});

/** A runner-shaped attempt dir for the real sysrq result: scenario, lock and kernel cache entry in a temp tree. */
async function attemptDir(root: string): Promise<{ dir: string; r: ScenarioResult; lockText: string }> {
  const r = await fixture('sysrq-crash-locked.result.json');
  const scen = path.join(root, 'src', 'sysrq-crash.yaml');
  await mkdir(path.dirname(scen), { recursive: true });
  await copyFile(path.join(ROOT, 'test/e2e/scenarios/sysrq-crash.yaml'), scen);
  const packages = new Map<string, LockedPackage>(Object.entries(packagesOf(r, (n) => 100 + n.length)));
  const lockText = formatLock('sysrq-crash.yaml', packages);
  const lockPath = path.join(root, 'src', 'sysrq-crash.lock.json');
  await writeFile(lockPath, lockText);
  const boot = path.join(root, 'cache', 'kernel', 'k', 'boot');
  await mkdir(boot, { recursive: true });
  await writeFile(path.join(boot, 'vmlinuz-6.1.0-56-amd64'), 'bz');
  await writeFile(path.join(boot, 'config-6.1.0-56-amd64'), 'CONFIG_X86_64=y\n');
  r.file = scen;
  r.startedAt = '2020-01-01T00:00:00.000Z'; // the copied scenario is newer: the bundle must say so
  r.artifacts.lock = { identity: lockPath, hash: sha(lockText), path: lockPath };
  r.artifacts.kernel!.path = path.join(boot, 'vmlinuz-6.1.0-56-amd64');
  const dir = path.join(root, 'results', 'run-1', 'sysrq-crash');
  await mkdir(path.join(dir, 'steps'), { recursive: true });
  await writeFile(path.join(dir, 'result.json'), JSON.stringify(r));
  await writeFile(path.join(dir, 'console.log'), '[ 3.2] Kernel panic - not syncing: sysrq triggered crash\n');
  await writeFile(path.join(dir, 'qmp.jsonl'), '{}\n');
  await writeFile(path.join(dir, 'steps', '02-run.out'), 'x\n');
  return { dir, r, lockText };
}

t.test('krepro bundle packs an attempt: the scenario and lock, every input with its hash, the .config, the evidence, a README', async (t) => {
  const root = t.testdir();
  const { dir, r, lockText } = await attemptDir(root);
  const { path: tarball, manifest } = await bundleAttempt(dir);
  t.equal(tarball, `${dir}.bundle.tar.gz`, 'beside the attempt dir by default');
  const listed = (await execa('tar', ['-tzf', tarball])).stdout.split('\n').filter((l) => !l.endsWith('/')).sort();
  t.same(listed, [
    'sysrq-crash.bundle/README.md', 'sysrq-crash.bundle/kernel/config', 'sysrq-crash.bundle/manifest.json',
    'sysrq-crash.bundle/original/console.log', 'sysrq-crash.bundle/original/qmp.jsonl', 'sysrq-crash.bundle/original/result.json',
    'sysrq-crash.bundle/original/steps/02-run.out', 'sysrq-crash.bundle/scenario/sysrq-crash.lock.json', 'sysrq-crash.bundle/scenario/sysrq-crash.yaml',
  ]);
  const out = path.join(root, 'x');
  await mkdir(out);
  await execa('tar', ['-xzf', tarball, '-C', out]);
  const top = path.join(out, 'sysrq-crash.bundle');
  const read = parseManifest(await readFile(path.join(top, 'manifest.json'), 'utf8'), 'manifest.json');
  t.same(read, manifest, 'manifest.json reads back as written');
  t.equal(read.scenario.sha256, sha(await readFile(r.file)), 'the scenario, byte for byte');
  t.same(read.lock, { file: 'scenario/sysrq-crash.lock.json', original: r.artifacts.lock!.path, sha256: sha(lockText) });
  t.same(read.packages, Object.fromEntries(parseLock(lockText, 'l').packages), 'the packages with the sizes from the lock the attempt ran under');
  t.same(read.artifacts, artifactsOf(r));
  t.same(read.kernelConfig, { file: 'kernel/config', sha256: sha('CONFIG_X86_64=y\n') });
  t.same(read.outcome, { verdict: 'failed', reason: 'crash', message: r.message, crash: decidingCrash(r) });
  for (const [f, h] of Object.entries(read.files)) t.equal(sha(await readFile(path.join(top, f))), h, `files lists ${f} with its hash`);
  t.ok('original/steps/02-run.out' in read.files && 'kernel/config' in read.files, 'step outputs and the config are listed');
  t.match(read.notes.join('\n'), /was modified after this attempt started/, 'a scenario newer than the attempt is said');
  const readme = await readFile(path.join(top, 'README.md'), 'utf8');
  t.match(readme, 'krepro replay sysrq-crash.bundle.tar.gz', 'the one command that re-runs it');
  t.match(readme, '| kernel | debian:6.1.0-56-amd64@6.1.192-2 | 94ae58cee0694d4848e315b140da279485b2d1bbe8b8a2e205148bb8ad20e14b |');
  t.match(readme, 'linux-image-6.1.0-56-amd64 6.1.192-2 a86e2049672f52354c4536a089203b6c82639420424d31c91cf31a181fd4d8f1');
});

t.test('a directory without result.json, or a scenario that is gone, is an InputError saying what is missing', async (t) => {
  const root = t.testdir();
  await t.rejects(bundleAttempt(root), { name: 'InputError', message: /no result\.json .*give an attempt directory/ });
  const { dir, r } = await attemptDir(root);
  await writeFile(path.join(dir, 'result.json'), JSON.stringify({ ...r, file: path.join(root, 'gone.yaml') }));
  await t.rejects(bundleAttempt(dir), { name: 'InputError', message: /ran .*gone\.yaml, which cannot be read now/ });
  t.same((await readdir(path.dirname(dir))).filter((f) => f.endsWith('.tar.gz')), [], 'no tarball left behind');
});

function manifestOf(): Manifest {
  return {
    kind: 'krepro-bundle', version: 1, createdAt: '2026-12-03T13:00:00Z',
    scenario: { name: 's', file: 'scenario/s.yaml', original: '/x/s.yaml', sha256: 'a'.repeat(64) },
    attempt: 1, outcome: { verdict: 'failed', reason: 'crash', message: 'm', crash: { kind: 'panic', title: 'panic: x', signature: '1', step: 2 } },
    packages: { libc6: { version: '2.36-9', sha256: 'b'.repeat(64), size: 10, file: 'libc6_2.36-9_amd64.deb' } },
    artifacts: { kernel: { identity: 'debian:6.1.0-56-amd64@6.1.192-2', hash: 'c'.repeat(64) }, image: { identity: 'base', hash: 'd'.repeat(64) } },
    git: [], kernelConfig: { absent: 'no config' }, files: { 'README.md': 'e'.repeat(64) }, notes: [],
  };
}

t.test('a malformed manifest is refused, naming the file and the field', async (t) => {
  const ok = manifestOf();
  t.same(parseManifest(formatManifest(ok), 'm.json'), ok);
  const bad = (edit: (m: Record<string, any>) => void, msg: RegExp) => {
    const m = JSON.parse(formatManifest(ok)) as Record<string, any>;
    edit(m);
    t.throws(() => parseManifest(JSON.stringify(m), 'b/manifest.json'), { name: 'InputError', message: msg }, msg.source);
  };
  t.throws(() => parseManifest('{', 'b/manifest.json'), InputError);
  bad((m) => { m.kind = 'other'; }, /^b\/manifest\.json: kind "other" is not "krepro-bundle"/);
  bad((m) => { m.packages.libc6.sha256 = 'B'.repeat(64); }, /packages\.libc6\.sha256 must be a sha256/);
  bad((m) => { m.packages.libc6.size = 0; }, /packages\.libc6\.size must be a positive/);
  bad((m) => { m.packages.libc6.version = 'latest'; }, /packages\.libc6\.version must be a Debian version/);
  bad((m) => { m.scenario.file = '../../etc/s.yaml'; }, /scenario\.file must be a path inside the bundle/);
  bad((m) => { m.files['/etc/passwd'] = 'e'.repeat(64); }, /must be a path inside the bundle/);
  bad((m) => { delete m.artifacts.kernel.hash; }, /artifacts\.kernel must be \{ identity, hash \}/);
  bad((m) => { m.outcome.verdict = 'won'; }, /'outcome' must be/);
});

t.test("the lock written from a manifest is krepro lock's format, with the manifest's versions and hashes", async (t) => {
  const m = manifestOf();
  const text = formatLock('s.yaml', lockPackages(m));
  t.same(Object.fromEntries(parseLock(text, 's.lock.json').packages), m.packages);
  t.match(text, '"refresh": "krepro lock s.yaml"');
});

t.test("a replay's artifact with another hash is named with both hashes; equal ones pass", async (t) => {
  const m = manifestOf();
  const same = { kernel: { ...m.artifacts.kernel! }, image: { ...m.artifacts.image! }, 'deb:libc6': { identity: 'libc6=2.36-9', hash: 'b'.repeat(64) } };
  t.same(artifactMismatches(m, same), []);
  t.same(artifactMismatches(m, { ...same, image: { identity: 'base', hash: 'f'.repeat(64) } }), [
    `image: hash mismatch: the bundle has ${'d'.repeat(64)} (base), this machine resolved ${'f'.repeat(64)} (base)`,
  ]);
  t.match(artifactMismatches(m, { ...same, 'deb:libc6': { hash: '0'.repeat(64) } })[0], `deb:libc6: sha256 mismatch: the bundle has ${'b'.repeat(64)}, this machine used ${'0'.repeat(64)}`);
  const { kernel: _k, ...noKernel } = same;
  t.match(artifactMismatches(m, noKernel)[0], /^kernel: .* the replay resolved no kernel/);
});

t.test('the same outcome means the same verdict, reason and crash title', async (t) => {
  const o = manifestOf().outcome;
  t.ok(sameOutcome(o, { ...o, message: 'other words', crash: { ...o.crash!, signature: '2', step: 3 } }));
  t.notOk(sameOutcome(o, { ...o, crash: { ...o.crash!, title: 'panic: y' } }));
  t.notOk(sameOutcome(o, { verdict: 'passed', message: 'all steps passed' }));
});

t.test("a matrix attempt's scenario gets its cell's kernel, zfs and cmdline axes written in; a run's does not", async (t) => {
  const root = t.testdir();
  const { dir: merged } = await writeMergedReport(root);
  const cellDir = path.join(merged, 'cells', 'zfs/raw-send-usb-replug/kernel=6.1.0-56-amd64/zfs=2.1.11', '2');
  const r = JSON.parse(await readFile(path.join(cellDir, 'result.json'), 'utf8')) as ScenarioResult;
  const text = 'name: raw-send-usb-replug\nimage: { name: zfs, zfs: 2.3.2 }\ncmdline: [spl.spl_panic_halt=1]\nsteps:\n  - run: true\n';
  const got = await matrixScenarioText(cellDir, r, text);
  t.equal(got?.id, 'zfs/raw-send-usb-replug/kernel=6.1.0-56-amd64/zfs=2.1.11');
  t.match(got?.text, /^kernel: \{ debian: 6\.1\.0-56-amd64 \}$/m);
  t.match(got?.text, /^image: \{ name: zfs, zfs: 2\.1\.11 \}$/m);
  t.match(got?.text, /^cmdline: \[ spl\.spl_panic_halt=1 \]$/m, 'no cmdline axis: the scenario\'s own');
  t.same(got?.changed, ['kernel 6.1.0-56-amd64', 'zfs 2.1.11']);
  // The form images/base.yaml describes: { zfs: { zfs: V } }.
  t.match((await matrixScenarioText(cellDir, r, 'image: { zfs: { zfs: 2.3.2 } }\n'))?.text, /^image: \{ zfs: \{ zfs: 2\.1\.11 \} \}$/m);
  const { dir } = await attemptDir(path.join(root, 'plain'));
  t.equal(await matrixScenarioText(dir, r, text), undefined, 'a krepro run attempt is not a matrix cell');
});

t.test('krepro bundle of a matrix attempt holds the scenario with the cell axes in, and says so', async (t) => {
  const root = t.testdir();
  const { dir: merged } = await writeMergedReport(root);
  const cellDir = path.join(merged, 'cells', 'zfs/raw-send-usb-replug/kernel=6.1.0-56-amd64/zfs=2.3.2', '1');
  const r = JSON.parse(await readFile(path.join(cellDir, 'result.json'), 'utf8')) as ScenarioResult;
  // The matrix's scenario file, where this cell's result.json says it was.
  const scen = path.join(root, 'raw-send-usb-replug.yaml');
  await writeFile(scen, 'name: raw-send-usb-replug\nimage: zfs\nsteps:\n  - run: true\n');
  await writeFile(path.join(cellDir, 'result.json'), JSON.stringify({ ...r, file: scen }));
  const { path: tarball, manifest } = await bundleAttempt(cellDir, { out: path.join(root, 'cell.tar.gz') });
  const out = path.join(root, 'x');
  await mkdir(out);
  await execa('tar', ['-xzf', tarball, '-C', out]);
  const text = await readFile(path.join(out, 'cell', 'scenario', 'raw-send-usb-replug.yaml'), 'utf8');
  t.match(text, /^kernel: \{ debian: 6\.1\.0-56-amd64 \}$/m);
  t.match(text, /^image: \{ name: zfs, zfs: 2\.3\.2 \}$/m, 'a bare image name becomes { name, zfs }');
  t.equal(manifest.scenario.sha256, sha(text));
  t.match(manifest.notes.join('\n'), 'a matrix cell (zfs/raw-send-usb-replug/kernel=6.1.0-56-amd64/zfs=2.3.2)');
  t.same(manifest.kernelConfig, { absent: 'no config beside the kernel (a kernel given by path, or the cache entry is gone)' }, 'no .config to copy is said, not hidden');
  t.equal(manifest.outcome.crash?.title, decidingCrash(r)?.title, 'the deciding crash of the cell attempt (seed 000\'s SPL panic)');
  t.match(manifest.outcome.crash?.title, /zio_encrypt/);
});
