// Lock files (NAME.lock.json): their format, and aptFetch obeying a lock from
// krepro's cache alone — the path a run takes once a version has left the archive.
import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatLock, inPackageScope, lockPathFor, parseLock, type Lock, type LockedPackage, type PackageScope } from '../../../../harness/artifacts/store/lock.js';
import { aptFetch, archivesDir } from '../../../../harness/artifacts/store/apt.js';
import { InfraError, InputError } from '../../../../harness/util/errors.js';

const root = t.testdir({});
process.env.KREPRO_CACHE = root;

const busybox: LockedPackage = {
  version: '1:1.35.0-4+deb12u1+b1', size: 928188, file: 'busybox-static_1%3a1.35.0-4+deb12u1+b1_amd64.deb',
  sha256: '3d3fdbe91d4660c873e14b092c213fe81c1da6362daa236eb25d0171eb108744',
};
const image: LockedPackage = {
  version: '6.1.192-2', size: 69437040, file: 'linux-image-6.1.0-56-amd64_6.1.192-2_amd64.deb',
  sha256: 'a86e2049672f52354c4536a089203b6c82639420424d31c91cf31a181fd4d8f1',
};

t.test('a scenario’s lock sits beside it, named after it', async (t) => {
  t.equal(lockPathFor('/s/smoke/boot.yaml'), '/s/smoke/boot.lock.json');
  t.equal(lockPathFor('/s/x.yml'), '/s/x.lock.json');
  t.equal(lockPathFor('rel/odd'), 'rel/odd.lock.json');
});

t.test('the lock text is stable: names sorted, no timestamp, and it reads back the same', async (t) => {
  const a = formatLock('boot.yaml', new Map([['linux-image-6.1.0-56-amd64', image], ['busybox-static', busybox]]));
  const b = formatLock('boot.yaml', new Map([['busybox-static', busybox], ['linux-image-6.1.0-56-amd64', image]]));
  t.equal(a, b, 'insertion order does not matter');
  t.ok(a.indexOf('busybox-static') < a.indexOf('linux-image'), 'sorted by name');
  t.match(a, /"refresh": "krepro lock boot\.yaml"/, 'says how to refresh it');
  const lock = parseLock(a, '/s/boot.lock.json');
  t.equal(lock.scenario, 'boot.yaml');
  t.same([...lock.packages], [['busybox-static', busybox], ['linux-image-6.1.0-56-amd64', image]]);
  t.equal(lock.sha256, createHash('sha256').update(a).digest('hex'));
});

t.test('a malformed lock is an input error naming the file and the entry', async (t) => {
  const f = '/s/boot.lock.json';
  const good = JSON.parse(formatLock('boot.yaml', new Map([['busybox-static', busybox]]))) as { packages: Record<string, Record<string, unknown>> };
  const spoilt = (edit: (p: Record<string, unknown>) => void): string => {
    const d = structuredClone(good);
    edit(d.packages['busybox-static']!);
    return JSON.stringify(d);
  };
  t.throws(() => parseLock('{', f), new InputError(''), 'not JSON');
  t.throws(() => parseLock('{', f), /\/s\/boot\.lock\.json: not JSON/);
  t.throws(() => parseLock('{"lockVersion":2,"packages":{}}', f), /lockVersion 2 is not 1/);
  t.throws(() => parseLock(spoilt((p) => { p.sha256 = 'abc'; }), f), /busybox-static: 'sha256' must be 64 lowercase hex digits/);
  t.throws(() => parseLock(spoilt((p) => { p.version = 'latest'; }), f), /busybox-static: 'version' must be a Debian version/);
  t.throws(() => parseLock(spoilt((p) => { p.file = '../x.deb'; }), f), /'file' must be a \.deb file name/);
  t.throws(() => parseLock(spoilt((p) => { delete p.size; }), f), /'size' must be a positive whole number/);
});

/** A fake .deb in the private archives dir, and a lock naming it. */
async function cachedDeb(body: string, sha256?: string): Promise<{ lock: Lock; entry: LockedPackage }> {
  await mkdir(archivesDir(), { recursive: true });
  const entry: LockedPackage = { version: '2022.83-1+deb12u3', file: 'dropbear-bin_2022.83-1+deb12u3_amd64.deb', size: body.length,
    sha256: sha256 ?? createHash('sha256').update(body).digest('hex') };
  await writeFile(join(archivesDir(), entry.file), body);
  return { lock: { path: '/s/boot.lock.json', scenario: 'boot.yaml', sha256: '', packages: new Map([['dropbear-bin', entry]]) }, entry };
}

t.test('under a lock, a cached .deb with the locked hash is used without asking apt, and recorded', async (t) => {
  const { lock, entry } = await cachedDeb('pretend deb');
  const scope: PackageScope = { lock, used: new Map() };
  const got = await inPackageScope(scope, () => aptFetch(['dropbear-bin']));
  t.same(got.get('dropbear-bin'), { path: join(archivesDir(), entry.file), version: entry.version, sha256: entry.sha256, size: entry.size });
  t.same([...scope.used], [['dropbear-bin', entry]], 'the scope records what was handed out');
  // The same request with the locked version spelled out is the same package.
  t.ok((await inPackageScope(scope, () => aptFetch([`dropbear-bin=${entry.version}`]))).get('dropbear-bin'));
});

t.test('under a lock, a cached .deb whose bytes do not match is infra, with both hashes', async (t) => {
  const wrong = 'f'.repeat(64);
  const { lock } = await cachedDeb('other bytes', wrong);
  const actual = createHash('sha256').update('other bytes').digest('hex');
  const err = await inPackageScope({ lock, used: new Map() }, () => aptFetch(['dropbear-bin'])).catch((e: unknown) => e);
  t.type(err, InfraError);
  t.match((err as Error).message, `sha256 mismatch`);
  t.match((err as Error).message, actual, 'the hash the file has');
  t.match((err as Error).message, wrong, 'the hash the lock says');
});

t.test('under a lock, a package it does not name, or at another version, is infra asking for a re-lock', async (t) => {
  const { lock } = await cachedDeb('pretend deb');
  const scope: PackageScope = { lock, used: new Map() };
  await t.rejects(inPackageScope(scope, () => aptFetch(['zlib1g'])), /zlib1g is not in \/s\/boot\.lock\.json .*krepro lock boot\.yaml/);
  await t.rejects(inPackageScope(scope, () => aptFetch(['dropbear-bin=2022.83-1'])),
    /locks dropbear-bin at 2022\.83-1\+deb12u3, but the scenario asks for 2022\.83-1; run `krepro lock boot\.yaml`/);
  t.same(scope.used.size, 0, 'nothing recorded');
});
