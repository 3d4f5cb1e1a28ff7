// Seed 004 end to end: a ThinLTO + kCFI + FineIBT Linux 6.12 built from Debian's
// linux-source-6.12 with clang-16, ZFS 2.3.2 built against it with the same
// LLVM, loaded by the guest's init. Cold: ~6 min kernel + ~3.5 min ZFS on 2
// cores; every later run finds both in the cache and only boots.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { leftoverQemu, runScenario } from './helpers.js';

t.test('CFI on: the oops in zfs_blake3_compress_in_place_sse2 at module load is the verdict', async (t) => {
  const { exitCode, res, dir, output } = await runScenario(t, 'scenarios/cfi/zfs-module-load.yaml', 'cfi-zfs-module-load');
  t.equal(res.verdict, 'failed', res.message, { output });
  t.equal(res.reason, 'crash');
  t.equal(exitCode, 1);
  t.match(res.artifacts.kernel?.identity, /^build:linux-source-6\.12@.* tinyconfig\+qemu-virt\+zfs-deps\+thinlto\+cfi\+fineibt llvm-16$/);
  const oops = res.crashes[0]!;
  t.match(oops.title, /zfs_blake3_compress_in_place_sse2/, 'guilty function names the BLAKE3 SSE2 assembly');
  const log = await readFile(join(dir, 'console.log'), 'utf8');
  t.match(log, /BUG: unable to handle page fault/);
  t.match(log, /RIP: 0010:zfs_blake3_compress_in_place_sse2\+0x[0-9a-f]+\/0x[0-9a-f]+ \[zfs\]/);
  // The kernel's own line (arch/x86/kernel/alternative.c): "Using kCFI" or "Using FineIBT CFI", nothing else on it.
  t.match(log, /^\[\s*\d+\.\d+\] SMP alternatives: Using (?:kCFI|FineIBT CFI)\r?$/m, 'the kernel really runs with CFI');
  t.same(await leftoverQemu(dir), [], 'no QEMU left');
});

t.test('control: the same kernel and module with cfi=off load and checksum with BLAKE3', async (t) => {
  const { exitCode, res, dir, output } = await runScenario(t, 'scenarios/cfi/zfs-module-load-cfi-off.yaml', 'cfi-zfs-module-load-cfi-off');
  t.equal(res.verdict, 'passed', res.message, { output });
  t.equal(exitCode, 0);
  t.same(res.crashes, []);
  t.same(await leftoverQemu(dir), [], 'no QEMU left');
});
