// Every Debian release in krepro's private apt, pinned so that a bare name
// stays where it always was (bookworm, then its backports) and another
// release serves only what it alone has or what is asked by exact version.
// Real apt on hand-written lists of the real suites: no network.
import t from 'tap';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const cache = t.testdir({});
process.env.KREPRO_CACHE = cache;
const { apt, aptRoot, SUITES } = await import('../../../../harness/artifacts/store/apt.js');

/** The suites' packages, as the real archive has them (versions of 2026-12). */
const ARCHIVE: Record<string, Array<[string, string]>> = {
  bookworm: [['busybox', '1:1.35.0-4+deb12u1+b1'], ['zfs-dkms', '2.1.11-1+deb12u1']],
  'bookworm-backports': [['zfs-dkms', '2.3.2-2~bpo12+2']],
  bullseye: [['busybox', '1:1.30.1-6+b3'], ['zfs-dkms', '2.0.3-9+deb11u1'], ['linux-image-5.10.0-32-amd64', '5.10.223-1']],
  'bullseye-security': [['zfs-dkms', '2.0.3-9+deb11u2']],
  trixie: [['busybox', '1:1.37.0-6+b9'], ['zfs-dkms', '2.3.9-0+deb13u1'], ['linux-image-6.12.118+deb13-amd64', '6.12.118-1']],
};

async function writeLists(): Promise<void> {
  await apt('apt-cache', ['policy']); // writes the private configuration
  const lists = join(aptRoot(), 'state', 'lists');
  await mkdir(lists, { recursive: true });
  for (const s of SUITES) {
    const host = s.security ? 'deb.debian.org_debian-security' : 'deb.debian.org_debian';
    await writeFile(join(lists, `${host}_dists_${s.suite}_InRelease`),
      `Origin: Debian\nLabel: Debian\nSuite: ${s.suite}\nCodename: ${s.suite}\nArchitectures: amd64\nComponents: main contrib\nDate: Sun, 01 Nov 2026 00:00:00 UTC\n`);
    const stanzas = (ARCHIVE[s.suite] ?? []).map(([p, v]) =>
      `Package: ${p}\nVersion: ${v}\nArchitecture: amd64\nFilename: pool/${s.suite}/${p}_${v.replace(/^\d+:/, '')}_amd64.deb\nSize: 1000\nSHA256: ${'0'.repeat(64)}\nDescription: ${p}\n`);
    await writeFile(join(lists, `${host}_dists_${s.suite}_main_binary-amd64_Packages`), stanzas.join('\n'));
  }
}

/** The candidate apt would download for a request, and the suite it comes from. */
async function candidate(name: string): Promise<string> {
  const m = /Candidate: (\S+)/.exec(await apt('apt-cache', ['policy', name]));
  return m?.[1] ?? '(none)';
}

t.before(writeLists);

t.test('the private sources name bullseye, bookworm (+ backports) and trixie with their updates and security suites', async (t) => {
  const sources = await readFile(join(aptRoot(), 'etc', 'sources.list'), 'utf8');
  for (const suite of ['bullseye', 'bullseye-updates', 'bullseye-security', 'bookworm', 'bookworm-updates', 'bookworm-security', 'bookworm-backports', 'trixie', 'trixie-updates', 'trixie-security']) {
    t.match(sources, new RegExp(` ${suite} main contrib$`, 'm'), suite);
  }
});

t.test('a bare name resolves where it always did: bookworm, then bookworm-backports — never a newer trixie or an older bullseye', async (t) => {
  t.equal(await candidate('busybox'), '1:1.35.0-4+deb12u1+b1');
  t.equal(await candidate('zfs-dkms'), '2.1.11-1+deb12u1');
});

t.test('a name only one release has comes from that release', async (t) => {
  t.equal(await candidate('linux-image-5.10.0-32-amd64'), '5.10.223-1');
  t.equal(await candidate('linux-image-6.12.118+deb13-amd64'), '6.12.118-1');
});

t.test('name=version is taken from the release that has exactly that version', async (t) => {
  for (const [req, suite] of [
    ['zfs-dkms=2.3.9-0+deb13u1', 'trixie'],
    ['zfs-dkms=2.0.3-9+deb11u2', 'bullseye-security'],
    ['zfs-dkms=2.3.2-2~bpo12+2', 'bookworm-backports'],
    ['busybox=1:1.30.1-6+b3', 'bullseye'],
  ] as const) {
    const out = await apt('apt-get', ['download', '--print-uris', '-q', req]);
    t.match(out, `/pool/${suite}/${req.split('=')[0]}_`, req);
  }
});
