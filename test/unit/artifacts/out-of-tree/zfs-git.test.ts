// ZFS from a git checkout: the image param form, and reading a ref without touching the repository.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cloneZfs, parseZfsGit, zfsGitSource } from '../../../../harness/artifacts/out-of-tree/zfs-git.js';

t.test('git:PATH@REF, or a version', async (t) => {
  t.same(parseZfsGit('git:/src/zfs@zfs-2.3.2'), { repo: '/src/zfs', ref: 'zfs-2.3.2' });
  t.equal(parseZfsGit('2.3.2'), undefined);
});

t.test('a tagged commit: version from META, shared clone at the commit, user tree untouched', async (t) => {
  const base = t.testdir({ repo: {} });
  const repo = join(base, 'repo');
  const g = (...a: string[]) => execFileSync('git', ['-C', repo, ...a], { encoding: 'utf8' }).trim();
  g('init', '-q');
  writeFileSync(join(repo, 'META'), 'Meta: 1\nName: zfs\nVersion: 2.3.2\nRelease: 1\n');
  g('add', 'META');
  g('-c', 'user.email=k@r', '-c', 'user.name=k', 'commit', '-qm', 'one');
  g('tag', 'zfs-2.3.2');
  writeFileSync(join(repo, 'META'), 'Version: 2.4.0\n'); // uncommitted edit in the user's tree
  const s = await zfsGitSource({ repo, ref: 'zfs-2.3.2' });
  t.equal(s.version, '2.3.2');
  t.match(s.commit, /^[0-9a-f]{40}$/);
  const dest = join(base, 'clone', 'src');
  await cloneZfs(s, dest);
  t.match(readFileSync(join(dest, 'META'), 'utf8'), /Version: 2\.3\.2/);
  t.equal(execFileSync('git', ['-C', dest, 'describe', '--tags'], { encoding: 'utf8' }).trim(), 'zfs-2.3.2', 'describe works for make gitrev');
  t.equal(readFileSync(join(repo, 'META'), 'utf8'), 'Version: 2.4.0\n', "the user's work tree is as it was");
  await t.rejects(zfsGitSource({ repo, ref: 'nope' }), /cannot resolve the ref/);
});
