// Two krepro processes share one cache whose image store is empty, started
// at once on the same scenario (issue 10: "two krepro processes sharing one
// cache never build the same entry twice nor leave a half-written one").
// The kernel, apt and snapshot stores are the warm shared ones, symlinked
// (helpers.ts privateCache), so only the image is cold and each guest is a
// short snapshot restore. The image is built exactly once (one "build image"
// line across both outputs, one entry), both runs pass on that entry, and no
// temp dir or lock is left in the store.
import t from 'tap';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { krepro, privateCache, results, ROOT } from './helpers.js';

const SCENARIO = join(ROOT, 'scenarios', 'smoke', 'boot.yaml');

t.test('two cold processes at once build the image once, both pass, nothing half-written is left', async (t) => {
  const work = t.testdir();
  const cache = await privateCache(join(work, 'cache'), ['image']);
  const images = join(cache, 'image');
  t.notOk(existsSync(images), 'the image store starts empty');
  const env = { KREPRO_CACHE: cache };
  const a = krepro(['run', SCENARIO, '--results', join(work, 'a')], { env });
  const b = krepro(['run', SCENARIO, '--results', join(work, 'b')], { env });
  // While both run: the entry's lock or temp dir appears while neither process has ended (the race is real).
  let sawBuildWhileBothRan = false;
  let ended = 0;
  void a.finally(() => ended++);
  void b.finally(() => ended++);
  const poll = setInterval(() => {
    void readdir(images).then((names) => {
      if (ended === 0 && names.some((n) => n.startsWith('.tmp-') || n.endsWith('.lock'))) sawBuildWhileBothRan = true;
    }, () => undefined);
  }, 50);
  const [ra, rb] = await Promise.all([a, b]).finally(() => clearInterval(poll));
  t.equal(ra.exitCode, 0, 'the first run passes', { output: ra.all });
  t.equal(rb.exitCode, 0, 'the second run passes', { output: rb.all });
  t.ok(sawBuildWhileBothRan, 'the image was being built while both processes were running');
  const builds = `${ra.stderr}\n${rb.stderr}`.split('\n').filter((l) => /build image base for /.test(l));
  t.equal(builds.length, 1, 'one process built the image, the other waited for it', { builds });
  const names = (await readdir(images)).sort();
  t.equal(names.length, 1, 'one image entry', { names });
  t.same(names.filter((n) => n.startsWith('.tmp-') || n.endsWith('.lock')), [], 'no temp dir or lock left');
  t.same((await readdir(join(images, names[0]!))).sort(), ['initrd.img', 'manifest.json'], 'the entry is complete');
  const [resA] = [...(await results(join(work, 'a'))).values()];
  const [resB] = [...(await results(join(work, 'b'))).values()];
  t.equal(resA?.verdict, 'passed');
  t.equal(resB?.verdict, 'passed');
  t.equal(resA?.artifacts.image?.hash, names[0], 'the first run used that entry');
  t.equal(resB?.artifacts.image?.hash, names[0], 'and so did the second');
});
