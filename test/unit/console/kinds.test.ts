// The kinds table: every row is exercised by a fixture log, and rows are well formed.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { KINDS, treePath } from '../../../harness/console/kinds.js';

const DIR = join(import.meta.dirname, '../../fixtures/console');

t.test('every kind has a fixture whose answer names it', async (t) => {
  const seen = new Set<string>();
  for (const f of readdirSync(DIR).filter((f) => f.endsWith('.expected.json'))) {
    const doc = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { crashes: Array<{ kind: string }> };
    for (const c of doc.crashes) seen.add(c.kind);
  }
  // Notes are asserted by title in the fixtures; their kinds are listed here.
  for (const k of KINDS.filter((k) => k.note)) seen.add(k.kind);
  for (const kind of new Set(KINDS.map((k) => k.kind))) t.ok(seen.has(kind), kind);
});

t.test('rows are well formed', async (t) => {
  for (const k of KINDS) {
    t.ok(k.start.source.startsWith('^'), `${k.kind}: start is anchored`);
    t.ok(k.end.maxLines > 0, `${k.kind}: bounded`);
    if (k.burst) t.ok(k.partOf?.includes(k.kind), `${k.kind}: later hits of a burst join it`);
  }
});

t.test('source paths are read from the kernel tree\'s top-level directory', async (t) => {
  t.equal(treePath('../../../kernel-src/939d94e4/linux-source-6.12/mm/usercopy.c'), 'mm/usercopy.c', 'krepro\'s out-of-tree build');
  t.equal(treePath('/usr/src/linux-6.12/arch/x86/kernel/traps.c'), 'arch/x86/kernel/traps.c', 'absolute, a top-level name further down stays');
  t.equal(treePath('/home/u/kernel/linux/lib/refcount.c'), 'lib/refcount.c', 'a directory named like a top-level one above the tree');
  t.equal(treePath('lib/list_debug.c'), 'lib/list_debug.c', 'already relative');
  t.equal(treePath('/root/.cache/krepro/kmod/src/crashmod.c'), '/root/.cache/krepro/kmod/src/crashmod.c', 'an out-of-tree module keeps its path');
});
