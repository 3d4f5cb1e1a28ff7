// The kmod builder's inputs: which files of a module dir make its cache key, and
// how a recipe names that dir.
import t from 'tap';
import { join, resolve } from 'node:path';
import { isModuleSource } from '../../../../harness/artifacts/out-of-tree/kmod.js';
import { loadRecipe } from '../../../../harness/artifacts/image/recipe.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..', '..');

t.test('only what Kbuild reads is a source (a new scenario beside it rebuilds nothing)', async (t) => {
  for (const f of ['Kbuild', 'Makefile', 'crashmod.c', 'util.h', 'entry.S']) t.ok(isModuleSource(f), f);
  for (const f of ['crashmod.ko', 'crashmod.o', 'crashmod.mod.c', '.crashmod.o.cmd', 'modules.order', 'capture.sh', 'warn.yaml', 'README.md']) {
    t.notOk(isModuleSource(f), f);
  }
});

t.test('images/crashmod.yaml: the kmod dir is resolved beside the recipe, the module is loaded at boot', async (t) => {
  const r = await loadRecipe(join(ROOT, 'images', 'crashmod.yaml'));
  t.equal(r.build.kmod, join(ROOT, 'test', 'fixtures', 'crashmod'));
  t.ok(r.modules.includes('crashmod'));
  t.ok(r.modules.includes('virtio_net'), 'base modules come first (extends: base)');
});
