// `krepro doctor`: are the host tools there, and does KVM really work?
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { execa } from '../util/children.js';

/** Host tools krepro runs, and the Debian package that provides each; `need` names the feature that alone needs it. */
export const HOST_TOOLS: Array<{ tool: string; pkg: string; why: string; need?: 'zfs-build' | 'kernel-build' }> = [
  { tool: 'qemu-system-x86_64', pkg: 'qemu-system-x86', why: 'runs the guests' },
  { tool: 'apt-get', pkg: 'apt', why: 'downloads kernels and guest packages' },
  { tool: 'dpkg-deb', pkg: 'dpkg', why: 'unpacks Debian packages into images' },
  { tool: 'cpio', pkg: 'cpio', why: 'packs initramfs images' },
  { tool: 'depmod', pkg: 'kmod', why: 'indexes kernel modules for the guest' },
  { tool: 'gzip', pkg: 'gzip', why: 'compresses initramfs images' },
  // ZFS build needs (zfs images): Debian 6.1 kernels are built with gcc-12; the
  // kbuild tools in linux-kbuild-6.1 link libelf1 and libssl3; configure needs libc headers.
  { tool: 'gcc-12', pkg: 'gcc-12', why: 'ZFS build: compiles the modules with the kernel\'s own compiler', need: 'zfs-build' },
  { tool: 'make', pkg: 'make', why: 'ZFS build: runs configure\'s test modules and kbuild', need: 'zfs-build' },
  { tool: 'strip', pkg: 'binutils', why: 'ZFS build: strips debug info from the modules, as dkms does', need: 'zfs-build' },
  { tool: 'modinfo', pkg: 'kmod', why: 'ZFS build: reads built modules\' dependencies', need: 'zfs-build' },
  { tool: 'awk', pkg: 'mawk', why: 'ZFS build: configure', need: 'zfs-build' },
  // Kernel builds (kernel: { build: … }): LLVM 16 for thinlto/cfi (kCFI needs clang >= 16),
  // the kernel's host tools (kconfig: flex/bison; objtool: libelf; certs: libssl), ccache for rebuilds.
  { tool: 'clang-16', pkg: 'clang-16', why: 'kernel build: llvm: 16 (ThinLTO, kCFI)', need: 'kernel-build' },
  { tool: 'ld.lld-16', pkg: 'lld-16', why: 'kernel build: llvm: 16 linker', need: 'kernel-build' },
  { tool: 'llvm-ar-16', pkg: 'llvm-16', why: 'kernel build: llvm: 16 ar/nm/objcopy', need: 'kernel-build' },
  { tool: 'bc', pkg: 'bc', why: 'kernel build: timeconst.h', need: 'kernel-build' },
  { tool: 'flex', pkg: 'flex', why: 'kernel build: kconfig lexer', need: 'kernel-build' },
  { tool: 'bison', pkg: 'bison', why: 'kernel build: kconfig parser', need: 'kernel-build' },
  { tool: 'pkg-config', pkg: 'pkgconf', why: 'kernel build: finds libelf/libssl for host tools', need: 'kernel-build' },
  { tool: 'ccache', pkg: 'ccache', why: 'kernel build: fast rebuilds after a config change', need: 'kernel-build' },
  { tool: 'xz', pkg: 'xz-utils', why: 'kernel build: unpacks linux-source tarballs', need: 'kernel-build' },
  { tool: 'git', pkg: 'git', why: 'kernel build: { git: PATH, ref } sources', need: 'kernel-build' },
  { tool: 'autoreconf', pkg: 'autoconf', why: 'ZFS from git (zfs: git:PATH@REF): autogen.sh', need: 'zfs-build' },
  { tool: 'automake', pkg: 'automake', why: 'ZFS from git: autogen.sh', need: 'zfs-build' },
  { tool: 'libtoolize', pkg: 'libtool', why: 'ZFS from git: autogen.sh', need: 'zfs-build' },
];

async function onPath(tool: string): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']);
  for (const d of dirs) {
    const p = join(d, tool);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch { /* keep looking */ }
  }
  return undefined;
}

/** Tools that are missing, with the packages that provide them; feature-only tools (ZFS builds) only with `all`. */
export async function missingTools(opts: { all?: boolean } = {}): Promise<Array<{ tool: string; pkg: string; why: string }>> {
  const out = [];
  for (const t of HOST_TOOLS) if ((opts.all || !t.need) && !(await onPath(t.tool))) out.push(t);
  return out;
}

/** Install Debian packages with the host's apt (doctor --install, as root). */
export async function installPackages(pkgs: string[], log: (s: string) => void): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error(`installing needs root: run  sudo apt-get install ${pkgs.join(' ')}`);
  log(`apt-get install ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await execa('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'update'], { env, stdio: 'inherit' });
  await execa('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', ...pkgs], { env, stdio: 'inherit' });
}

/** A message for a run that cannot start because tools are missing. */
export function missingToolsMessage(missing: Array<{ tool: string; pkg: string }>): string {
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  return `missing host tools: ${missing.map((m) => m.tool).join(', ')} — install them with  apt-get install ${pkgs.join(' ')}  (or  krepro doctor --install  as root)`;
}
