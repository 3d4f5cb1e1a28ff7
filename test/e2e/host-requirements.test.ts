// A build whose host prerequisites are missing ends at once, naming the
// package (issue 12: objtool without libelf-dev failed minutes into a kernel
// build). PATH here is a copy of the host's without one program; nothing is
// uninstalled, and nothing is fetched or compiled before the refusal.
import t from 'tap';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { krepro, results } from './helpers.js';

/** A directory of links to every program on the host's PATH except `without`. */
async function pathWithout(dir: string, without: string): Promise<string> {
  const bin = join(dir, 'bin');
  await mkdir(bin);
  for (const d of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    for (const n of readdirSync(d, { withFileTypes: false }) as string[]) {
      if (n === without) continue;
      await symlink(join(d, n), join(bin, n)).catch(() => {}); // first dir wins, as on PATH
    }
  }
  return bin;
}

t.test('krepro kernel build without clang-16: exit 3 in seconds, naming clang-16', async (t) => {
  const dir = t.testdir();
  const PATH = await pathWithout(dir, 'clang-16');
  const started = Date.now();
  const r = await krepro(['kernel', 'build', 'scenarios/cfi/zfs-module-load.yaml'], { env: { PATH, KREPRO_CACHE: join(dir, 'cache') } });
  const s = (Date.now() - started) / 1000;
  t.equal(r.exitCode, 3, r.all);
  t.match(r.all, /missing host requirements for a kernel build: clang-16 — install them with {2}apt-get install clang-16 /);
  t.ok(s < 15, `refused in ${s.toFixed(1)} s`);
});

t.test('krepro kernel build without bc (needed minutes into a compile): refused before the source is fetched', async (t) => {
  const dir = t.testdir();
  const PATH = await pathWithout(dir, 'bc');
  const r = await krepro(['kernel', 'build', '--source', 'linux-source-6.1', '--fragment', 'qemu-virt'], { env: { PATH, KREPRO_CACHE: join(dir, 'cache') } });
  t.equal(r.exitCode, 3, r.all);
  t.match(r.all, /missing host requirements for a kernel build: bc — install them with {2}apt-get install bc /);
  t.notOk(existsSync(join(dir, 'cache', 'kernel-src')), 'nothing fetched');
});

t.test('krepro run of a ZFS scenario without gcc-12: error/build-failed, naming gcc-12', async (t) => {
  const dir = t.testdir();
  const PATH = await pathWithout(dir, 'gcc-12');
  const started = Date.now();
  // The shared cache: the Debian kernel is there already; the ZFS build is refused before it looks.
  const r = await krepro(['run', 'scenarios/zfs/raw-send-integrity.yaml', '--results', join(dir, 'results')], { env: { PATH } });
  const s = (Date.now() - started) / 1000;
  t.equal(r.exitCode, 3, r.all);
  const [res] = [...(await results(join(dir, 'results'))).values()];
  t.equal(res?.verdict, 'error');
  t.equal(res?.reason, 'build-failed');
  t.match(res?.message, /missing host requirements for a ZFS .* build: gcc-12 .*apt-get install gcc-12/);
  t.ok(s < 60, `refused in ${s.toFixed(1)} s`);
});
