// The out-of-tree module path end to end: images/crashmod.yaml builds
// test/fixtures/crashmod against the scenario kernel's own headers (fetched by
// krepro, never the host's), loads it at boot, and one trigger crashes the guest
// for real. The other triggers are captured by test/fixtures/crashmod/capture.sh,
// not here: one boot is enough to prove the mechanism.
import t from 'tap';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { krepro, leftoverQemu, privateCache, results, ROOT, runDir } from './helpers.js';

const literal = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

t.test('crashmod warn: module built by the image recipe in this run, WARNING triaged live', async (t) => {
  const dir = t.testdir();
  // The module and the image are built in a cache of this test's own (kernels and packages are shared):
  // a crashmod.ko that an earlier run left in the user's cache cannot stand in for this run's build.
  const cache = await privateCache(join(dir, 'cache'), ['kmod', 'image']);
  const resultsDir = join(dir, 'results');
  const r = await krepro(['run', 'test/fixtures/crashmod/scenarios/warn.yaml', '--results', resultsDir], { env: { KREPRO_CACHE: cache } });
  t.equal(r.exitCode, 0, 'exit code', { output: r.all });
  const res = (await results(resultsDir)).get('crashmod-warn')!;
  t.equal(res.verdict, 'passed', res.message);
  t.equal(res.crashes.length, 1, 'one report');
  t.match(res.crashes[0], { kind: 'warning', title: 'WARNING in crashmod_warn', guilty: 'crashmod_warn', step: 1 });

  const log = await readFile(join(await runDir(resultsDir), 'crashmod-warn', 'console.log'), 'utf8');
  // The file name comes from krepro's build (prefix map over its temp dir), not from any host path.
  t.match(log, /WARNING: CPU: \d+ PID: \d+ at crashmod\/crashmod\.c:\d+ crashmod_warn\+0x/, 'WARNING names crashmod/crashmod.c');
  t.match(log, /crashmod: loading out-of-tree module taints kernel/, 'loaded at boot by the init');

  // This run built exactly one module entry, with its log, for the scenario kernel, and booted the image it made.
  const kmod = join(cache, 'kmod');
  const entries = (await readdir(kmod, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.'));
  t.equal(entries.length, 1, 'one kmod entry built by this run', { entries: entries.map((e) => e.name) });
  const entry = join(kmod, entries[0]?.name ?? 'none');
  t.ok(existsSync(join(entry, 'build.log')), 'with its build log');
  t.ok(existsSync(join(entry, 'lib', 'modules', '6.1.0-56-amd64', 'extra', 'crashmod.ko')), 'crashmod.ko for the scenario kernel');
  t.equal(dirname(res.artifacts.image?.path ?? ''), join(cache, 'image', res.artifacts.image?.hash ?? ''), 'the image booted is the one this run built');
  // What the builder built is named in result.json: the source dir, its content key, and the commit of its work tree.
  t.equal(res.artifacts['build:kmod']?.hash, entries[0]?.name, 'build:kmod is the kmod entry this run built');
  t.match(res.artifacts['build:kmod']?.identity, new RegExp(`^kmod:${literal(join(ROOT, 'test/fixtures/crashmod'))} \\(sources [0-9a-f]{12}\\) git:${literal(ROOT)}@HEAD\\([0-9a-f]{12}\\)(\\+dirty)?$`));
  t.same(await leftoverQemu(resultsDir), [], 'no QEMU left behind');
});
