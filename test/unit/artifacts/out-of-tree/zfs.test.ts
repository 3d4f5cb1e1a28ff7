import t from 'tap';
import { headerPackages, kernelCompiler, relocateHeaderText } from '../../../../harness/artifacts/kernel/headers.js';
import { chooseZfsVersion, pickDebianVersion, upstreamOf } from '../../../../harness/artifacts/out-of-tree/zfs.js';
import { mergeModules, moduleClosure } from '../../../../harness/artifacts/image/module-closure.js';

t.test("a Debian kernel ABI's build tree packages", async (t) => {
  t.same(headerPackages('6.1.0-56-amd64'), ['linux-headers-6.1.0-56-amd64', 'linux-headers-6.1.0-56-common', 'linux-kbuild-6.1']);
  t.throws(() => headerPackages('weird'), /cannot derive/);
});

t.test("the headers' absolute /usr paths are moved under the cache entry", async (t) => {
  // The real top of linux-headers-6.1.0-56-amd64/Makefile.
  const mk = 'include /usr/src/linux-headers-6.1.0-56-common/Makefile\n';
  t.equal(relocateHeaderText(mk, '/c/kernel-headers/abc'), 'include /c/kernel-headers/abc/usr/src/linux-headers-6.1.0-56-common/Makefile\n');
  t.equal(relocateHeaderText('KBUILD=/usr/lib/linux-kbuild-6.1/scripts', '/r'), 'KBUILD=/r/usr/lib/linux-kbuild-6.1/scripts');
  // Unrelated /usr paths and already-relative ones stay.
  t.equal(relocateHeaderText('CC = gcc-12 /usr/bin/true ../../lib/linux-kbuild-6.1', '/r'), 'CC = gcc-12 /usr/bin/true ../../lib/linux-kbuild-6.1');
  // Idempotent on relocated text.
  t.equal(relocateHeaderText(relocateHeaderText(mk, '/r'), '/r'), relocateHeaderText(mk, '/r'));
});

t.test('the compiler the kernel was built with', async (t) => {
  t.same(kernelCompiler('CONFIG_CC_VERSION_TEXT="gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0"\nCONFIG_CC_IS_GCC=y\n'),
    { text: 'gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0', command: 'gcc-12' });
  t.same(kernelCompiler(''), { text: '', command: 'gcc' });
});

t.test('zfs version → Debian version from apt-cache madison', async (t) => {
  const madison = [
    '  zfs-dkms | 2.3.2-2~bpo12+2 | http://deb.debian.org/debian bookworm-backports/contrib amd64 Packages',
    '  zfs-dkms | 2.1.11-1+deb12u1 | http://deb.debian.org/debian bookworm/contrib amd64 Packages',
  ].join('\n');
  t.equal(pickDebianVersion(madison, '2.3.2'), '2.3.2-2~bpo12+2');
  t.equal(pickDebianVersion(madison, '2.1.11'), '2.1.11-1+deb12u1');
  t.equal(pickDebianVersion(madison, '2.1.1'), undefined, 'no prefix confusion');
  t.equal(pickDebianVersion(madison, '2.2.0'), undefined);
});

t.test('out-of-tree modules join the kernel index and load after their dependencies', async (t) => {
  const index = {
    paths: new Map([['zlib_deflate', 'kernel/lib/zlib_deflate/zlib_deflate.ko']]),
    deps: new Map([['kernel/lib/zlib_deflate/zlib_deflate.ko', []]]),
    builtin: new Set(['crc32c']),
  };
  const merged = mergeModules(index, [
    { path: 'extra/zfs.ko', file: '/b/zfs.ko', depends: ['spl', 'zlib_deflate', 'crc32c'] },
    { path: 'extra/spl.ko', file: '/b/spl.ko', depends: [''] },
  ]);
  const loads = moduleClosure(merged, ['zfs']);
  t.same(loads.map((m) => m.name), ['spl', 'zlib_deflate', 'zfs']);
  t.equal(merged.files?.get('extra/zfs.ko'), '/b/zfs.ko');
  t.throws(() => mergeModules(index, [{ path: 'extra/x.ko', file: '/x', depends: ['nosuch'] }]), /depends on nosuch/);
});

t.test('a zfs: parameter → the zfs-dkms version: a full Debian version is a pin, an upstream one follows the lock, else the newest', async (t) => {
  const madison = async () => '  zfs-dkms | 2.3.2-2~bpo12+2 | http://deb.debian.org/debian bookworm-backports/contrib amd64 Packages\n';
  const asked: string[] = [];
  const counted = async () => { asked.push('madison'); return madison(); };
  t.equal(await chooseZfsVersion('2.3.2-2~bpo12+1', undefined, counted), '2.3.2-2~bpo12+1', 'a pin is taken as is, even if apt no longer lists it');
  t.equal(await chooseZfsVersion('2.3.2', '2.3.2-2~bpo12+1', counted), '2.3.2-2~bpo12+1', 'the locked revision of that upstream');
  t.same(asked, [], 'apt is not asked for a pin or a locked version');
  t.equal(await chooseZfsVersion('2.3.2', '2.1.11-1+deb12u1', counted), '2.3.2-2~bpo12+2', 'a lock of another upstream does not apply');
  t.equal(await chooseZfsVersion('2.3.2', undefined, counted), '2.3.2-2~bpo12+2');
  t.equal(upstreamOf('2.3.2-2~bpo12+1'), '2.3.2');
  t.equal(upstreamOf('1:2.1.11-1+deb12u1'), '2.1.11');
});
