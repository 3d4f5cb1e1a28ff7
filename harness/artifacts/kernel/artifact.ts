// What a kernel resolves to, whichever way it was obtained (fetched, given, built):
// its own file so the resolver and the builder share it without importing each other.
import type { Toolchain } from './toolchain.js';

/** A built kernel's tree, for out-of-tree modules (ZFS) built with the same toolchain. */
export interface KernelBuildTree {
  source: string;
  obj: string;
  toolchain: Toolchain;
}

export interface KernelArtifact {
  bzImage: string;
  /** .../lib/modules/<release>, with modules.dep; '' when a {path} kernel has no modules. */
  modulesDir: string;
  release: string;
  hash: string;
  /** e.g. 'debian:6.1.0-56-amd64@6.1.192-2', 'path:/abs/bzImage' or 'build:linux-source-6.12@… tinyconfig+qemu-virt llvm-16'. */
  identity: string;
  /** Kernels krepro built: their source and O= tree, for out-of-tree modules built with the same toolchain. */
  tree?: KernelBuildTree;
}
