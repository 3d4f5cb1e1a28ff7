// ZFS from a git checkout at a ref: a local repository made from Debian's
// zfs-dkms 2.3.2 source (a release tree: configure present, no make_gitrev.sh),
// tagged, then edited without committing — the module must be built from the
// tag, cloned into the cache, with the repository left as it was.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptDownload } from '../../harness/artifacts/store/apt.js';
import { runScenario } from './helpers.js';

t.test('image { zfs: git:REPO@zfs-2.3.2 } builds, loads, and leaves the repository alone', async (t) => {
  // Not t.testdir(): runScenario takes that one for the results (and empties it).
  const dir = mkdtempSync(join(tmpdir(), 'krepro-zfs-git-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const deb = (await aptDownload(['zfs-dkms=2.3.2-2~bpo12+2'])).get('zfs-dkms')!;
  execFileSync('dpkg-deb', ['-x', deb, join(dir, 'x')]);
  const repo = join(dir, 'zfs');
  execFileSync('mv', [join(dir, 'x', 'usr', 'src', 'zfs-2.3.2'), repo]);
  const g = (...a: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.email=k@r', '-c', 'user.name=k', ...a], { encoding: 'utf8' });
  g('init', '-q');
  g('add', '-A');
  g('commit', '-qm', 'zfs-dkms 2.3.2');
  g('tag', 'zfs-2.3.2');
  writeFileSync(join(repo, 'META'), 'not a release\n');
  const status = g('status', '--porcelain');
  mkdirSync(join(dir, 's'));
  const file = join(dir, 's', 'zfs-git.yaml');
  writeFileSync(file, `name: zfs-git\nimage: { zfs: { zfs: "git:${repo}@zfs-2.3.2" } }\nmachine: { memory: 2G }\ntimeout: 10m\nsteps:\n  - run: zfs version && grep -w '^zfs' /proc/modules\n`);
  const { res, output } = await runScenario(t, file, 'zfs-git');
  t.equal(res.verdict, 'passed', res.message, { output });
  t.equal(g('status', '--porcelain'), status, 'repository state unchanged');
  t.equal(readFileSync(join(repo, 'META'), 'utf8'), 'not a release\n');
});
