// Image build hooks: software a recipe's `build:` key asks for, built for the
// scenario's kernel (modules) with its matching userland (packages). Adding a
// builder means adding a row here and a file beside it.
import { execa } from '../../util/children.js';
import type { KernelArtifact } from '../kernel/artifact.js';
import type { ExtraModule } from './module-closure.js';
import { buildKmod } from '../out-of-tree/kmod.js';
import { buildZfs, type BuiltModules } from '../out-of-tree/zfs.js';

const BUILDERS: Record<string, (version: string, kernel: KernelArtifact) => Promise<BuiltModules>> = {
  zfs: buildZfs,
  // an out-of-tree module source dir in the project (Kbuild + .c), e.g. test/fixtures/crashmod
  kmod: buildKmod,
};

export interface BuildHookResult {
  modules: ExtraModule[];
  packages: string[];
  /** Cache keys of the builds, for the image's own key. */
  hashes: string[];
  /** What each builder built (result.json's `build:NAME` artifacts). */
  builds: Array<{ builder: string; identity: string; hash: string }>;
}

/** Run every builder a recipe names, in order. */
export async function runBuilders(build: Record<string, string>, kernel: KernelArtifact): Promise<BuildHookResult> {
  const out: BuildHookResult = { modules: [], packages: [], hashes: [], builds: [] };
  for (const [name, version] of Object.entries(build)) {
    const builder = BUILDERS[name];
    if (!builder) throw new Error(`recipe asks for builder '${name}'; known builders: ${Object.keys(BUILDERS).join(', ')}`);
    const b = await builder(version, kernel);
    out.packages.push(...b.packages);
    out.hashes.push(b.hash);
    out.builds.push({ builder: name, identity: b.identity, hash: b.hash });
    for (const [path, file] of b.modules) {
      const r = await execa('modinfo', ['-F', 'depends', file]);
      out.modules.push({ path, file, depends: String(r.stdout).trim().split(',') });
    }
  }
  return out;
}
