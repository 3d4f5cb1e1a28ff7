// `krepro lock` and runs under a lock, on a copy of the default scenario (no
// lock is left in scenarios/): the lock names every package the run uses with
// apt's hashes; a run follows it and records it; a version that is neither in
// the archive nor in the cache, or a .deb whose hash differs, ends error/infra.
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { apt, archivesDir } from '../../harness/artifacts/store/apt.js';
import { krepro, results, ROOT } from './helpers.js';

interface LockJson { packages: Record<string, { version: string; sha256: string; size: number; file: string }> }

/** A copy of scenarios/smoke/boot.yaml in its own dir, locked; returns the paths and the lock. */
async function lockedCopy(t: Test): Promise<{ dir: string; scenario: string; lockFile: string; lock: LockJson }> {
  const dir = t.testdir();
  const scenario = join(dir, 'boot.yaml');
  await copyFile(join(ROOT, 'scenarios', 'smoke', 'boot.yaml'), scenario);
  const r = await krepro(['lock', scenario]);
  t.equal(r.exitCode, 0, 'krepro lock exits 0', { output: r.all });
  const lockFile = join(dir, 'boot.lock.json');
  t.match(r.stdout, `wrote ${lockFile}`);
  return { dir, scenario, lockFile, lock: JSON.parse(await readFile(lockFile, 'utf8')) as LockJson };
}

async function runIn(scenario: string) {
  // Beside the scenario: a second t.testdir() in one test would empty the first.
  const out = join(scenario, '..', 'results');
  const r = await krepro(['run', scenario, '--results', out]);
  const res = (await results(out)).get('smoke-boot');
  if (!res) throw new Error(`no result.json:\n${r.all}`);
  return { r, res };
}

t.test('krepro lock writes every package of the smoke boot beside the scenario, with the hashes of the .debs it fetched', async (t) => {
  const { scenario, lockFile, lock } = await lockedCopy(t);
  const names = Object.keys(lock.packages);
  for (const n of ['linux-image-6.1.0-56-amd64', 'busybox-static', 'dropbear-bin', 'libc6']) t.ok(names.includes(n), `${n} is locked`);
  t.same(names, [...names].sort(), 'sorted');
  for (const [n, p] of Object.entries(lock.packages)) {
    // Locking fetched each one into krepro's cache: the bytes there are what the lock says.
    const bytes = await readFile(join(archivesDir(), p.file));
    t.equal(createHash('sha256').update(bytes).digest('hex'), p.sha256, `${n}: the cached .deb has the locked sha256`);
    t.equal(bytes.length, p.size, `${n}: and the locked size`);
  }
  const again = await krepro(['lock', scenario]);
  t.match(again.stdout, `unchanged ${lockFile}`, 'locking again against the same archive changes nothing');
  t.notOk(existsSync(join(ROOT, 'scenarios', 'smoke', 'boot.lock.json')), 'nothing written into scenarios/');
});

/** zlib1g's bookworm release version, older than the newest (bookworm-security's): what a lock made before the update held. */
const OLD_ZLIB = '1:1.2.13.dfsg-1';

t.test('a run uses the lock — an older version than the newest in the archive — and records the versions and hashes it used', async (t) => {
  const { scenario, lockFile, lock } = await lockedCopy(t);
  t.not(lock.packages.zlib1g?.version, OLD_ZLIB, 'krepro lock took the newest zlib1g');
  // The archive's own line for the old version (apt's print-uris: URI, file, size, SHA256:…).
  const line = (await apt('apt-get', ['download', '--print-uris', '-q', `zlib1g=${OLD_ZLIB}`])).trim();
  const m = /^'[^']+'\s+(\S+)\s+(\d+)\s+SHA256:([0-9a-f]{64})$/.exec(line);
  if (!m) throw new Error(`unexpected print-uris line: ${line}`);
  lock.packages.zlib1g = { version: OLD_ZLIB, file: m[1]!, size: Number(m[2]), sha256: m[3]! };
  await writeFile(lockFile, JSON.stringify(lock, null, 2));
  const { r, res } = await runIn(scenario);
  t.equal(r.exitCode, 0, 'passed', { output: r.all });
  t.equal(res.verdict, 'passed');
  t.equal(res.artifacts.lock?.identity, lockFile, 'result.json names the lock');
  const used = Object.fromEntries(Object.entries(res.artifacts).filter(([k]) => k.startsWith('deb:')).map(([k, v]) => [k.slice(4), v]));
  t.same(Object.keys(used).sort(), Object.keys(lock.packages).sort(), 'exactly the locked packages were used');
  t.equal(used.zlib1g?.identity, `zlib1g=${OLD_ZLIB}`, 'the old zlib1g, as locked');
  for (const [n, p] of Object.entries(lock.packages)) {
    t.equal(used[n]?.identity, `${n}=${p.version}`, `${n} at its locked version`);
    t.equal(used[n]?.hash, p.sha256, `${n} with its locked sha256`);
  }
});

t.test('a locked version that is neither in the archive nor in the cache ends error/infra, saying so', async (t) => {
  const { scenario, lockFile, lock } = await lockedCopy(t);
  const p = lock.packages['dropbear-bin']!;
  const gone = `${p.version}+krepro.gone`;
  lock.packages['dropbear-bin'] = { ...p, version: gone, file: `dropbear-bin_${gone}_amd64.deb` };
  await writeFile(lockFile, JSON.stringify(lock, null, 2));
  const { r, res } = await runIn(scenario);
  t.equal(r.exitCode, 3, 'exit 3 (error)', { output: r.all });
  t.equal(res.verdict, 'error');
  t.equal(res.reason, 'infra');
  t.match(res.message, `dropbear-bin ${gone} (locked in ${lockFile}) is no longer in the archive, and krepro's cache has no copy`);
  t.match(res.message, `Version '${gone}' for 'dropbear-bin' was not found`, "apt's own words follow");
  t.equal(res.artifacts.image, undefined, 'no image was built');
});

t.test('a cached .deb whose sha256 differs from the lock ends error/infra with both hashes', async (t) => {
  const { scenario, lockFile, lock } = await lockedCopy(t);
  const p = lock.packages['linux-image-6.1.0-56-amd64']!;
  const wrong = createHash('sha256').update('not the kernel').digest('hex');
  lock.packages['linux-image-6.1.0-56-amd64'] = { ...p, sha256: wrong };
  await writeFile(lockFile, JSON.stringify(lock, null, 2));
  const { r, res } = await runIn(scenario);
  t.equal(r.exitCode, 3, 'exit 3 (error)', { output: r.all });
  t.equal(res.verdict, 'error');
  t.equal(res.reason, 'infra');
  t.match(res.message, /linux-image-6\.1\.0-56-amd64 [^:]+: sha256 mismatch/);
  t.match(res.message, p.sha256, 'the hash the .deb has');
  t.match(res.message, wrong, 'the hash the lock says');
  t.equal(res.artifacts.kernel, undefined, 'no kernel was used');
});

t.test('a malformed lock is bad input: exit 2 before anything runs', async (t) => {
  const { scenario, lockFile, dir } = await lockedCopy(t);
  await writeFile(lockFile, '{"lockVersion": 1, "packages": {"libc6": {"version": "latest"}}}');
  const r = await krepro(['run', scenario, '--results', join(dir, 'results')]);
  t.equal(r.exitCode, 2, { output: r.all });
  t.match(r.stderr, `${lockFile}: libc6: 'version' must be a Debian version`);
  t.notOk(existsSync(join(dir, 'results')), 'no attempt began');
});
