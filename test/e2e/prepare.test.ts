// `krepro prepare`: everything a scenario's attempts need is fetched and built,
// nothing is booted; a build that fails is exit 3 with its reason.
import t from 'tap';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { krepro, privateCache } from './helpers.js';

t.test('prepare builds the image into an empty image cache and boots nothing', async (t) => {
  const cache = await privateCache(join(t.testdir(), 'cache'), ['image', 'kernel-pvh', 'snapshot']);
  const r = await krepro(['prepare', 'scenarios/smoke/boot.yaml'], { env: { KREPRO_CACHE: cache } });
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all });
  t.match(String(r.stdout), /^ready smoke-boot: debian:6\.1\.0-56-amd64@\S+ \(pvh\), image base [0-9a-f]{12} \([\d.]+s\)$/m);
  t.equal((await readdir(join(cache, 'image'))).filter((e) => /^[0-9a-f]{64}$/.test(e)).length, 1, 'the image entry was built');
  t.equal((await readdir(join(cache, 'kernel-pvh'))).filter((e) => /^[0-9a-f]{64}$/.test(e)).length, 1, 'and the PVH vmlinux unpacked');
  // A boot of this scenario would have saved its snapshot into this cache.
  t.same(await readdir(join(cache, 'snapshot')).catch(() => []), [], 'nothing booted (no snapshot saved)');
  const again = await krepro(['prepare', 'scenarios/smoke/boot.yaml'], { env: { KREPRO_CACHE: cache } });
  t.notMatch(String(again.stderr), /build image/, 'a second prepare builds nothing');
});

t.test('a build that fails: exit 3 naming the scenario and the reason', async (t) => {
  const r = await krepro(['prepare', 'test/e2e/scenarios/kernel-dropped-options.yaml']);
  t.equal(r.exitCode, 3, 'exit 3', { output: r.all });
  t.match(String(r.stderr), /krepro: prepare kernel-dropped-options: [\s\S]*CONFIG_CFI_CLANG: requested y/);
});
