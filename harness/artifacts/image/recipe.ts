// Image recipes (images/NAME.yaml): what goes into a guest initramfs. The key
// reference lives at the top of images/base.yaml. A recipe may extend another;
// lists are appended (parent first) and files dirs are overlaid in order.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';

export interface Recipe {
  name: string;
  /** Every recipe file involved, parent first (their text is part of the cache key). */
  sources: string[];
  packages: string[];
  exclude: string[];
  /** Loaded by the init at boot, before the guest says it is ready. */
  modules: string[];
  /** In the image but loaded on demand: by device (modalias, at boot and on hotplug) or by the kernel's request (fs-ext4, crypto-crc32c). */
  autoload: string[];
  /** Absolute dirs copied over the tree root, parent first. */
  files: string[];
  params: Record<string, string>;
  /** Builders run for the scenario's kernel (builder name → version), e.g. { zfs: '2.3.2' }. */
  build: Record<string, string>;
}

const KEYS = new Set(['name', 'extends', 'packages', 'exclude', 'modules', 'autoload', 'files', 'params', 'build']);

function strings(file: string, key: string, v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' && typeof x !== 'number')) {
    throw new Error(`${file}: '${key}' must be a list of strings`);
  }
  return v.map(String);
}

async function loadRaw(file: string, chain: string[]): Promise<Recipe> {
  if (chain.includes(file)) throw new Error(`${file}: 'extends' loops (${[...chain, file].join(' → ')})`);
  const doc = (parse(await readFile(file, 'utf8')) ?? {}) as Record<string, unknown>;
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${file}: a recipe is a mapping`);
  for (const k of Object.keys(doc)) if (!KEYS.has(k)) throw new Error(`${file}: unknown key '${k}' (known: ${[...KEYS].join(', ')})`);
  const dir = dirname(file);
  let base: Recipe = { name: '', sources: [], packages: [], exclude: [], modules: [], autoload: [], files: [], params: {}, build: {} };
  if (doc.extends !== undefined) {
    if (typeof doc.extends !== 'string') throw new Error(`${file}: 'extends' must be a recipe name`);
    base = await loadRaw(recipePath(dir, doc.extends), [...chain, file]);
  }
  const params = doc.params ?? {};
  if (typeof params !== 'object' || Array.isArray(params)) throw new Error(`${file}: 'params' must be a mapping`);
  const build = doc.build ?? {};
  if (typeof build !== 'object' || Array.isArray(build)) throw new Error(`${file}: 'build' must be a mapping of builder → version`);
  const files = doc.files === undefined ? [] : [doc.files];
  if (files.some((f) => typeof f !== 'string')) throw new Error(`${file}: 'files' must be a directory path`);
  return {
    name: typeof doc.name === 'string' ? doc.name : base.name,
    sources: [...base.sources, file],
    packages: [...base.packages, ...strings(file, 'packages', doc.packages)],
    exclude: [...base.exclude, ...strings(file, 'exclude', doc.exclude)],
    modules: [...base.modules, ...strings(file, 'modules', doc.modules)],
    autoload: [...base.autoload, ...strings(file, 'autoload', doc.autoload)],
    files: [...base.files, ...(files as string[]).map((f) => resolve(dir, f))],
    // A value written as a relative path (./x, ../x) is a directory beside this recipe (kmod: ../test/fixtures/crashmod),
    // a parameter's default as much as a builder's value.
    params: { ...base.params, ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, /^\.\.?\//.test(String(v)) ? resolve(dir, String(v)) : String(v)])) },
    build: { ...base.build, ...Object.fromEntries(Object.entries(build).map(([k, v]) => [k, /^\.\.?\//.test(String(v)) ? resolve(dir, String(v)) : String(v)])) },
  };
}

function recipePath(dir: string, name: string): string {
  return isAbsolute(name) || name.endsWith('.yaml') ? resolve(dir, name) : join(dir, `${name}.yaml`);
}

/** Substitute ${param} in a string; unknown params are an error. */
function substitute(s: string, params: Record<string, string>, file: string): string {
  return s.replace(/\$\{([\w-]+)\}/g, (_, k: string) => {
    if (!(k in params)) throw new Error(`${file}: unknown parameter \${${k}} (known: ${Object.keys(params).join(', ') || 'none'})`);
    return params[k]!;
  });
}

/** Load a recipe with its parents, apply scenario params over the recipe's defaults. */
export async function loadRecipe(file: string, overrides: Record<string, string | number | boolean> = {}): Promise<Recipe> {
  const r = await loadRaw(resolve(file), []);
  for (const k of Object.keys(overrides)) {
    if (!(k in r.params)) throw new Error(`${file}: image parameter '${k}' is not declared in 'params'`);
  }
  const params = { ...r.params, ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, String(v)])) };
  return {
    ...r,
    name: r.name || file.replace(/^.*\//, '').replace(/\.yaml$/, ''),
    params,
    packages: r.packages.map((p) => substitute(p, params, file)),
    modules: r.modules.map((m) => substitute(m, params, file)),
    autoload: r.autoload.map((m) => substitute(m, params, file)),
    build: Object.fromEntries(Object.entries(r.build).map(([k, v]) => [k, substitute(v, params, file)])),
  };
}

/** A glob over tree-relative paths: '*' within one component, '**' across components. */
export function globRegex(glob: string): RegExp {
  const body = glob
    .replace(/^\/+|\/+$/g, '')
    .split(/(\*\*\/?|\*|\?)/)
    .map((part) => {
      if (part === '**/' ) return '(?:.*/)?';
      if (part === '**') return '.*';
      if (part === '*') return '[^/]*';
      if (part === '?') return '[^/]';
      return part.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${body}$`);
}
