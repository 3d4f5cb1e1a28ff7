// The ZFS image for a kernel is built once: a second build of the same
// (zfs version, kernel, compiler) finds the module build and the image in the
// cache and rebuilds nothing (no temp build dirs, entries untouched).
import t from 'tap';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { resolveKernel } from '../../harness/artifacts/kernel/resolve.js';
import { buildImage } from '../../harness/artifacts/image/image.js';
import { buildZfs } from '../../harness/artifacts/out-of-tree/zfs.js';
import { cacheRoot } from '../../harness/artifacts/store/root.js';
import { ROOT } from './helpers.js';

const pos = { file: 'test', line: 1, col: 1 };

t.test('second zfs image build is a cache hit', async (t) => {
  const kernel = await resolveKernel({ kind: 'debian', abi: '6.1.0-56-amd64', pos });
  const spec = { name: 'zfs', recipe: resolve(ROOT, 'images', 'zfs.yaml'), params: { zfs: '2.3.2' }, pos };
  const first = await buildImage(spec, kernel); // builds on a cold cache (~6 min on 2 cores), else a hit already
  const mod = await buildZfs('2.3.2', kernel);
  const before = { image: (await stat(first.initrd)).mtimeMs, log: (await stat(mod.log)).mtimeMs };
  t.ok(mod.modules.has('extra/zfs.ko') && mod.modules.has('extra/spl.ko'), 'spl.ko and zfs.ko built');
  t.ok(mod.packages.some((p) => p.startsWith('zfsutils-linux=2.3.2-')), 'userland of the same version');
  t.ok(mod.packages.some((p) => p.startsWith('libzfs6linux=')), '2.3 library names');

  const second = await buildImage(spec, kernel);
  const again = await buildZfs('2.3.2', kernel);
  t.equal(second.hash, first.hash, 'same image key');
  t.equal(again.hash, mod.hash, 'same module build key');
  t.equal((await stat(second.initrd)).mtimeMs, before.image, 'image entry untouched');
  t.equal((await stat(again.log)).mtimeMs, before.log, 'module build entry untouched (its build.log is the same file)');
  // Only this entry's temp dirs count: other krepro processes may be building other entries.
  const temps = (await readdir(join(cacheRoot(), 'zfs-module'))).filter((n) => n.startsWith(`.tmp-${mod.hash}`));
  t.same(temps, [], 'no build of this entry started');
});
