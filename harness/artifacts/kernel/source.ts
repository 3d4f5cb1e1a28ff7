// Kernel source trees for builds: Debian's linux-source-X.Y package (the
// tarball inside unpacked into the cache once), a git checkout at a ref
// (`git archive` of that commit into the cache — the user's work tree, index
// and HEAD are never touched), or a directory used in place, read-only (builds
// always go to a separate O= dir; in krepro's own trees that dir starts inside
// the tree, see build.ts).
import { execa } from '../../util/children.js';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { KernelSourceSpec } from '../../scenario/types.js';
import { aptFetch } from '../store/apt.js';
import { cached, hashOf } from '../store/cache.js';
import { task } from '../../util/progress.js';
import { BuildError, commandError, firstLine } from '../../util/errors.js';

export interface KernelSource {
  /** Absolute path of the tree (its top-level Makefile is here). */
  dir: string;
  /** Stable identity for cache keys and reports, e.g. 'debian:linux-source-6.12@6.12.117-1~deb12u1'. */
  identity: string;
  /** Part of build cache keys: changes whenever the tree's content may have changed. */
  hash: string;
  /** The tree is a cache entry of krepro's own (not a user's directory): a build may put its scratch O= dir inside it. */
  owned: boolean;
}

/** Locate or materialise the source tree a build asks for. */
export async function resolveSource(spec: KernelSourceSpec): Promise<KernelSource> {
  if (spec.kind === 'debian') return debianSource(spec.package, spec.version);
  if (spec.kind === 'git') return gitSource(spec.repo, spec.ref);
  return dirSource(spec.dir);
}

async function debianSource(pkg: string, version?: string): Promise<KernelSource> {
  if (!/^linux-source-\d+\.\d+$/.test(pkg)) throw new Error(`kernel source package must look like linux-source-6.12, got ${pkg}`);
  const deb = (await aptFetch([version ? `${pkg}=${version}` : pkg])).get(pkg)!;
  const hash = hashOf(['kernel-src', 'debian', pkg, deb.sha256]);
  const entry = await cached('kernel-src', hash, async (tmp) => {
    const t = task(`unpack ${pkg} ${deb.version}`, { important: true });
    try {
      // The package holds usr/src/linux-source-X.Y.tar.xz; only the tree inside is wanted.
      const tarball = `usr/src/${pkg}.tar.xz`;
      await execa('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" "./$3"', 'sh', deb.path, tmp, tarball]);
      await execa('tar', ['-xf', join(tmp, tarball), '-C', tmp]);
      await rm(join(tmp, 'usr'), { recursive: true, force: true });
      if (!existsSync(join(tmp, pkg, 'Makefile'))) throw new BuildError(`${pkg}: tarball has no ${pkg}/Makefile`);
      t.done();
    } catch (err) {
      t.fail(firstLine(err));
      throw err;
    }
  });
  return { dir: join(entry, pkg), identity: `debian:${pkg}@${deb.version}`, hash, owned: true };
}

async function gitSource(repo: string, ref: string): Promise<KernelSource> {
  const abs = resolve(repo);
  const git = (...args: string[]) => execa('git', ['-C', abs, ...args]).then((r) => String(r.stdout).trim());
  let commit: string;
  let tree: string;
  try {
    commit = await git('rev-parse', '--verify', `${ref}^{commit}`);
    tree = await git('rev-parse', `${commit}^{tree}`);
  } catch (err) {
    throw new BuildError(`${repo}: cannot resolve ref ${JSON.stringify(ref)}: ${commandError(err)}`, { cause: err });
  }
  // Keyed by the tree, not the commit: a rebased or cherry-picked identical tree is the same source.
  const hash = hashOf(['kernel-src', 'git-tree', tree]);
  const entry = await cached('kernel-src', hash, async (tmp) => {
    const t = task(`git archive ${ref} (${commit.slice(0, 12)})`, { important: true });
    try {
      await mkdir(join(tmp, 'tree'));
      await execa('sh', ['-c', 'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', 'sh', abs, commit, join(tmp, 'tree')]);
      t.done();
    } catch (err) {
      t.fail(firstLine(err));
      throw err;
    }
  });
  return { dir: join(entry, 'tree'), identity: `git:${abs}@${ref}(${commit.slice(0, 12)})`, hash, owned: true };
}

/** A user's tree in place: fingerprinted by every file's path, size and mtime (.git excluded). */
async function dirSource(given: string): Promise<KernelSource> {
  const dir = resolve(given);
  if (!existsSync(join(dir, 'Makefile')) || !existsSync(join(dir, 'Kconfig'))) throw new Error(`${given}: not a kernel source tree (no Makefile + Kconfig)`);
  // An in-tree configured kernel makes O= builds refuse ("source tree is not clean"); say so early.
  if (existsSync(join(dir, '.config'))) throw new Error(`${given}: has a .config (configured in place); run \`make mrproper\` there, krepro builds out of tree`);
  const rows: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath ?? e.path, e.name);
    const rel = relative(dir, p);
    if (rel.startsWith('.git/')) continue;
    const s = await stat(p);
    rows.push(`${rel}\t${s.size}\t${Math.floor(s.mtimeMs)}`);
  }
  return { dir, identity: `dir:${dir}`, hash: hashOf(['kernel-src', 'dir', rows.sort()]), owned: false };
}
