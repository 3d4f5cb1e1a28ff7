// The host requirements, one list for everything: `krepro doctor` reports and
// installs it whole (--install), `.ci/run` installs it through doctor, `krepro
// run` checks the `run` group before booting, and each build checks its own
// groups before starting, so a missing package fails it in seconds with the
// package's name instead of minutes in (objtool without gelf.h). A requirement
// is a program on PATH or a file (a header, a shared library): a binary being
// there says nothing about a -dev package. test/unit/host/requirements.test.ts
// scans harness/ and test/ for the programs they start and holds this list to them.

import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { BuildError } from './errors.js';

/** What needs a requirement; a build checks only its own groups. */
export type Need =
  | 'run' //           every run: fetch a kernel and packages, build the image, boot it
  | 'kernel-build' //  kernel: { build: … } (configure, compile, modules_install)
  | 'gcc' //           a kernel built without llvm:
  | 'llvm-16' //       a kernel built with llvm: 16 (and modules for it)
  | 'kernel-git' //    kernel source { git: PATH, ref }
  | 'module-build' //  out-of-tree modules (ZFS, kmods) against a kernel's tree
  | 'debian-modules' // … against a Debian kernel, which was built with gcc-12
  | 'zfs-build' //     ZFS modules (Debian's zfs-dkms tree or a git tree)
  | 'zfs-git' //       ZFS from a git tree (zfs: git:PATH@REF): autogen.sh, make gitrev
  | 'test'; //         npm test, beyond what the scenarios it runs need

/** A program on PATH (`bin`) or a file (`file`), the Debian package that provides it, and why. */
export interface Requirement {
  need: Need;
  pkg: string;
  why: string;
  bin?: string;
  file?: string;
}

const LIB = '/usr/lib/x86_64-linux-gnu';

export const REQUIREMENTS: readonly Requirement[] = [
  { need: 'run', bin: 'qemu-system-x86_64', pkg: 'qemu-system-x86', why: 'runs the guests' },
  { need: 'run', bin: 'apt-get', pkg: 'apt', why: 'downloads kernels and guest packages (krepro\'s private apt)' },
  { need: 'run', bin: 'apt-cache', pkg: 'apt', why: 'resolves package versions and dependencies' },
  { need: 'run', file: '/etc/ssl/certs/ca-certificates.crt', pkg: 'ca-certificates', why: 'apt over https mirrors' },
  { need: 'run', bin: 'dpkg-deb', pkg: 'dpkg', why: 'unpacks Debian packages into kernels and images' },
  { need: 'run', bin: 'dpkg', pkg: 'dpkg', why: 'orders Debian versions (dpkg --compare-versions) for a version search' },
  { need: 'run', bin: 'tar', pkg: 'tar', why: 'unpacks package payloads and source tarballs' },
  { need: 'run', bin: 'cpio', pkg: 'cpio', why: 'packs initramfs images' },
  { need: 'run', bin: 'gzip', pkg: 'gzip', why: 'compressed package payloads' },
  { need: 'run', bin: 'depmod', pkg: 'kmod', why: 'indexes kernel modules for the guest' },
  { need: 'run', bin: 'modinfo', pkg: 'kmod', why: 'reads module dependencies for an image\'s module closure' },
  { need: 'run', bin: 'setpriv', pkg: 'util-linux', why: 'ties QEMU to krepro\'s life (--pdeathsig)' },
  { need: 'run', bin: 'sh', pkg: 'dash', why: 'package pipelines (dpkg-deb | tar) and the child keeper' },
  { need: 'run', bin: 'cp', pkg: 'coreutils', why: 'copies a recipe\'s files into an image' },
  { need: 'run', bin: 'grep', pkg: 'grep', why: 'finds Kconfig files to explain a dropped option' },
  { need: 'run', bin: 'xz', pkg: 'xz-utils', why: 'linux-source tarballs and Debian\'s kernel configs are .xz; unpacks the PVH vmlinux from xz/lzma bzImages' },
  { need: 'run', bin: 'zstd', pkg: 'zstd', why: 'unpacks the PVH vmlinux from zstd-compressed bzImages' },

  { need: 'kernel-build', bin: 'make', pkg: 'make', why: 'kbuild' },
  { need: 'kernel-build', bin: 'flex', pkg: 'flex', why: 'kconfig lexer' },
  { need: 'kernel-build', bin: 'bison', pkg: 'bison', why: 'kconfig parser' },
  { need: 'kernel-build', bin: 'bc', pkg: 'bc', why: 'kernel/time/timeconst.bc' },
  { need: 'kernel-build', bin: 'awk', pkg: 'mawk', why: 'kbuild scripts (the x86 instruction tables)' },
  { need: 'kernel-build', bin: 'perl', pkg: 'perl-base', why: 'kbuild scripts' },
  { need: 'kernel-build', bin: 'pkg-config', pkg: 'pkgconf', why: 'host tools find libelf and libcrypto' },
  { need: 'kernel-build', bin: 'openssl', pkg: 'openssl', why: 'certs/: a signing key for base: debian (MODULE_SIG)' },
  { need: 'kernel-build', file: '/usr/include/gelf.h', pkg: 'libelf-dev', why: 'objtool (and resolve_btfids) include gelf.h' },
  { need: 'kernel-build', file: '/usr/include/openssl/ssl.h', pkg: 'libssl-dev', why: 'sign-file and extract-cert link libcrypto' },
  { need: 'kernel-build', file: '/usr/include/stdio.h', pkg: 'libc6-dev', why: 'host programs (fixdep, kconfig, objtool)' },
  { need: 'kernel-build', bin: 'xz', pkg: 'xz-utils', why: 'linux-source-X.Y.tar.xz' },
  { need: 'kernel-build', bin: 'depmod', pkg: 'kmod', why: 'modules_install' },
  { need: 'kernel-build', bin: 'ccache', pkg: 'ccache', why: 'rebuilds after a config change recompile little' },
  { need: 'gcc', bin: 'gcc', pkg: 'gcc', why: 'a kernel built without llvm' },
  { need: 'gcc', bin: 'ld', pkg: 'binutils', why: 'a kernel built without llvm' },
  { need: 'llvm-16', bin: 'clang-16', pkg: 'clang-16', why: 'llvm: 16 (ThinLTO, kCFI need clang >= 16)' },
  { need: 'llvm-16', bin: 'ld.lld-16', pkg: 'lld-16', why: 'llvm: 16 linker' },
  { need: 'llvm-16', bin: 'llvm-ar-16', pkg: 'llvm-16', why: 'llvm: 16 ar' },
  { need: 'llvm-16', bin: 'llvm-nm-16', pkg: 'llvm-16', why: 'llvm: 16 nm' },
  { need: 'llvm-16', bin: 'llvm-objcopy-16', pkg: 'llvm-16', why: 'llvm: 16 objcopy' },
  { need: 'llvm-16', bin: 'python3', pkg: 'python3', why: 'Clang LTO: the initcall order (.tmp_initcalls.lds) is generated through scripts/jobserver-exec, a python3 script' },
  { need: 'kernel-git', bin: 'git', pkg: 'git', why: 'git archive of the ref' },

  { need: 'module-build', bin: 'make', pkg: 'make', why: 'kbuild M= and configure\'s test modules' },
  { need: 'module-build', bin: 'strip', pkg: 'binutils', why: 'strips debug info from the modules, as dkms does' },
  { need: 'module-build', file: '/usr/include/stdio.h', pkg: 'libc6-dev', why: 'configure\'s test programs' },
  { need: 'debian-modules', bin: 'gcc-12', pkg: 'gcc-12', why: 'Debian 12\'s kernels were built with gcc-12; modules must match' },
  { need: 'debian-modules', file: `${LIB}/libelf.so.1`, pkg: 'libelf1', why: 'linux-kbuild-6.1\'s host tools link libelf' },
  { need: 'debian-modules', file: `${LIB}/libssl.so.3`, pkg: 'libssl3', why: 'linux-kbuild-6.1\'s host tools link libssl' },
  { need: 'zfs-build', bin: 'awk', pkg: 'mawk', why: 'ZFS configure' },
  { need: 'zfs-git', bin: 'git', pkg: 'git', why: 'clones the tree at the ref; make gitrev' },
  { need: 'zfs-git', bin: 'autoreconf', pkg: 'autoconf', why: 'autogen.sh' },
  { need: 'zfs-git', bin: 'automake', pkg: 'automake', why: 'autogen.sh' },
  { need: 'zfs-git', bin: 'libtoolize', pkg: 'libtool', why: 'autogen.sh' },

  { need: 'test', bin: 'qemu-img', pkg: 'qemu-utils', why: 'vm-machine: the USB stick\'s qcow2' },
  { need: 'test', bin: 'pgrep', pkg: 'procps', why: 'e2e: no QEMU or child left behind' },
  { need: 'test', bin: 'git', pkg: 'git', why: 'zfs-git and kernel-build tests make repositories' },
  { need: 'test', bin: 'ssh-keygen', pkg: 'openssh-client', why: 'checks the generated dropbear key' },
  { need: 'test', bin: 'readelf', pkg: 'binutils', why: 'checks the ELF library walk' },
  { need: 'test', bin: 'chattr', pkg: 'e2fsprogs', why: 'makes a stale temp dir undeletable' },
  { need: 'test', bin: 'stat', pkg: 'coreutils', why: 'checks the QMP socket dir\'s mode' },
  { need: 'test', bin: 'mkdir', pkg: 'coreutils', why: 'unpacks a test image' },
  { need: 'test', bin: 'sleep', pkg: 'coreutils', why: 'children that outlive their parent, to be killed' },
  { need: 'test', bin: 'printf', pkg: 'coreutils', why: 'shell quoting checks' },
  { need: 'test', bin: 'mv', pkg: 'coreutils', why: 'makes a ZFS git repository' },
  { need: 'test', bin: 'chromium', pkg: 'chromium', why: 'the matrix HTML report, rendered and clicked in a real browser (playwright-core drives it)' },
];

/** Where a requirement is looked for; tests swap PATH and the file root. */
export interface HostView {
  path?: string;
  /** Prefix for `file` requirements (a chroot's root; default /). */
  root?: string;
}

async function executable(p: string): Promise<boolean> {
  return access(p, constants.X_OK).then(() => true, () => false);
}

/** Whether one requirement is met on this host. */
export async function present(r: Requirement, host: HostView = {}): Promise<boolean> {
  if (r.file) return access(join(host.root ?? '/', r.file)).then(() => true, () => false);
  const dirs = (host.path ?? process.env.PATH ?? '').split(delimiter).filter(Boolean);
  // doctor may run as a user whose PATH lacks the sbin dirs (depmod lives there).
  if (host.path === undefined) dirs.push('/usr/sbin', '/sbin');
  for (const d of dirs) if (await executable(join(d, r.bin!))) return true;
  return false;
}

/** The requirements of `needs` (all when omitted). */
export function requirementsOf(needs?: readonly Need[]): Requirement[] {
  return REQUIREMENTS.filter((r) => !needs || needs.includes(r.need));
}

/** The unmet requirements of `needs` (all groups when omitted). */
export async function unmet(needs?: readonly Need[], host: HostView = {}): Promise<Requirement[]> {
  const all = requirementsOf(needs);
  const ok = await Promise.all(all.map((r) => present(r, host)));
  return all.filter((_, i) => !ok[i]);
}

/** The distinct packages that provide `reqs`, in list order. */
export function packagesOf(reqs: readonly Requirement[]): string[] {
  return [...new Set(reqs.map((r) => r.pkg))];
}

/** What is missing and the one command that installs it. */
export function unmetMessage(what: string, missing: readonly Requirement[]): string {
  const items = missing.map((m) => m.bin ?? m.file!);
  return `missing host requirements for ${what}: ${[...new Set(items)].join(', ')} — install them with  apt-get install ${packagesOf(missing).join(' ')}  (or  krepro doctor --install  as root)`;
}

/** A build refused before it started because the host lacks what it needs (exit 3, error/build-failed). */
export class MissingRequirements extends BuildError {
  constructor(readonly what: string, readonly missing: readonly Requirement[]) {
    super(unmetMessage(what, missing));
  }
}

/** Throw MissingRequirements unless every requirement of `needs` is met (a build calls this before starting). */
export async function requireHost(what: string, needs: readonly Need[], host: HostView = {}): Promise<void> {
  const missing = await unmet(needs, host);
  if (missing.length) throw new MissingRequirements(what, missing);
}

/** The groups a kernel build needs: its compiler's, and git for a git source. */
export function kernelBuildNeeds(o: { llvm?: number; git?: boolean }): Need[] {
  // Other LLVM versions than 16 have no rows: toolchain.ts names what is missing.
  const cc: Need[] = o.llvm === undefined ? ['gcc'] : o.llvm === 16 ? ['llvm-16'] : [];
  return ['kernel-build', ...cc, ...(o.git ? ['kernel-git' as const] : [])];
}

/** The groups an out-of-tree module build needs against a kernel of this identity (`debian:…` kernels ship gcc-12-built kbuild tools). */
export function moduleBuildNeeds(kernelIdentity: string, o: { zfs?: boolean; git?: boolean } = {}): Need[] {
  return [
    'module-build',
    ...(kernelIdentity.startsWith('debian:') ? ['debian-modules' as const] : []),
    ...(o.zfs ? ['zfs-build' as const] : []),
    ...(o.git ? ['zfs-git' as const] : []),
  ];
}
