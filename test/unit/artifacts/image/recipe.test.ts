import t from 'tap';
import { join } from 'node:path';
import { globRegex, loadRecipe } from '../../../../harness/artifacts/image/recipe.js';

t.test('a recipe extends its parent: lists appended, files overlaid, params defaulted', async (t) => {
  const dir = t.testdir({
    'base.yaml': 'name: base\nfiles: base\npackages: [busybox-static]\nmodules: [virtio_blk]\nautoload: [ext4]\nexclude: [usr/share]\n',
    'zfs.yaml': 'extends: base\nname: zfs\nparams: { zfs: 2.1.11-1 }\npackages: ["zfsutils-linux=${zfs}"]\nmodules: [zfs]\nautoload: ["usb_storage delay_use=${zfs}"]\nfiles: zfs-files\n',
  });
  const r = await loadRecipe(join(dir, 'zfs.yaml'));
  t.equal(r.name, 'zfs');
  t.same(r.packages, ['busybox-static', 'zfsutils-linux=2.1.11-1']);
  t.same(r.modules, ['virtio_blk', 'zfs']);
  t.same(r.autoload, ['ext4', 'usb_storage delay_use=2.1.11-1'], 'autoload appended and substituted like modules');
  t.same(r.exclude, ['usr/share']);
  t.same(r.files, [join(dir, 'base'), join(dir, 'zfs-files')]);
  t.same(r.sources, [join(dir, 'base.yaml'), join(dir, 'zfs.yaml')]);
  const over = await loadRecipe(join(dir, 'zfs.yaml'), { zfs: '2.3.2-2~bpo12+2' });
  t.same(over.packages, ['busybox-static', 'zfsutils-linux=2.3.2-2~bpo12+2']);
});

t.test('recipe mistakes are named', async (t) => {
  const dir = t.testdir({
    'typo.yaml': 'pakages: [x]\n',
    'param.yaml': 'packages: ["x=${nope}"]\n',
    'loop.yaml': 'extends: loop\n',
    'ok.yaml': 'packages: [x]\n',
  });
  await t.rejects(loadRecipe(join(dir, 'typo.yaml')), /unknown key 'pakages'/);
  await t.rejects(loadRecipe(join(dir, 'param.yaml')), /unknown parameter \$\{nope\}/);
  await t.rejects(loadRecipe(join(dir, 'loop.yaml')), /loops/);
  await t.rejects(loadRecipe(join(dir, 'ok.yaml'), { zfs: 1 }), /not declared/);
  t.equal((await loadRecipe(join(dir, 'ok.yaml'))).name, 'ok');
});

t.test('the shipped base recipe loads', async (t) => {
  const r = await loadRecipe(new URL('../../../../images/base.yaml', import.meta.url).pathname);
  t.equal(r.name, 'base');
  t.ok(r.packages.includes('dropbear-bin'));
  t.ok(r.modules.includes('virtio_net'), 'SSH needs the network driver at boot');
  t.ok(r.autoload.includes('virtio_blk') && !r.modules.includes('virtio_blk'), 'disk drivers load on demand');
});

t.test('exclude globs', async (t) => {
  t.ok(globRegex('usr/share').test('usr/share'));
  t.notOk(globRegex('usr/share').test('usr/share2'));
  t.ok(globRegex('lib/*/libmvec.so.*').test('lib/x86_64-linux-gnu/libmvec.so.1'));
  t.notOk(globRegex('lib/*.so').test('lib/a/b.so'));
  t.ok(globRegex('**/*.a').test('usr/lib/x/libz.a'));
  t.ok(globRegex('**/*.a').test('libz.a'));
});
