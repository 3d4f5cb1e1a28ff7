// OpenZFS for a scenario's kernel: the modules built from Debian's zfs-dkms
// source of one version against that kernel's headers with the kernel's own
// compiler, and the zfsutils-linux userland of the same version. One cache
// entry per (zfs-dkms .deb, kernel, headers, compiler): the second run builds
// nothing. The full build log stays in the entry (or beside it on failure).
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename, stat, writeFile, readFile, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join, relative } from 'node:path';
import { execa } from '../../util/children.js';
import { moduleBuildNeeds, requireHost } from '../../util/requirements.js';
import { apt, aptFetch, debDependencies, ensureLists } from '../store/apt.js';
import { lockedVersion, packageScope } from '../store/lock.js';
import { cached, hashOf } from '../store/cache.js';
import { debianHeaders, type KernelHeaders } from '../kernel/headers.js';
import type { KernelArtifact } from '../kernel/artifact.js';
import { cacheRoot } from '../store/root.js';
import { buildFailure, runLogged } from '../store/build-log.js';
import { BuildError, firstLine } from '../../util/errors.js';
import { task } from '../../util/progress.js';
import { cloneZfs, parseZfsGit, zfsGitSource } from './zfs-git.js';

// Bump when the build commands change in a way that changes the modules.
const BUILDER_VERSION = 1;

/** Out-of-tree modules and userland packages a builder adds to an image. */
export interface BuiltModules {
  /** Modules relative to lib/modules/<release>/ (e.g. extra/zfs.ko) → absolute file. */
  modules: Map<string, string>;
  /** Exact package requests (name=version) for the matching userland. */
  packages: string[];
  /** Cache key of the build (part of the image's key). */
  hash: string;
  log: string;
  /**
   * What was built, for result.json and bundles: `debian:zfs-dkms@VERSION`,
   * `git:REPO@REF(COMMIT)` (as kernel git sources write it), `kmod:DIR …`.
   */
  identity: string;
}

/** The newest Debian version in `apt-cache madison` output whose upstream part is `upstream` (2.3.2 → 2.3.2-2~bpo12+2). */
export function pickDebianVersion(madison: string, upstream: string): string | undefined {
  const found: string[] = [];
  for (const line of madison.split('\n')) {
    const v = line.split('|')[1]?.trim();
    if (v && v.replace(/^\d+:/, '').startsWith(`${upstream}-`)) found.push(v);
  }
  return found[0]; // madison lists the candidate order: newest first
}

async function newestDebianZfs(): Promise<string> {
  await ensureLists();
  // The newest of bookworm and its backports: trixie's userland needs a newer libc than the image has.
  const v = (await apt('apt-cache', ['madison', 'zfs-dkms'])).split('\n').find((l) => / bookworm(-backports)?\/contrib /.test(l))?.split('|')[1]?.trim();
  if (!v) throw new Error('no zfs-dkms of bookworm or bookworm-backports in the private apt lists');
  return v;
}

/** `2.3.2-2~bpo12+1` → `2.3.2` (the zfs-dkms tree is usr/src/zfs-UPSTREAM). */
export function upstreamOf(debVersion: string): string {
  return debVersion.replace(/^\d+:/, '').replace(/-[^-]*$/, '');
}

/**
 * The zfs-dkms version a `zfs:` parameter means: a full Debian version
 * (2.3.2-2~bpo12+1) is a pin, taken as is; an upstream version (2.3.2) is the
 * locked version when a lock names one of that upstream, else the newest
 * Debian revision apt offers (madison is asked only then).
 */
export async function chooseZfsVersion(spec: string, locked: string | undefined, madison: () => Promise<string>): Promise<string | undefined> {
  if (spec.includes('-')) return spec;
  if (locked && upstreamOf(locked) === spec) return locked;
  return pickDebianVersion(await madison(), spec);
}

async function debianZfsVersion(spec: string): Promise<string> {
  if (!/^\d+\.\d+\.\d+(-[A-Za-z0-9.+~-]+)?$/.test(spec)) {
    throw new Error(`zfs version must look like 2.3.2 (newest Debian revision) or 2.3.2-2~bpo12+1 (exactly that zfs-dkms), got ${JSON.stringify(spec)}`);
  }
  let madison = '';
  // A git tree's build locks only the userland: its version is the pin then.
  const v = await chooseZfsVersion(spec, lockedVersion('zfs-dkms') ?? lockedVersion('zfsutils-linux'), async () => {
    await ensureLists();
    return (madison = await apt('apt-cache', ['madison', 'zfs-dkms']));
  });
  if (!v) {
    const have = madison.split('\n').map((l) => l.split('|')[1]?.trim()).filter(Boolean).join(', ');
    throw new Error(`no zfs-dkms ${spec} in Debian's archive (available: ${have || 'none'})`);
  }
  return v;
}

/** Same-source libraries of zfsutils-linux (libzfs6linux, … — names differ by version). */
const USERLAND_LIB = /^lib(zfs|zpool|nvpair|uutil)[\w-]*linux$/;

/** zfsutils-linux of this Debian version and its libraries from the same source. */
async function userland(debVersion: string): Promise<string[]> {
  // Under a lock the names come from it: apt-cache cannot describe a version that has left the archive.
  const lock = packageScope()?.lock;
  const names = lock?.packages.get('zfsutils-linux')?.version === debVersion
    ? [...lock.packages].filter(([n, p]) => USERLAND_LIB.test(n) && p.version === debVersion).map(([n]) => n)
    : (await debDependencies(`zfsutils-linux=${debVersion}`)).filter((d) => USERLAND_LIB.test(d));
  return [`zfsutils-linux=${debVersion}`, ...names.map((d) => `${d}=${debVersion}`)];
}

async function compilerVersion(h: KernelHeaders): Promise<string> {
  const r = await execa(h.compiler, ['--version'], { reject: false }).catch(() => null);
  if (!r || r.exitCode !== 0) {
    throw new Error(`the kernel was built with ${h.compilerText || h.compiler}; ${h.compiler} is not installed here (apt-get install ${h.compiler} make bc libc6-dev)`);
  }
  return String(r.stdout).split('\n')[0]!;
}

/** Build (or find) the ZFS modules for `kernel`, with the userland package list. */
export async function buildZfs(upstream: string, kernel: KernelArtifact): Promise<BuiltModules> {
  const gitRef = parseZfsGit(upstream);
  await requireHost(`a ZFS ${upstream} build`, moduleBuildNeeds(kernel.identity, { zfs: true, git: Boolean(gitRef) }));
  const git = gitRef && (await zfsGitSource(gitRef));
  // A git tree's modules go with the Debian userland of its META version (the newest one when Debian lacks it).
  const debVersion = git ? await debianZfsVersion(git.version).catch(newestDebianZfs) : await debianZfsVersion(upstream);
  const dkms = git ? undefined : (await aptFetch([`zfs-dkms=${debVersion}`])).get('zfs-dkms')!;
  const packages = await userland(debVersion);
  const headers = await debianHeaders(kernel);
  const cc = await compilerVersion(headers);
  const what = git ? ['git-tree', git.tree] : [basename(dkms!.path), dkms!.sha256];
  const key = hashOf(['zfs-module', BUILDER_VERSION, ...what, kernel.hash, headers.hash, cc]);
  const logPath = join(cacheRoot(), 'zfs-module', `${key}.build.log`);
  const unpack = git
    ? (src: string) => cloneZfs(git, src)
    : async (src: string) => {
      await execa('dpkg-deb', ['-x', dkms!.path, src]);
      return join(src, 'usr', 'src', `zfs-${upstreamOf(debVersion)}`);
    };
  const label = git ? `${git.ref} (${git.commit.slice(0, 12)})` : debVersion;
  const dir = await cached('zfs-module', key, async (tmp) => {
    await buildInto(tmp, { label, git: Boolean(git), unpack, kernel, headers, cc, logPath });
  });
  const modules = new Map<string, string>();
  const root = join(dir, 'lib', 'modules', kernel.release);
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (e.isFile() && e.name.endsWith('.ko')) {
      const file = join(e.parentPath ?? e.path, e.name);
      modules.set(relative(root, file), file);
    }
  }
  const identity = git ? `git:${git.repo}@${git.ref}(${git.commit.slice(0, 12)})` : `debian:zfs-dkms@${debVersion}`;
  return { modules, packages, hash: key, log: join(dir, 'build.log'), identity };
}

interface BuildInput {
  /** Shown and logged: the Debian version, or the git ref. */
  label: string;
  /** A git tree: configure must be generated (autogen.sh) and the gitrev header made. */
  git: boolean;
  /** Put the source under src; returns the tree holding ./configure (or autogen.sh). */
  unpack: (src: string) => Promise<string>;
  kernel: KernelArtifact;
  headers: KernelHeaders;
  cc: string;
  logPath: string;
}

async function buildInto(out: string, b: BuildInput): Promise<void> {
  const t = task(`build zfs ${b.label} for ${b.kernel.release}`, { important: true });
  await mkdir(join(out, '..'), { recursive: true });
  const src = join(out, 'src');
  const times: Record<string, number> = {};
  try {
    await writeFile(b.logPath, `# zfs ${b.label} for ${b.kernel.identity}\n# compiler: ${b.cc}\n# kernel built with: ${b.headers.compilerText}\n`);
    t.update('unpack');
    const tree = await b.unpack(src);
    const jobs = String(Math.max(1, availableParallelism()));
    // CC is what the kernel's Makefile would use anyway; passing it keeps configure's test modules consistent.
    const env = { LC_ALL: 'C', CC: b.headers.compiler };
    const phases: Array<[string, string, string[]]> = [
      // Upstream git trees have no configure (release tarballs and Debian's dkms tree do).
      ...(b.git && !existsSync(join(tree, 'configure')) ? [['autogen', './autogen.sh', []] as [string, string, string[]]] : []),
      ['configure', './configure', ['--disable-dependency-tracking', '--prefix=/usr', '--with-config=kernel',
        `--with-linux=${b.headers.source}`, `--with-linux-obj=${b.headers.obj}`,
        // A kernel built with LLVM=-N: ZFS's knob passes the same LLVM= to its configure tests and module build.
        ...(b.headers.llvm ? [`KERNEL_LLVM=-${b.headers.llvm}`] : [])]],
      // gitrev: include/zfs_gitrev.h from `git describe`, which a git tree lacks (a release tarball ships it).
      ...(b.git && existsSync(join(tree, 'scripts', 'make_gitrev.sh')) ? [['gitrev', 'make', ['gitrev']] as [string, string, string[]]] : []),
      ['make', 'make', ['-C', 'module', `-j${jobs}`]],
    ];
    for (const [phase, cmd, args] of phases) {
      const t0 = Date.now();
      let lines = 0;
      await runLogged(cmd, args, { cwd: tree, env, logPath: b.logPath, onLine: () => t.update(`${phase} (${++lines} lines of output)`) });
      times[`${phase}Ms`] = Date.now() - t0;
    }
    t.update('install');
    const dest = join(out, 'lib', 'modules', b.kernel.release, 'extra');
    await mkdir(dest, { recursive: true });
    const built: string[] = [];
    for (const e of await readdir(join(tree, 'module'), { recursive: true, withFileTypes: true })) {
      if (!e.isFile() || !e.name.endsWith('.ko')) continue;
      await copyFile(join(e.parentPath ?? e.path, e.name), join(dest, e.name));
      // As dkms does: debug info would triple the image for no use in a guest.
      await execa('strip', ['--strip-debug', join(dest, e.name)]);
      built.push(e.name);
    }
    if (!built.includes('zfs.ko')) throw new BuildError('make finished but no zfs.ko was built');
    const sizes = Object.fromEntries(await Promise.all(built.map(async (n) => [n, (await stat(join(dest, n))).size])));
    await writeFile(join(out, 'manifest.json'), `${JSON.stringify({
      zfs: b.label, kernel: b.kernel.identity, compiler: b.cc, ...times, modules: sizes,
    }, null, 2)}\n`);
    await rm(src, { recursive: true, force: true });
    await rename(b.logPath, join(out, 'build.log'));
    t.done(`${built.length} modules, zfs.ko ${(sizes['zfs.ko'] / 1e6).toFixed(1)} MB`);
  } catch (err) {
    t.fail(firstLine(err));
    throw await buildFailure(`ZFS ${b.label} module build failed for ${b.kernel.release}`, b.logPath, err, 25);
  }
}
