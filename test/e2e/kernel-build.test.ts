// Kernel builds that must not happen: requested options that did not survive
// merge_config + olddefconfig stop the build after configuring (≈ 1 min), with
// the dropped options and why; the verdict is error/build-failed (bisect: skip).
import t from 'tap';
import { krepro, runScenario } from './helpers.js';

t.test('krepro run: dropped options are error/build-failed with the list, nothing compiled', async (t) => {
  const { exitCode, res, output } = await runScenario(t, 'test/e2e/scenarios/kernel-dropped-options.yaml', 'kernel-dropped-options');
  t.equal(exitCode, 3, 'exit 3 (error)', { output });
  t.equal(res.verdict, 'error');
  t.equal(res.reason, 'build-failed');
  t.match(res.message, /3 requested kernel option\(s\) did not survive/);
  t.match(res.message, /CONFIG_RETPOLINE: requested y \(.*kconfig-6\.1-names\.config:3\), got absent\n\s+no `config RETPOLINE` in this source tree/);
  t.match(res.message, /CONFIG_CFI_CLANG: requested y .*, got absent\n/);
  t.match(res.message, /\n\s+CFI_CLANG: depends on \$\(cc-option,-fsanitize=kcfi\) .* a test of the toolchain/, 'gcc fails the kcfi probe');
  t.equal(res.steps.length, 0, 'no step ran');
});

t.test('krepro kernel build: a cached small LLVM build prints its artifact', async (t) => {
  const r = await krepro(['kernel', 'build', 'scenarios/cfi/zfs-module-load.yaml', '--json']);
  t.equal(r.exitCode, 0, 'built or found', { output: r.all });
  const info = JSON.parse(String(r.stdout)) as { release: string; bzImage: string; buildTree: string };
  t.match(info.release, /^6\.12\.\d+$/);
  t.match(info.bzImage, /kernel-build\/[0-9a-f]{64}\/bzImage$/);
  const again = await krepro(['kernel', 'build', 'scenarios/cfi/zfs-module-load.yaml', '--json']);
  t.same(JSON.parse(String(again.stdout)), info, 'second call: same entry');
  t.notMatch(String(again.stderr), /build kernel/, 'nothing rebuilt');
});

t.test('a built kernel with everything built in boots the base image: no modules loaded, virtio and USB disks work', async (t) => {
  const { res, output, dir } = await runScenario(t, 'test/e2e/scenarios/built-kernel-base.yaml', 'built-kernel-base');
  t.equal(res.verdict, 'passed', res.message, { output });
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  t.match(await readFile(join(dir, 'console.log'), 'utf8'), /init\[[\d.]+\]: loaded 0 modules/);
  t.equal(res.kernelEntry?.entry, 'bzimage', 'no CONFIG_PVH in this build: QEMU boots the bzImage');
  t.match(res.kernelEntry?.why ?? '', /no PVH entry/, 'and result.json says why');
  t.equal((await readFile(join(dir, 'steps', '01-run.out'), 'utf8')).trim(), '3', 'CFI_CLANG, LTO_CLANG_THIN and FINEIBT in /proc/config.gz');
});
