// `krepro kernel build`: build (or find cached) a kernel from the command line
// or from a scenario's `kernel: { build: … }`, and say where it is.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fragmentPath } from '../../scenario/kernel-build.js';
import { loadScenario, ScenarioError } from '../../scenario/load.js';
import { projectDir } from '../../scenario/paths.js';
import type { KernelBase, KernelBuildSpec, KernelSourceSpec } from '../../scenario/types.js';
import { buildKernel, checkKernelConfig } from './build.js';

export interface KernelBuildOptions {
  scenario?: string;
  source?: string;
  ref?: string;
  base?: string;
  fragments: string[];
  llvm?: string;
  json: boolean;
  /** Configure and check the fragments only; print the final .config. */
  check?: boolean;
}

/** The build a command line describes: --source linux-source-6.12 | GIT_DIR --ref REF | DIR. */
export function specFromOptions(o: KernelBuildOptions, cwd = process.cwd()): KernelBuildSpec {
  if (!o.source) throw new Error('kernel build: give a scenario file or --source');
  let source: KernelSourceSpec;
  if (/^linux-source-\d+\.\d+$/.test(o.source)) source = { kind: 'debian', package: o.source };
  else if (o.ref) source = { kind: 'git', repo: path.resolve(cwd, o.source), ref: o.ref };
  else source = { kind: 'dir', dir: path.resolve(cwd, o.source) };
  const base = (o.base ?? 'tinyconfig') as KernelBase;
  if (!['tinyconfig', 'defconfig', 'debian'].includes(base)) throw new Error(`--base must be tinyconfig, defconfig or debian (got ${base})`);
  const llvm = o.llvm === undefined ? undefined : Number(o.llvm);
  if (llvm !== undefined && !Number.isInteger(llvm)) throw new Error(`--llvm must be a version number like 16 (got ${o.llvm})`);
  const fragments = (o.fragments.length ? o.fragments : ['qemu-virt']).map((f) => fragmentPath(f, cwd, projectDir('kconfigs')));
  for (const f of fragments) if (!existsSync(f)) throw new Error(`fragment not found: ${f}`);
  return { source, base, fragments, ...(llvm !== undefined ? { llvm } : {}) };
}

/** Build and print the artifact's paths; exit 0, or throw (the CLI maps errors to exit 3). */
export async function kernelBuildCommand(o: KernelBuildOptions, out: NodeJS.WritableStream): Promise<number> {
  let spec: KernelBuildSpec;
  if (o.scenario) {
    let sc;
    try {
      sc = await loadScenario(o.scenario);
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      process.stderr.write(`${e.message}\n`);
      return 2; // bad input, as for `krepro run`
    }
    if (sc.kernel.kind !== 'build') throw new Error(`${o.scenario}: its kernel is not a { build: … } kernel`);
    spec = sc.kernel.build;
  } else spec = specFromOptions(o);
  if (o.check) {
    const { config } = await checkKernelConfig(spec);
    out.write(config);
    return 0;
  }
  const k = await buildKernel(spec);
  const info = { release: k.release, bzImage: k.bzImage, modules: k.modulesDir, buildTree: k.tree.obj, source: k.tree.source, identity: k.identity, hash: k.hash };
  out.write(o.json ? `${JSON.stringify(info, null, 2)}\n` : Object.entries(info).map(([key, v]) => `${key.padEnd(10)} ${v}\n`).join(''));
  return 0;
}
