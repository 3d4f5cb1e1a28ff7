// The snapshot store's eviction: least recently used first, never the entry just
// saved, and a restore (findSnapshot) counts as a use.
import t from 'tap';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findSnapshot, pruneSnapshots, snapshotBudget } from '../../../harness/vm/snapshot.js';

const key = (c: string): string => c.repeat(64);

async function entry(root: string, k: string, bytes: number, usedSecondsAgo: number): Promise<void> {
  const dir = join(root, 'snapshot', k);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'state'), Buffer.alloc(bytes));
  await writeFile(join(dir, 'client.key'), 'k');
  await writeFile(join(dir, 'meta.json'), JSON.stringify({ format: 1, key: k, stateBytes: bytes }));
  const when = new Date(Date.now() - usedSecondsAgo * 1000);
  await utimes(join(dir, 'meta.json'), when, when);
}

t.test('over budget, the least recently used entries go, never the one just saved', async (t) => {
  const root = t.testdir();
  process.env.KREPRO_CACHE = root;
  t.teardown(() => { delete process.env.KREPRO_CACHE; });
  await entry(root, key('a'), 1000, 400); // oldest
  await entry(root, key('b'), 1000, 300);
  await entry(root, key('c'), 1000, 200);
  await entry(root, key('d'), 1000, 500); // the oldest of all, but just saved
  t.same(await pruneSnapshots(key('d'), 4000), { evicted: [], freedBytes: 0 }, 'within budget: nothing goes');
  // A restore of 'a' makes it the most recently used.
  const found = await findSnapshot(key('a'));
  t.equal((found as { key?: string }).key, key('a'));
  const p = await pruneSnapshots(key('d'), 2000);
  t.same(p, { evicted: [key('b'), key('c')], freedBytes: 2000 }, "b and c go; a was just used, d is kept");
  t.same((await readdir(join(root, 'snapshot'))).filter((e) => !e.startsWith('.')).sort(), [key('a'), key('d')]);
  t.same(await pruneSnapshots(key('d'), 0), { evicted: [key('a')], freedBytes: 1000 }, 'budget 0 keeps only the newest');
});

t.test('the budget comes from KREPRO_SNAPSHOT_MAX', async (t) => {
  t.equal(snapshotBudget(undefined), 4 * 1024 ** 3);
  t.equal(snapshotBudget('500M'), 500 * 1024 ** 2);
  t.equal(snapshotBudget('0'), 0);
  t.throws(() => snapshotBudget('lots'), /KREPRO_SNAPSHOT_MAX=lots: not a size/);
});
