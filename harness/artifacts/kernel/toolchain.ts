// The compiler a kernel build uses: the host gcc, or LLVM N (clang-N, ld.lld-N,
// llvm-ar-N … as Debian names them, selected by the kernel's own LLVM=-N).
// Its version text is part of every build's cache key; ccache, when installed,
// wraps the C compiler so rebuilds after a small change recompile little.
import { execa } from '../../util/children.js';
import { join } from 'node:path';
import { cacheRoot } from '../store/root.js';
import { BuildError } from '../../util/errors.js';

export interface Toolchain {
  /** LLVM major version, or undefined for gcc. */
  llvm?: number;
  /** First line of `CC --version` (+ the linker's): part of cache keys. */
  version: string;
  /** Extra make variables (CC=ccache clang-16). */
  makeVars: string[];
  /** ccache's settings for the build environment (empty without ccache). */
  ccacheEnv: Record<string, string>;
  /** The C compiler command without ccache (clang-16, gcc): what out-of-tree module builds must match. */
  cc: string;
}

async function firstLine(cmd: string, args: string[]): Promise<string | undefined> {
  const r = await execa(cmd, args, { reject: false }).catch(() => undefined);
  return r && r.exitCode === 0 ? String(r.stdout).split('\n')[0]!.trim() : undefined;
}

/** Check the toolchain is installed and describe it. */
export async function resolveToolchain(llvm?: number): Promise<Toolchain> {
  const cc = llvm ? `clang-${llvm}` : 'gcc';
  const tools = llvm ? [cc, `ld.lld-${llvm}`, `llvm-ar-${llvm}`, `llvm-nm-${llvm}`, `llvm-objcopy-${llvm}`] : [cc, 'ld'];
  const versions: string[] = [];
  const missing: string[] = [];
  for (const tool of tools) {
    const v = await firstLine(tool, ['--version']);
    if (v === undefined) missing.push(tool);
    else if (versions.length < 2 && tool !== `llvm-ar-${llvm}`) versions.push(v);
  }
  if (missing.length) {
    const pkgs = llvm ? `clang-${llvm} lld-${llvm} llvm-${llvm}` : 'gcc binutils';
    throw new BuildError(`kernel build toolchain incomplete: ${missing.join(', ')} not found (apt-get install ${pkgs} make bc flex bison libelf-dev libssl-dev; see \`krepro doctor\`)`);
  }
  const ccache = await firstLine('ccache', ['--version']);
  const ccacheEnv: Record<string, string> = ccache ? {
    CCACHE_DIR: join(cacheRoot(), 'ccache'),
    // Paths under the cache become relative, so the same source built in another entry dir still hits.
    CCACHE_BASEDIR: cacheRoot(),
    CCACHE_NOHASHDIR: '1',
    CCACHE_MAXSIZE: process.env.CCACHE_MAXSIZE ?? '10G',
  } : {};
  return { llvm, version: versions.join(' / '), makeVars: ccache ? [`CC=ccache ${cc}`] : [], ccacheEnv, cc };
}
