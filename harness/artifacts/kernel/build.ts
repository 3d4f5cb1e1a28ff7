// Kernels built from source (`kernel: { build: … }`), in two cached stages:
//   configure  base config + fragments through the kernel's own
//              merge_config.sh -m and olddefconfig, then the post-merge check
//              (kconfig.ts): a dropped option fails here, before any compiling;
//   build      `make all` in an O= dir, modules_install, the log kept.
// The build entry is keyed by source identity + final .config + toolchain
// version, so a second run builds nothing and an equivalent fragment set
// shares the kernel. ccache (when installed) makes a rebuild after one option
// changed recompile only what that option touches — and, because a build of
// one of krepro's own trees compiles in an O= dir directly inside the tree
// (Kbuild then says srctree `..`: every path it passes, -fmacro-prefix-map
// included, is relative), the same file in another tree (the next commit of
// a bisection, another linux-source version) hits too. The dir is moved into
// the cache entry afterwards and its two links back to the tree made absolute.
import { execa } from '../../util/children.js';
import { kernelBuildNeeds, requireHost } from '../../util/requirements.js';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import type { KernelBuildSpec } from '../../scenario/types.js';
import { aptFetch } from '../store/apt.js';
import { cached, hashOf, removeScratch, scratchDir } from '../store/cache.js';
import { droppedOptions, effectiveRequests, explainDropped, formatDropped, parseConfig, parseFragment, parseKconfig, type KconfigEntry } from './kconfig.js';
import type { KernelArtifact, KernelBuildTree } from './artifact.js';
import { resolveSource, type KernelSource } from './source.js';
import { buildFailure, runLogged } from '../store/build-log.js';
import { BuildError, firstLine } from '../../util/errors.js';
import { resolveToolchain, type Toolchain } from './toolchain.js';
import { cacheRoot } from '../store/root.js';
import { task, type Task } from '../../util/progress.js';

// Bump when the commands below change what a given (source, .config, toolchain) produces.
const BUILDER_VERSION = 1;

/**
 * Configure only, as Kconfig answers: the final .config text, whatever requests it dropped
 * (a config search asks this of every candidate, then builds the config it really got).
 */
export async function configureKernel(spec: KernelBuildSpec): Promise<{ config: string; source: KernelSource; toolchain: Toolchain; fragments: Array<{ file: string; text: string }> }> {
  // The host's prerequisites first: a missing package fails here, in seconds, naming the package.
  await requireHost('a kernel build', kernelBuildNeeds({ llvm: spec.llvm, git: spec.source.kind === 'git' }));
  const toolchain = await resolveToolchain(spec.llvm);
  const source = await resolveSource(spec.source);
  const fragments = await Promise.all(spec.fragments.map(async (f) => ({ file: f, text: await readFile(f, 'utf8') })));
  const config = await configure(spec, source, fragments, toolchain);
  return { config, source, toolchain, fragments };
}

/** Configure and check only (no compiling): the final .config text, or the refusal listing dropped options. */
export async function checkKernelConfig(spec: KernelBuildSpec): Promise<{ config: string; source: KernelSource; toolchain: Toolchain }> {
  const { config, source, toolchain, fragments } = await configureKernel(spec);
  await verify(config, fragments, source);
  return { config, source, toolchain };
}

/** Configure, check and build (or find cached) the kernel a scenario describes. */
export async function buildKernel(spec: KernelBuildSpec): Promise<KernelArtifact & { tree: KernelBuildTree }> {
  const { config, source, toolchain } = await checkKernelConfig(spec);
  const key = hashOf(['kernel-build', BUILDER_VERSION, source.hash, config, toolchain.version]);
  const label = `${source.identity.replace(/^debian:/, '')} ${spec.base}+${spec.fragments.map((f) => basename(f, '.config')).join('+')}${spec.llvm ? ` llvm-${spec.llvm}` : ''}`;
  const logPath = join(cacheRoot(), 'kernel-build', `${key}.build.log`);
  const dir = await cached('kernel-build', key, (tmp) => compile(tmp, { source, config, toolchain, label, logPath }));
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { release: string };
  return {
    bzImage: join(dir, 'bzImage'),
    modulesDir: join(dir, 'lib', 'modules', manifest.release),
    release: manifest.release,
    hash: key,
    identity: `build:${label}`,
    tree: { source: source.dir, obj: join(dir, 'build'), toolchain },
  };
}

/** Environment for every make and merge_config run: ARCH and LLVM must be the same each time or Kconfig answers differ. */
function makeEnv(tc: Toolchain): Record<string, string> {
  return {
    ARCH: 'x86_64',
    ...(tc.llvm ? { LLVM: `-${tc.llvm}` } : {}),
    // Fixed build identity: reproducible init/version.o, so rebuilds hit ccache there too.
    KBUILD_BUILD_USER: 'krepro',
    KBUILD_BUILD_HOST: 'krepro',
    KBUILD_BUILD_TIMESTAMP: '1970-01-01',
    ...tc.ccacheEnv,
    LC_ALL: 'C',
  };
}

async function configure(spec: KernelBuildSpec, source: KernelSource, fragments: Array<{ file: string; text: string }>, tc: Toolchain): Promise<string> {
  const key = hashOf(['kernel-config', BUILDER_VERSION, source.hash, spec.base, fragments.map((f) => [basename(f.file), f.text]), tc.version]);
  const dir = await cached('kernel-config', key, async (tmp) => {
    const t = task(`configure kernel ${spec.base}+${fragments.map((f) => basename(f.file, '.config')).join('+')}`, { important: true });
    const obj = join(tmp, 'obj');
    const logPath = join(tmp, 'configure.log');
    await mkdir(obj);
    const env = makeEnv(tc);
    const make = (...args: string[]) => runLogged('make', ['-C', source.dir, `O=${obj}`, ...tc.makeVars, ...args], { cwd: source.dir, env, logPath });
    try {
      if (spec.base === 'debian') {
        await writeFile(join(obj, '.config'), await debianConfig(source));
        await make('olddefconfig');
      } else {
        await make(spec.base);
      }
      t.update('merge_config');
      await runLogged(join(source.dir, 'scripts/kconfig/merge_config.sh'), ['-m', '-O', obj, join(obj, '.config'), ...fragments.map((f) => f.file)], { cwd: source.dir, env, logPath });
      await make('olddefconfig');
      await copyFile(join(obj, '.config'), join(tmp, 'config'));
      await rm(obj, { recursive: true, force: true });
      t.done();
    } catch (err) {
      t.fail(firstLine(err));
      // The log lives in the temp entry, which goes with the failure: quote it, do not point at it.
      const e = await buildFailure('kernel configure failed', logPath, err);
      throw new BuildError(e.message, { cause: err, tail: e.evidence.tail });
    }
  });
  return readFile(join(dir, 'config'), 'utf8');
}

/** Debian's own config for this kernel series (linux-config-X.Y), with Debian's signing-key paths blanked. */
async function debianConfig(source: KernelSource): Promise<string> {
  const series = /linux-source-(\d+\.\d+)/.exec(source.identity)?.[1];
  if (!series) throw new Error(`base: debian needs a Debian linux-source-X.Y source (got ${source.identity}); use tinyconfig or defconfig`);
  const deb = (await aptFetch([`linux-config-${series}`])).get(`linux-config-${series}`)!;
  const r = await execa('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xO --wildcards "*/config.amd64_none_amd64.xz" | xz -d', 'sh', deb.path], { maxBuffer: 64e6 });
  return String(r.stdout)
    .replace(/^CONFIG_SYSTEM_TRUSTED_KEYS=.*$/m, 'CONFIG_SYSTEM_TRUSTED_KEYS=""')
    .replace(/^CONFIG_SYSTEM_REVOCATION_KEYS=.*$/m, 'CONFIG_SYSTEM_REVOCATION_KEYS=""');
}

/** Fail before building when a requested option did not survive, naming the dependencies that dropped it. */
async function verify(config: string, fragments: Array<{ file: string; text: string }>, source: KernelSource): Promise<void> {
  const final = parseConfig(config);
  const dropped = droppedOptions(effectiveRequests(fragments.map((f) => parseFragment(f.text, f.file))), final);
  if (dropped.length === 0) return;
  const defs = await kconfigDefinitions(source.dir);
  throw new BuildError(`${formatDropped(dropped, (s) => explainDropped(s, defs, final))}\n` +
    'Fix the fragments (or the `llvm:` toolchain they need) — krepro does not build a kernel other than the one asked for.');
}

/** Every config entry of the tree's Kconfig files (for explaining dropped options). */
async function kconfigDefinitions(src: string): Promise<Map<string, KconfigEntry[]>> {
  const defs = new Map<string, KconfigEntry[]>();
  // One pass over every Kconfig file is ~1 s; parsing all of them lets explainDropped follow any chain.
  const r = await execa('grep', ['-rlE', '--include=Kconfig*', '^(menu)?config ', src], { reject: false });
  for (const file of String(r.stdout).split('\n').filter(Boolean)) {
    for (const e of parseKconfig(await readFile(file, 'utf8'), file.slice(src.length + 1))) {
      defs.set(e.symbol, [...(defs.get(e.symbol) ?? []), e]);
    }
  }
  return defs;
}

interface CompileInput {
  source: KernelSource;
  config: string;
  toolchain: Toolchain;
  label: string;
  logPath: string;
}

async function compile(out: string, b: CompileInput): Promise<void> {
  const t = task(`build kernel ${b.label}`, { important: true });
  const kept = join(out, 'build');
  const obj = b.source.owned ? await scratchDir(b.source.dir, 'obj') : kept;
  if (!b.source.owned) await mkdir(obj);
  await writeFile(join(obj, '.config'), b.config);
  const env = makeEnv(b.toolchain);
  const jobs = `-j${Math.max(1, availableParallelism())}`;
  const times: Record<string, number> = {};
  const phase = async (name: string, args: string[], show: (line: string) => string | undefined = () => undefined): Promise<void> => {
    const t0 = Date.now();
    phaseUpdate(t, name, '');
    await runLogged('make', ['-C', b.source.dir, `O=${obj}`, ...b.toolchain.makeVars, ...args], {
      cwd: b.source.dir, env, logPath: b.logPath, onLine: (line) => {
        const s = show(line);
        if (s !== undefined) phaseUpdate(t, name, s, t0);
      },
    });
    times[`${name}Ms`] = Date.now() - t0;
  };
  try {
    await writeFile(b.logPath, `# ${b.label}\n# toolchain: ${b.toolchain.version}\n`);
    await phase('configure', ['olddefconfig']);
    if ((await readFile(join(obj, '.config'), 'utf8')) !== b.config) throw new Error('olddefconfig changed the verified .config in the build dir');
    // The compile lines ("  CC      fs/ext4/inode.o", "  LTO     vmlinux.a") say where the build is.
    await phase('build', [jobs, 'all'], (l) => /^\s+([A-Z]+[A-Z0-9_ ]*?)\s+(\S+)$/.exec(l)?.slice(1).join(' '));
    const release = (await execa('make', ['-s', '-C', b.source.dir, `O=${obj}`, ...b.toolchain.makeVars, 'kernelrelease'], { env: { ...process.env, ...env } })).stdout.trim();
    const modulesOn = /^CONFIG_MODULES=y$/m.test(b.config);
    if (modulesOn) await phase('modules_install', ['INSTALL_MOD_STRIP=1', `INSTALL_MOD_PATH=${out}`, 'modules_install']);
    await builtinOnlyModulesDir(out, obj, release);
    await copyFile(join(obj, 'arch', 'x86', 'boot', 'bzImage'), join(out, 'bzImage'));
    await writeFile(join(out, 'manifest.json'), `${JSON.stringify({ release, source: b.source.identity, toolchain: b.toolchain.version, ...times }, null, 2)}\n`);
    await copyFile(join(obj, '.config'), join(out, 'config'));
    if (obj !== kept) {
      await rename(obj, kept);
      await relocateObjTree(kept, b.source.dir);
    }
    await rename(b.logPath, join(out, 'build.log'));
    t.update('');
    t.done(`${release}, ${Object.entries(times).map(([k, v]) => `${k.replace(/Ms$/, '')} ${(v / 1000).toFixed(0)}s`).join(', ')}`);
  } catch (err) {
    t.fail(firstLine(err));
    if (obj !== kept) await removeScratch(obj);
    throw await buildFailure(`kernel build failed (${b.label})`, b.logPath, err);
  }
}

/**
 * A build dir compiled inside its tree refers to it relatively: the `source`
 * link is `..` and the generated Makefile says `include ../Makefile`. Once the
 * dir is moved into its cache entry both must name the tree itself, for the
 * module builds (`make -C OBJ M=…`, ZFS's --with-linux-obj) that use it there.
 */
export async function relocateObjTree(obj: string, srcDir: string): Promise<void> {
  const link = join(obj, 'source');
  const target = await readlink(link).catch(() => undefined);
  if (target !== undefined && !isAbsolute(target)) {
    await rm(link);
    await symlink(srcDir, link);
  }
  const makefile = join(obj, 'Makefile');
  const text = await readFile(makefile, 'utf8').catch(() => undefined);
  if (text !== undefined) await writeFile(makefile, relocatedMakefile(text, srcDir));
}

/** The obj dir's generated Makefile with a relative `include …/Makefile` made absolute (pure; tested). */
export function relocatedMakefile(text: string, srcDir: string): string {
  return text.replace(/^(include\s+)(?!\/)\S*Makefile$/m, `$1${srcDir}/Makefile`);
}

function phaseUpdate(t: Task, name: string, detail: string, t0 = Date.now()): void {
  const s = Math.round((Date.now() - t0) / 1000);
  t.update(`${name} ${s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`}${detail ? `: ${detail}` : ''}`);
}

/**
 * Images read lib/modules/<release>/modules.dep and modules.builtin to skip
 * built-in modules; a kernel without module support (or with none built)
 * still gets that dir, holding the builtin lists and an empty modules.dep.
 */
async function builtinOnlyModulesDir(out: string, obj: string, release: string): Promise<void> {
  const dir = join(out, 'lib', 'modules', release);
  await mkdir(dir, { recursive: true });
  for (const f of ['modules.builtin', 'modules.builtin.modinfo', 'modules.order']) {
    if (!existsSync(join(dir, f)) && existsSync(join(obj, f))) await copyFile(join(obj, f), join(dir, f));
  }
  // modules_install leaves links into the build tree; they would dangle once the entry is renamed into place.
  for (const l of ['build', 'source']) await rm(join(dir, l), { force: true });
  if (!existsSync(join(dir, 'modules.dep'))) await execa('depmod', ['-b', out, release]);
}
