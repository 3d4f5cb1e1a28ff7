// An out-of-tree kernel module from a source directory in the project (a Kbuild
// file plus C sources, like test/fixtures/crashmod), built against the scenario
// kernel's build tree (kernel/headers.ts) with the kernel's own compiler. One
// cache entry per (sources, kernel, headers, compiler): editing the .c rebuilds,
// editing a scenario beside it does not.
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { execa } from '../../util/children.js';
import { moduleBuildNeeds, requireHost } from '../../util/requirements.js';
import { cached, hashOf } from '../store/cache.js';
import { debianHeaders } from '../kernel/headers.js';
import type { KernelArtifact } from '../kernel/artifact.js';
import { cacheRoot } from '../store/root.js';
import type { BuiltModules } from './zfs.js';
import { buildFailure, runLogged } from '../store/build-log.js';
import { BuildError, firstLine } from '../../util/errors.js';
import { task } from '../../util/progress.js';

// Bump when the build commands change in a way that changes the modules.
const BUILDER_VERSION = 2;
// What Kbuild reads; build products and unrelated files (scenarios, scripts) stay out of the key.
const SOURCE_FILE = /^(?:Kbuild|Makefile)$|\.[chS]$/;

/** The files of a module source dir that go into its build, sorted (pure filter; tested). */
export function isModuleSource(name: string): boolean {
  return SOURCE_FILE.test(name) && !name.endsWith('.mod.c');
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => {
    throw new Error(`module source directory ${dir} does not exist`);
  });
  const files = entries.filter((e) => e.isFile() && isModuleSource(e.name)).map((e) => e.name).sort();
  if (!files.includes('Kbuild') && !files.includes('Makefile')) throw new Error(`${dir}: no Kbuild or Makefile, not a module source directory`);
  return files;
}

/** Build (or find) the modules of one source directory for `kernel`; they land in extra/. */
export async function buildKmod(sourceDir: string, kernel: KernelArtifact): Promise<BuiltModules> {
  await requireHost('a kernel module build', moduleBuildNeeds(kernel.identity));
  const files = await sourceFiles(sourceDir);
  const sources = await Promise.all(files.map(async (f) => [f, await readFile(join(sourceDir, f), 'utf8')]));
  const headers = await debianHeaders(kernel);
  const cc = await execa(headers.compiler, ['--version'], { reject: false }).catch(() => null);
  if (!cc || cc.exitCode !== 0) {
    throw new BuildError(`the kernel was built with ${headers.compilerText || headers.compiler}; ${headers.compiler} is not installed here (apt-get install ${headers.compiler} make)`);
  }
  const ccVersion = String(cc.stdout).split('\n')[0]!;
  const key = hashOf(['kmod', BUILDER_VERSION, sources, kernel.hash, headers.hash, ccVersion]);
  const name = sourceDir.split('/').filter(Boolean).pop()!;
  const dir = await cached('kmod', key, async (tmp) => {
    const t = task(`build module ${name} for ${kernel.release}`);
    const src = join(tmp, 'src');
    await mkdir(src, { recursive: true });
    for (const f of files) await copyFile(join(sourceDir, f), join(src, f));
    // Kbuild's own entry point: the headers tree's Makefile with M= the copy (never the repo dir).
    // The prefix map turns __FILE__ (WARNING/BUG lines) from this temp dir into NAME/file.c, as stable as in-tree paths.
    const make = ['-C', headers.obj, `M=${src}`, `CC=${headers.compiler}`, ...(headers.llvm ? [`LLVM=-${headers.llvm}`] : []), `KCFLAGS=-fmacro-prefix-map=${src}/=${name}/`, 'modules'];
    // The log is written beside the entry and moved in on success: a failure keeps it readable.
    const log = join(cacheRoot(), 'kmod', `${key}.build.log`);
    await writeFile(log, `# ${name} for ${kernel.identity}, ${ccVersion}\n`);
    try {
      await runLogged('make', make, { cwd: src, env: { LC_ALL: 'C' }, logPath: log });
    } catch (err) {
      t.fail(firstLine(err));
      throw await buildFailure(`module ${name} failed to build for ${kernel.release}`, log, err);
    }
    await rename(log, join(tmp, 'build.log'));
    const dest = join(tmp, 'lib', 'modules', kernel.release, 'extra');
    await mkdir(dest, { recursive: true });
    const built = (await readdir(src)).filter((f) => f.endsWith('.ko'));
    if (!built.length) throw new BuildError(`module ${name}: make succeeded but built no .ko`);
    for (const ko of built) {
      await copyFile(join(src, ko), join(dest, ko));
      await execa('strip', ['--strip-debug', join(dest, ko)]);
    }
    await rm(src, { recursive: true, force: true });
    t.done(built.join(', '));
  });
  const root = join(dir, 'lib', 'modules', kernel.release);
  const modules = new Map<string, string>();
  for (const ko of await readdir(join(root, 'extra'))) modules.set(relative(root, join(root, 'extra', ko)), join(root, 'extra', ko));
  return { modules, packages: [], hash: key, log: join(dir, 'build.log'), identity: await kmodIdentity(sourceDir, key) };
}

/**
 * `kmod:DIR (sources HASH)`, and when DIR is in a git work tree `git:TOP@HEAD(COMMIT)`,
 * `+dirty` when DIR has uncommitted changes (the build read the work tree, not the commit).
 */
async function kmodIdentity(sourceDir: string, key: string): Promise<string> {
  const dir = resolve(sourceDir);
  const base = `kmod:${dir} (sources ${key.slice(0, 12)})`;
  const git = (...a: string[]) => execa('git', ['-C', dir, ...a], { reject: false }).catch(() => undefined);
  const [top, head, status] = await Promise.all([git('rev-parse', '--show-toplevel'), git('rev-parse', 'HEAD'), git('status', '--porcelain', '--', '.')]);
  if (!top || top.exitCode !== 0 || !head || head.exitCode !== 0) return base;
  const dirty = status && String(status.stdout).trim() ? '+dirty' : '';
  return `${base} git:${String(top.stdout).trim()}@HEAD(${String(head.stdout).trim().slice(0, 12)})${dirty}`;
}
