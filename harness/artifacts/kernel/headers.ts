// A Debian kernel's build tree (linux-headers-ABI + -common + linux-kbuild),
// unpacked into the cache so out-of-tree modules can be built against it
// without touching the host's /usr/src. The packages assume they live under
// /usr: the few absolute paths in them are rewritten to the cache entry.
import { execa } from '../../util/children.js';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { aptFetch } from '../store/apt.js';
import { cached, hashOf } from '../store/cache.js';
import type { KernelArtifact } from './artifact.js';
import { cacheRoot } from '../store/root.js';
import { task } from '../../util/progress.js';

export interface KernelHeaders {
  /** --with-linux: the arch-independent source headers (linux-headers-X-common). */
  source: string;
  /** --with-linux-obj: the configured tree (.config, Module.symvers, generated headers). */
  obj: string;
  /** CONFIG_CC_VERSION_TEXT, e.g. "gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0". */
  compilerText: string;
  /** The compiler command the kernel's Makefile uses, e.g. "gcc-12". */
  compiler: string;
  hash: string;
  /** LLVM major version when the kernel was built with LLVM=-N: module builds must pass the same (ZFS: KERNEL_LLVM). */
  llvm?: number;
}

/** The Debian package names for a kernel ABI's build tree: 6.1.0-56-amd64 → headers, common headers, kbuild. */
export function headerPackages(abi: string): string[] {
  const m = /^(\d+\.\d+)\.\d+-(\d+)-(.+)$/.exec(abi);
  if (!m) throw new Error(`cannot derive header packages from kernel ABI ${abi}`);
  return [`linux-headers-${abi}`, `linux-headers-${m[1]}.0-${m[2]}-common`, `linux-kbuild-${m[1]}`];
}

/**
 * Point the absolute /usr/src and /usr/lib/linux-kbuild paths of a Debian
 * headers file at `root` (where the packages were unpacked instead of /).
 */
export function relocateHeaderText(text: string, root: string): string {
  return text.replace(/(^|[\s="'(])\/usr\/(src\/linux-|lib\/linux-kbuild-)/gm, `$1${root}/usr/$2`);
}

/** The compiler command and version text recorded in a kernel .config. */
export function kernelCompiler(config: string): { text: string; command: string } {
  const text = /^CONFIG_CC_VERSION_TEXT="(.*)"$/m.exec(config)?.[1] ?? '';
  const command = /^(\S+)/.exec(text)?.[1] ?? 'gcc';
  return { text, command };
}

/** Fetch and unpack the build tree of a Debian kernel (cached per package hashes). */
export async function debianHeaders(kernel: KernelArtifact): Promise<KernelHeaders> {
  const abi = kernel.release;
  if (kernel.tree) return builtTreeHeaders(kernel);
  if (!kernel.identity.startsWith('debian:')) {
    throw new Error(`building modules needs a kernel build tree; { debian: ABI } and { build: … } kernels have one (got ${kernel.identity})`);
  }
  const names = headerPackages(abi);
  // The headers must be the very build of the image package: pin their version to it.
  const version = kernel.identity.replace(/^.*@/, '');
  const debs = await aptFetch(names.map((n) => (n.startsWith('linux-headers-') ? `${n}=${version}` : n)));
  const key = hashOf(['kernel-headers', 1, [...debs].map(([n, d]) => [n, basename(d.path), d.sha256])]);
  const dir = await cached('kernel-headers', key, async (tmp) => {
    const t = task(`unpack kernel headers ${abi}`);
    const final = join(cacheRoot(), 'kernel-headers', key);
    for (const d of debs.values()) await execa('dpkg-deb', ['-x', d.path, tmp]);
    // Only the build tree matters; lib/modules/*/build links point at the host's /usr/src.
    await rm(join(tmp, 'lib'), { recursive: true, force: true });
    await rm(join(tmp, 'usr', 'share'), { recursive: true, force: true });
    for (const f of [join(tmp, 'usr', 'src', `linux-headers-${abi}`, 'Makefile')]) {
      await writeFile(f, relocateHeaderText(await readFile(f, 'utf8'), final));
    }
    t.done();
  });
  const src = (n: string): string => join(dir, 'usr', 'src', n);
  const obj = src(`linux-headers-${abi}`);
  if (!existsSync(join(obj, '.config'))) throw new Error(`${obj}: no .config in the headers package`);
  const cc = kernelCompiler(await readFile(join(obj, '.config'), 'utf8'));
  return { source: src(names[1]!), obj, compilerText: cc.text, compiler: cc.command, hash: key };
}

/** A kernel krepro built keeps its source and O= tree: modules build against those, with its toolchain. */
async function builtTreeHeaders(kernel: KernelArtifact): Promise<KernelHeaders> {
  const tree = kernel.tree!;
  const cc = kernelCompiler(await readFile(join(tree.obj, '.config'), 'utf8'));
  return {
    source: tree.source, obj: tree.obj, compilerText: cc.text, compiler: tree.toolchain.cc, hash: kernel.hash,
    ...(tree.toolchain.llvm ? { llvm: tree.toolchain.llvm } : {}),
  };
}
