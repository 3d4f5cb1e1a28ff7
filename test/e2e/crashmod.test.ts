// The out-of-tree module path end to end: images/crashmod.yaml builds
// test/fixtures/crashmod against the scenario kernel's own headers (fetched by
// krepro, never the host's), loads it at boot, and one trigger crashes the guest
// for real. The other triggers are captured by test/fixtures/crashmod/capture.sh,
// not here: one boot is enough to prove the mechanism.
import t from 'tap';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheRoot } from '../../harness/artifacts/store/root.js';
import { krepro, leftoverQemu, results, runDir } from './helpers.js';

t.test('crashmod warn: module built by the image recipe, WARNING triaged live', async (t) => {
  const dir = t.testdir();
  const r = await krepro(['run', 'test/fixtures/crashmod/scenarios/warn.yaml', '--results', dir]);
  t.equal(r.exitCode, 0, 'exit code', { output: r.all });
  const res = (await results(dir)).get('crashmod-warn')!;
  t.equal(res.verdict, 'passed', res.message);
  t.equal(res.crashes.length, 1, 'one report');
  t.match(res.crashes[0], { kind: 'warning', title: 'WARNING in crashmod_warn', guilty: 'crashmod_warn', step: 1 });

  const log = await readFile(join(await runDir(dir), 'crashmod-warn', 'console.log'), 'utf8');
  // The file name comes from krepro's build (prefix map over its temp dir), not from any host path.
  t.match(log, /WARNING: CPU: \d+ PID: \d+ at crashmod\/crashmod\.c:\d+ crashmod_warn\+0x/, 'WARNING names crashmod/crashmod.c');
  t.match(log, /crashmod: loading out-of-tree module taints kernel/, 'loaded at boot by the init');

  const kmod = join(cacheRoot(), 'kmod');
  const built = (await readdir(kmod)).filter((e) => existsSync(join(kmod, e, 'build.log')));
  t.ok(built.some((e) => existsSync(join(kmod, e, 'lib', 'modules', '6.1.0-56-amd64', 'extra', 'crashmod.ko'))),
    'crashmod.ko is in the kmod cache for the scenario kernel');
  t.same(await leftoverQemu(dir), [], 'no QEMU left behind');
});
