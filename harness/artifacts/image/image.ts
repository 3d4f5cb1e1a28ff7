// Guest images: an initramfs built once per content hash from a recipe
// (Debian packages, the kernel's modules with their closure, the init), plus
// a small per-run secrets archive appended in a copy, never in the cache.
import { execa } from '../../util/children.js';
import { createHash } from 'node:crypto';
import { appendFile, chmod, copyFile, mkdir, readFile, readdir, rm, stat, symlink, writeFile, lstat } from 'node:fs/promises';
import { dirname, extname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ImageSpec } from '../../scenario/types.js';
import { aptFetch, type DebFile } from '../store/apt.js';
import { cached, hashOf } from '../store/cache.js';
import { newcArchive, packTree, S_IFDIR, S_IFREG } from './cpio.js';
import { missingLibraries } from './elf.js';
import type { KernelArtifact } from '../kernel/artifact.js';
import { runBuilders, type BuildHookResult } from './builders.js';
import { imageModulePath, mergeModules, moduleClosure, readModuleIndex } from './module-closure.js';
import { globRegex, loadRecipe, type Recipe } from './recipe.js';
import { withTask } from '../../util/progress.js';
import { asBuildError } from '../../util/errors.js';

export interface ImageArtifact {
  /** newc cpio (uncompressed base; the per-run secrets archive is appended) */
  initrd: string;
  hash: string;
  name: string;
  /** The console line (a regex-safe literal) the init prints when the guest is fully up. */
  readyMarker: string;
  /** What the recipe's builders built into it (ZFS, out-of-tree modules). */
  builds: BuildHookResult['builds'];
}

/** Printed by images/base/init when modules, disks links and sshd are all up. */
export const READY_MARKER = 'krepro-ready';
// git keeps only the exec bit, so only it is part of the key.
// Bump when the build steps below change in a way that changes the output.
const BUILDER_VERSION = 2;

/** Every file under the recipe's files dirs: relative path, mode and content hash (part of the cache key). */
async function filesDigest(dirs: string[]): Promise<string[][]> {
  const rows: string[][] = [];
  for (const dir of dirs) {
    for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
      const p = join(e.parentPath ?? e.path, e.name);
      const st = await lstat(p);
      const body = st.isFile() ? createHash('sha256').update(await readFile(p)).digest('hex') : '';
      rows.push([relative(dir, p), st.mode & 0o111 ? 'x' : '-', st.isDirectory() ? 'dir' : body]);
    }
  }
  return rows.sort((a, b) => (a.join('\0') < b.join('\0') ? -1 : 1));
}

/** Build (or find in the cache) the initramfs for a recipe and kernel. */
export async function buildImage(spec: ImageSpec, kernel: KernelArtifact): Promise<ImageArtifact> {
  try {
    return await imageFor(spec, kernel);
  } catch (e) {
    throw asBuildError(e);
  }
}

async function imageFor(spec: ImageSpec, kernel: KernelArtifact): Promise<ImageArtifact> {
  const recipe = await loadRecipe(spec.recipe, spec.params);
  // Builders first: they add modules for this kernel and the userland packages that match them.
  const built = await runBuilders(recipe.build, kernel);
  const debs = await aptFetch([...recipe.packages, ...built.packages]);
  const key = hashOf([
    'image', BUILDER_VERSION,
    await Promise.all(recipe.sources.map((f) => readFile(f, 'utf8'))),
    recipe.params,
    [...debs].map(([n, d]) => [n, d.path.replace(/^.*\//, ''), d.sha256]),
    await filesDigest(recipe.files),
    recipe.modules.length || recipe.autoload.length ? kernel.hash : null,
    kernel.release,
    built.hashes,
  ]);
  const dir = await cached('image', key, (tmp) => assemble(recipe, debs, kernel, built, tmp));
  return { initrd: join(dir, 'initrd.img'), hash: key, name: recipe.name, readyMarker: READY_MARKER, builds: built.builds };
}

async function assemble(recipe: Recipe, debs: Map<string, DebFile>, kernel: KernelArtifact, built: BuildHookResult, out: string): Promise<void> {
  const tree = join(out, 'root');
  try {
    await withTask(`build image ${recipe.name} for ${kernel.release}`, { important: true }, async (t) => {
      await mkdir(tree);
      t.update('unpack packages');
      for (const d of debs.values()) await execa('dpkg-deb', ['-x', d.path, tree]);
      await prune(tree, recipe.exclude);
      const modules = await installModules(recipe, kernel, built, tree, t.update);
      t.update('files');
      for (const src of recipe.files) await execa('cp', ['-a', '--no-preserve=ownership', `${src}/.`, tree]);
      await skeleton(tree, kernel.release);
      await busyboxLinks(tree);
      t.update('check shared libraries');
      const missing = await missingLibraries(tree);
      if (missing.length) throw new Error(`image ${recipe.name}: shared libraries missing from the recipe's packages:\n  ${missing.join('\n  ')}`);
      t.update('cpio');
      await packTree(tree, join(out, 'initrd.img'));
      const size = (await stat(join(out, 'initrd.img'))).size;
      await writeFile(join(out, 'manifest.json'), `${JSON.stringify({
        name: recipe.name, release: kernel.release, kernel: kernel.identity, size,
        packages: Object.fromEntries([...debs].map(([n, d]) => [n, d.version])), modules,
      }, null, 2)}\n`);
      t.update(`${(size / 1e6).toFixed(1)} MB`);
    });
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
}

/** Remove paths matching the recipe's exclude globs (a matching directory goes whole). */
async function prune(tree: string, globs: string[]): Promise<void> {
  if (!globs.length) return;
  const res = globs.map(globRegex);
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(tree, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (res.some((re) => re.test(r))) await rm(join(tree, r), { recursive: true, force: true });
      else if (e.isDirectory()) await walk(r);
    }
  };
  await walk('');
}

/**
 * Copy the closure of the boot and on-demand modules into the tree, depmod it (the
 * guest's modprobe resolves aliases with it), write the init's boot load list and
 * the on-demand modules' parameters as modprobe options. Returns the boot list.
 */
async function installModules(recipe: Recipe, kernel: KernelArtifact, built: BuildHookResult, tree: string, say: (s: string) => void): Promise<string[]> {
  if (!recipe.modules.length && !recipe.autoload.length) return [];
  if (!kernel.modulesDir) throw new Error(`image ${recipe.name} needs kernel modules but kernel ${kernel.identity} has none`);
  say('modules');
  const index = mergeModules(await readModuleIndex(kernel.modulesDir), built.modules);
  const loads = moduleClosure(index, recipe.modules);
  const onDemand = moduleClosure(index, recipe.autoload);
  const dest = join(tree, 'lib', 'modules', kernel.release);
  // A kernel with everything built in (kernel: { build: … } with qemu-virt) loads nothing, but depmod still needs the dir.
  await mkdir(dest, { recursive: true });
  for (const m of [...loads, ...onDemand]) {
    const to = join(dest, imageModulePath(m.path));
    await mkdir(dirname(to), { recursive: true });
    await copyModule(index.files?.get(m.path) ?? join(kernel.modulesDir, m.path), to);
  }
  // Without these, depmod and the guest's modprobe would treat built-in modules as missing.
  for (const f of ['modules.builtin', 'modules.builtin.modinfo', 'modules.order']) {
    await copyFile(join(kernel.modulesDir, f), join(dest, f)).catch(() => undefined);
  }
  await execa('depmod', ['-b', tree, kernel.release]);
  await mkdir(join(tree, 'etc', 'krepro'), { recursive: true });
  await writeFile(join(tree, 'etc', 'krepro', 'modules'), loads.map((m) => [imageModulePath(m.path), ...m.params].join(' ') + '\n').join(''));
  const options = onDemand.filter((m) => m.params.length).map((m) => `options ${m.name} ${m.params.join(' ')}\n`);
  if (options.length) {
    await mkdir(join(tree, 'etc', 'modprobe.d'), { recursive: true });
    await writeFile(join(tree, 'etc', 'modprobe.d', 'krepro.conf'), options.join(''));
  }
  return loads.map((m) => m.name);
}

const DECOMPRESS: Record<string, string> = { '.xz': 'xz', '.zst': 'zstd', '.gz': 'gzip' };

/** Copy one module, decompressing a .ko.xz/.zst/.gz (the guest's busybox insmod and modprobe load only plain .ko). */
async function copyModule(from: string, to: string): Promise<void> {
  const tool = DECOMPRESS[extname(from)];
  if (!tool || !from.endsWith(`.ko${extname(from)}`)) return copyFile(from, to);
  await execa(tool, ['-dc', from], { stdout: { file: to } });
}

/** Directories the init and dropbear expect, with the modes sshd insists on. */
async function skeleton(tree: string, release: string): Promise<void> {
  for (const d of ['dev', 'proc', 'sys', 'tmp', 'run', 'mnt', 'var/log', 'etc/dropbear', 'root/.ssh', `lib/modules/${release}`]) {
    await mkdir(join(tree, d), { recursive: true });
  }
  await chmod(join(tree, 'root'), 0o700);
  await chmod(join(tree, 'root', '.ssh'), 0o700);
  await chmod(join(tree, 'tmp'), 0o1777);
}

/** Applet symlinks made at build time, so the guest does not spend TCG time on `busybox --install`. */
async function busyboxLinks(tree: string): Promise<void> {
  const bb = join(tree, 'bin', 'busybox');
  const list = await execa(bb, ['--list-full'], { reject: false }).catch(() => null);
  if (!list || list.exitCode !== 0) return; // the init falls back to `busybox --install -s`
  for (const applet of String(list.stdout).split('\n').filter(Boolean)) {
    const link = join(tree, applet);
    if (await lstat(link).catch(() => null)) continue; // a real program from a package wins
    await mkdir(dirname(link), { recursive: true });
    await symlink('/bin/busybox', link);
  }
}

/** The per-run secrets as a gzip'd newc cpio, to be unpacked over the base image. */
export function secretsArchive(secrets: { authorizedKey: string; hostKeyDropbear: Buffer }): Buffer {
  const key = secrets.authorizedKey.trim();
  if (!/^(ssh-|ecdsa-)\S+ [A-Za-z0-9+/=]+/.test(key)) throw new Error('authorizedKey must be one OpenSSH public key line');
  return gzipSync(newcArchive([
    { name: 'etc', mode: S_IFDIR | 0o755 },
    { name: 'etc/dropbear', mode: S_IFDIR | 0o755 },
    { name: 'etc/dropbear/dropbear_ed25519_host_key', mode: S_IFREG | 0o600, data: secrets.hostKeyDropbear },
    { name: 'root', mode: S_IFDIR | 0o700 },
    { name: 'root/.ssh', mode: S_IFDIR | 0o700 },
    { name: 'root/.ssh/authorized_keys', mode: S_IFREG | 0o600, data: Buffer.from(`${key}\n`) },
  ]));
}

/** Write dir/initrd.img: the cached base followed by the secrets archive (the kernel unpacks both in order). */
export async function withRunSecrets(
  base: ImageArtifact,
  secrets: { authorizedKey: string; hostKeyDropbear: Buffer },
  dir: string,
): Promise<string> {
  const out = join(dir, 'initrd.img');
  const extra = secretsArchive(secrets);
  await copyFile(base.initrd, out);
  await chmod(out, 0o600);
  await appendFile(out, extra);
  return out;
}
