// Kernel module closure from modules.dep: which .ko files an image needs and
// the order to load them (dependencies first), so the guest's init can insmod
// a precomputed list without module tooling doing any work at boot.
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** Module name as the kernel sees it: basename without .ko[.xz|.zst|.gz], '-' → '_'. */
export function moduleName(path: string): string {
  return basename(path).replace(/\.ko(\.(xz|zst|gz))?$/, '').replaceAll('-', '_');
}

export interface ModuleIndex {
  /** name → path relative to the modules dir */
  paths: Map<string, string>;
  /** path → direct+transitive dependency paths, as depmod wrote them */
  deps: Map<string, string[]>;
  builtin: Set<string>;
  /** path → absolute file, for modules that do not live in the kernel's modules dir (built out of tree). */
  files?: Map<string, string>;
}

/** An out-of-tree module: where it goes under lib/modules/<release>, its file, and its modinfo `depends` names. */
export interface ExtraModule {
  path: string;
  file: string;
  depends: string[];
}

/** The kernel's index plus out-of-tree modules, their dependencies resolved by name (pure; tested). */
export function mergeModules(index: ModuleIndex, extra: ExtraModule[]): ModuleIndex {
  const paths = new Map(index.paths);
  const deps = new Map(index.deps);
  const files = new Map(index.files ?? []);
  for (const e of extra) {
    paths.set(moduleName(e.path), e.path);
    files.set(e.path, e.file);
  }
  // Transitive, like depmod's lines, so moduleClosure sees the same shape for both kinds.
  const direct = new Map(extra.map((e) => [e.path, e.depends.filter(Boolean)]));
  const expand = (path: string, seen: Set<string>): void => {
    for (const name of direct.get(path) ?? []) {
      const p = paths.get(moduleName(name));
      if (!p) {
        if (index.builtin.has(moduleName(name))) continue;
        throw new Error(`module ${moduleName(path)} depends on ${name}, which the kernel does not have`);
      }
      if (seen.has(p)) continue;
      seen.add(p);
      if (direct.has(p)) expand(p, seen);
      else for (const d of deps.get(p) ?? []) seen.add(d);
    }
  };
  for (const e of extra) {
    const seen = new Set<string>();
    expand(e.path, seen);
    deps.set(e.path, [...seen]);
  }
  return { paths, deps, builtin: index.builtin, files };
}

/** Read modules.dep and modules.builtin of a lib/modules/<release> dir. */
export async function readModuleIndex(modulesDir: string): Promise<ModuleIndex> {
  const dep = await readFile(join(modulesDir, 'modules.dep'), 'utf8');
  const paths = new Map<string, string>();
  const deps = new Map<string, string[]>();
  for (const line of dep.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const path = line.slice(0, colon).trim();
    paths.set(moduleName(path), path);
    deps.set(path, line.slice(colon + 1).trim().split(/\s+/).filter(Boolean));
  }
  const builtinText = await readFile(join(modulesDir, 'modules.builtin'), 'utf8').catch(() => '');
  const builtin = new Set(builtinText.split('\n').filter(Boolean).map(moduleName));
  return { paths, deps, builtin };
}

export interface ModuleLoad {
  name: string;
  path: string;
  /** insmod parameters from the recipe ("delay_use=0"), only for modules named there. */
  params: string[];
}

/**
 * The modules to load for `wanted` ("name [param=value ...]" each), dependencies first, each once.
 * Built-in modules are skipped; unknown names throw with the list, but for
 * `name?`: a driver older kernels lack (pvpanic_pci before 5.12) is left out.
 */
export function moduleClosure(index: ModuleIndex, wanted: string[]): ModuleLoad[] {
  const order: ModuleLoad[] = [];
  const seen = new Set<string>();
  const unknown: string[] = [];
  const visit = (path: string, params: string[]): void => {
    if (seen.has(path)) return;
    seen.add(path);
    // depmod lists the full transitive set; recurse anyway so the order is a true topological one.
    for (const d of index.deps.get(path) ?? []) visit(d, []);
    order.push({ name: moduleName(path), path, params });
  };
  for (const w of wanted) {
    const [raw = '', ...params] = w.trim().split(/\s+/);
    const optional = raw.endsWith('?');
    const name = moduleName(optional ? raw.slice(0, -1) : raw);
    const path = index.paths.get(name);
    if (path) visit(path, params);
    else if (!index.builtin.has(name) && !optional) unknown.push(name);
  }
  if (unknown.length) throw new Error(`kernel modules not found (neither in modules.dep nor built in): ${unknown.join(', ')}`);
  return order;
}

/** Where a module goes in an image: compressed modules (trixie's .ko.xz) are unpacked, as busybox insmod cannot read them. */
export function imageModulePath(path: string): string {
  return path.replace(/\.ko\.(xz|zst|gz)$/, '.ko');
}
