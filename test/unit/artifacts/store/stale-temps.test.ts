// A killed run's temp dir that cannot be removed (the issue-12 case: a
// leftover writer made rmdir fail with ENOTEMPTY) must not fail the next run.
// `chattr +i` makes a file undeletable even for root, deterministically.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cached } from '../../../../harness/artifacts/store/cache.js';

const root = t.testdir({});
process.env.KREPRO_CACHE = root;

t.test('a dead run\'s temp dir that will not go is left alone; the build succeeds', async (t) => {
  const stale = join(root, 'kernel', '.tmp-abc-999999-deadbeef', 'lib', 'modules', '6.1.0');
  await mkdir(stale, { recursive: true });
  await writeFile(join(stale, 'stuck'), 'x');
  execFileSync('chattr', ['+i', join(stale, 'stuck')]);
  t.teardown(() => execFileSync('chattr', ['-i', join(stale, 'stuck')]));
  const p = await cached('kernel', 'abc', async (dir) => writeFile(join(dir, 'v'), 'v'));
  t.equal(await readFile(join(p, 'v'), 'utf8'), 'v', 'the entry was built');
});

t.test('a build that fails keeps its own error even when its temp dir will not go', async (t) => {
  await t.rejects(cached('kernel', 'def', async (dir) => {
    await writeFile(join(dir, 'stuck'), 'x');
    execFileSync('chattr', ['+i', join(dir, 'stuck')]);
    t.teardown(() => execFileSync('chattr', ['-i', join(dir, 'stuck')]));
    throw new Error('make: *** [Makefile:1234: vmlinux] Error 2');
  }), /vmlinux\] Error 2/);
});
