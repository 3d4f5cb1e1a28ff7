// Kernels ready to boot: a bzImage and its modules tree with modules.dep.
// Debian kernels are fetched through the private apt config and unpacked into
// the cache; user kernels ({path}) are used in place and only fingerprinted.
import { execa } from '../../util/children.js';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import type { KernelSpec } from '../../scenario/types.js';
import { aptFetch, type DebFile } from '../store/apt.js';
import { lockedVersion } from '../store/lock.js';
import { bzImageVersion } from './bzimage.js';
import type { KernelArtifact } from './artifact.js';
import { buildKernel } from './build.js';
import { cached, fileHash, hashOf } from '../store/cache.js';
import { withTask } from '../../util/progress.js';
import { asBuildError, BuildError, errorMessage, InfraError } from '../../util/errors.js';

/** Fetch or locate the kernel a scenario asks for. */
export async function resolveKernel(spec: KernelSpec): Promise<KernelArtifact> {
  try {
    if (spec.kind === 'build') return await buildKernel(spec.build);
    return await (spec.kind === 'debian' ? debianKernel(spec.abi, spec.version) : pathKernel(spec.bzImage, spec.modules));
  } catch (e) {
    throw asBuildError(e);
  }
}

async function fetchImagePackage(abi: string, version?: string): Promise<DebFile> {
  // bullseye to trixie: linux-image-ABI is the signed build (vmlinuz + modules); -unsigned exists for the same ABI.
  let firstErr: unknown;
  const names = [`linux-image-${abi}`, `linux-image-${abi}-unsigned`];
  // Under a lock, the one it names: a hash mismatch must surface as itself, not as "no package".
  const locked = names.find((n) => lockedVersion(n) !== undefined);
  if (locked) return (await aptFetch([version ? `${locked}=${version}` : locked])).get(locked)!;
  for (const name of names) {
    try {
      return (await aptFetch([version ? `${name}=${version}` : name])).get(name)!;
    } catch (err) {
      firstErr ??= err;
    }
  }
  throw new InfraError(`no Debian kernel package for ABI ${abi}${version ? ` at version ${version}` : ''}`, { cause: firstErr });
}

async function debianKernel(abi: string, version?: string): Promise<KernelArtifact> {
  if (!/^[\w.+-]+$/.test(abi)) throw new Error(`bad Debian kernel ABI ${JSON.stringify(abi)}`);
  const deb = await fetchImagePackage(abi, version);
  const hash = hashOf(['kernel-debian', abi, basename(deb.path), deb.sha256]);
  const dir = await cached('kernel', hash, (tmp) => withTask(`unpack kernel ${abi} (${deb.version})`, { important: true }, async (t) => {
    await execa('dpkg-deb', ['-x', deb.path, tmp]);
    if (!existsSync(join(tmp, 'boot', `vmlinuz-${abi}`))) throw new Error(`${basename(deb.path)} has no /boot/vmlinuz-${abi}`);
    // trixie's packages are merged-/usr: modules in usr/lib/modules, where depmod -b and images do not look.
    if (existsSync(join(tmp, 'usr', 'lib', 'modules', abi)) && !existsSync(join(tmp, 'lib', 'modules'))) {
      await mkdir(join(tmp, 'lib'), { recursive: true });
      await rename(join(tmp, 'usr', 'lib', 'modules'), join(tmp, 'lib', 'modules'));
    }
    await rm(join(tmp, 'usr', 'share'), { recursive: true, force: true });
    t.update('depmod');
    // Debian ships no modules.dep (postinst runs depmod); images need it for the closure and modprobe.
    await execa('depmod', ['-b', tmp, abi]);
    await writeFile(join(tmp, 'krepro-kernel.json'), `${JSON.stringify({ abi, deb: basename(deb.path), version: deb.version, sha256: deb.sha256 }, null, 2)}\n`);
  }));
  return {
    bzImage: join(dir, 'boot', `vmlinuz-${abi}`),
    modulesDir: join(dir, 'lib', 'modules', abi),
    release: abi,
    hash,
    identity: `debian:${abi}@${deb.version}`,
  };
}

/** The modules dir a user gave: a lib/modules/<release> dir itself, or an INSTALL_MOD_PATH root holding one. */
async function findModulesDir(given: string, release: string): Promise<string> {
  const dir = resolve(given);
  if (existsSync(join(dir, 'modules.dep'))) return dir;
  for (const candidate of [join(dir, release), join(dir, 'lib', 'modules', release)]) {
    if (existsSync(join(candidate, 'modules.dep'))) return candidate;
  }
  const sub = join(dir, 'lib', 'modules');
  const names = await readdir(sub).catch(() => [] as string[]);
  if (names.length === 1 && existsSync(join(sub, names[0]!, 'modules.dep'))) return join(sub, names[0]!);
  throw new Error(`${given}: no modules.dep found (expected a lib/modules/<release> dir after \`make modules_install\`, or run depmod)`);
}

/** Cheap fingerprint of a modules tree: every file's path, size and mtime. */
async function treeFingerprint(dir: string): Promise<string> {
  const rows: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath ?? e.path, e.name);
    const s = await stat(p);
    rows.push(`${relative(dir, p)}\t${s.size}\t${Math.floor(s.mtimeMs)}`);
  }
  return hashOf(rows.sort());
}

async function pathKernel(bzImagePath: string, modules?: string): Promise<KernelArtifact> {
  const bzImage = resolve(bzImagePath);
  let release: string;
  try {
    release = (await bzImageVersion(bzImage)).release;
  } catch (err) {
    if (!modules) throw new BuildError(`${bzImagePath}: ${errorMessage(err)}`, { cause: err });
    release = ''; // fall back to the modules dir name below
  }
  let modulesDir = '';
  if (modules) {
    modulesDir = await findModulesDir(modules, release);
    release ||= basename(modulesDir);
  }
  const hash = hashOf(['kernel-path', await fileHash(bzImage), modulesDir ? await treeFingerprint(modulesDir) : null]);
  return { bzImage, modulesDir, release, hash, identity: `path:${bzImage}` };
}
