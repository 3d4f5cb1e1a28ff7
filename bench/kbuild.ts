// bench/kbuild: what a kernel build costs through krepro, on this host.
//   cold      the build entry and its config removed, ccache bypassed for
//             lookups (CCACHE_RECACHE: compiles everything, refills ccache)
//   cached    the same build again: nothing compiles (source + .config + toolchain hit)
//   one-opt   one option added by an extra fragment: a new .config, so a new
//             entry, compiled through ccache (only what the option touches misses)
// Default build: the CFI scenario's kernel. Prints wall times; no assertions.
//   node dist/bench/kbuild.js [SCENARIO.yaml] [--skip-cold]
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildKernel } from '../harness/artifacts/kernel/build.js';
import { cacheRoot } from '../harness/artifacts/store/root.js';
import { loadScenario } from '../harness/scenario/load.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const args = process.argv.slice(2);
const file = args.find((a) => a.endsWith('.yaml')) ?? join(ROOT, 'scenarios', 'cfi', 'zfs-module-load.yaml');
const sc = await loadScenario(file);
if (sc.kernel.kind !== 'build') throw new Error(`${file}: not a { build: … } kernel`);
const spec = sc.kernel.build;

async function timed(label: string, fn: () => Promise<{ hash: string }>): Promise<string> {
  const t0 = Date.now();
  const k = await fn();
  const s = (Date.now() - t0) / 1000;
  console.log(`${label.padEnd(8)} ${s.toFixed(1).padStart(7)} s   (entry ${k.hash.slice(0, 12)})`);
  return k.hash;
}

console.log(`kernel build bench: ${file}`);
if (!args.includes('--skip-cold')) {
  const k = await buildKernel(spec); // find the entry to remove (builds it if absent; untimed)
  await rm(join(cacheRoot(), 'kernel-build', k.hash), { recursive: true, force: true });
  for (const e of await readdir(join(cacheRoot(), 'kernel-config'))) await rm(join(cacheRoot(), 'kernel-config', e), { recursive: true, force: true });
  process.env.CCACHE_RECACHE = '1';
  await timed('cold', () => buildKernel(spec));
  delete process.env.CCACHE_RECACHE;
}
await timed('cached', () => buildKernel(spec));
const dir = await mkdtemp(join(tmpdir(), 'krepro-kbuild-'));
const extra = join(dir, 'one-option.config');
// A leaf option: a new .config (so a new entry), a handful of new objects.
await writeFile(extra, `CONFIG_NLS_UTF8=y\n`);
const oneOpt = await timed('one-opt', () => buildKernel({ ...spec, fragments: [...spec.fragments, extra] }));
// Removed again, so the next bench run measures a rebuild too.
await rm(join(cacheRoot(), 'kernel-build', oneOpt), { recursive: true, force: true });
await rm(dir, { recursive: true, force: true });
