// `kernel: { build: { source, base, fragments, llvm } }` — a kernel built from
// source. The fields here; resolveKernelBuild turns them into a KernelBuildSpec
// with absolute paths, checking the files exist before anything is built.
//   source: linux-source-6.12                 Debian's package (bookworm-backports has 6.12)
//   source: { debian: linux-source-6.12, version: 6.12.117-1~deb12u1 }   that package at exactly one version
//   source: { git: ~/linux, ref: v6.1.100 }   a commit of a git checkout (never checked out in place)
//   source: { dir: ../linux }                 a clean tree, used read-only (builds go to O=)
//   fragments: [qemu-virt, thinlto, ./my.config]   kconfigs/NAME.config, or a path
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { def, list, obj, opt, req, tagged, union, type Out } from './fields.js';
import { debianVersion, enumOf, int, str } from './leaves.js';
import type { Cx } from './problems.js';
import { resolvePath } from './paths.js';
import type { KernelBuildSpec, KernelSourceSpec } from './types.js';

const DEBIAN_SOURCE = /^linux-source-\d+\.\d+$/;

const sourceField = union(
  str({ pattern: DEBIAN_SOURCE, hint: 'a Debian source package like linux-source-6.12', expects: 'a Debian source package like linux-source-6.12' }),
  tagged({
    debian: obj({
      debian: req(str({ pattern: DEBIAN_SOURCE, hint: 'a Debian source package like linux-source-6.12', expects: 'a Debian source package like linux-source-6.12' }), 'Debian\'s linux-source-X.Y package.'),
      version: req(debianVersion(), 'Exactly this version of it, e.g. 6.12.117-1~deb12u1 (apt\'s name=version).'),
    }),
    git: obj({
      git: req(str(), 'A git repository (relative to the scenario file); the ref is exported with `git archive`, the checkout is never touched.'),
      ref: req(str({ scalars: true }), 'Tag, branch or commit, e.g. v6.1.100.'),
    }),
    dir: obj({ dir: req(str(), 'A clean kernel tree (no in-tree .config), used read-only.') }),
  }, 'kernel source'),
);

export const kernelBuildField = obj({
  source: req(sourceField, 'linux-source-6.12 (Debian package), { debian: linux-source-6.12, version: V } (pinned), { git: PATH, ref: REF } or { dir: PATH }.'),
  base: def(enumOf(['tinyconfig', 'defconfig', 'debian'] as const), 'tinyconfig',
    'Starting config: tinyconfig (smallest, fastest), defconfig (x86_64_defconfig) or debian (Debian\'s own config for a linux-source package; slow to build).'),
  fragments: def(list(str({ pattern: /^[\w./~-]+$/, hint: 'a kconfigs/ name like qemu-virt, or a path to a .config fragment' }), { expects: 'a list of fragments' }), ['qemu-virt'],
    'Merged in order by merge_config.sh; kconfigs/NAME.config or a path. Every option they set must survive, or the build refuses.'),
  llvm: opt(int({ min: 11, max: 40 }), 'Build with LLVM N (clang-N, ld.lld-N; LLVM=-N). Needed by thinlto and cfi. Default: gcc.'),
});

/** The fragment file a name or path stands for. */
export function fragmentPath(name: string, scenarioDir: string, kconfigsDir: string): string {
  if (name.includes('/') || name.endsWith('.config')) return resolvePath(name, scenarioDir);
  return path.join(kconfigsDir, `${name}.config`);
}

export async function resolveKernelBuild(b: Out<typeof kernelBuildField>, dir: string, kconfigsDir: string, cx: Cx): Promise<KernelBuildSpec | undefined> {
  let ok = true;
  let source: KernelSourceSpec;
  if (typeof b.source === 'string') source = { kind: 'debian', package: b.source };
  else if (b.source.tag === 'debian') source = { kind: 'debian', package: b.source.value.debian, version: b.source.value.version };
  else if (b.source.tag === 'git') {
    const repo = resolvePath(b.source.value.git, dir);
    if (!existsSync(path.join(repo, '.git')) && !existsSync(path.join(repo, 'HEAD'))) {
      cx.reportAt(b.source.value.$at.git, `not a git repository: ${repo}`);
      ok = false;
    }
    source = { kind: 'git', repo, ref: String(b.source.value.ref) };
  } else {
    const d = resolvePath(b.source.value.dir, dir);
    if (!(await stat(d).then((s) => s.isDirectory(), () => false))) {
      cx.reportAt(b.source.value.$at.dir, `kernel source directory not found: ${d}`);
      ok = false;
    }
    source = { kind: 'dir', dir: d };
  }
  const fragments: string[] = [];
  for (const f of b.fragments) {
    const p = fragmentPath(f, dir, kconfigsDir);
    if (!existsSync(p)) {
      cx.reportAt(b.$at.fragments, `fragment '${f}' not found (${p})`);
      ok = false;
    }
    fragments.push(p);
  }
  const needsLlvm = b.fragments.filter((f) => /^(thinlto|cfi|fineibt)$/.test(f));
  if (needsLlvm.length && b.llvm === undefined) {
    cx.reportAt(b.$at.fragments, `fragments ${needsLlvm.join(', ')} need clang: add \`llvm: 16\``);
    ok = false;
  }
  if (!ok) return undefined;
  return { source, base: b.base, fragments, ...(b.llvm !== undefined ? { llvm: b.llvm } : {}) };
}
