// Lock files: the exact Debian packages a scenario was resolved to (name →
// version, archive sha256, size, .deb file name), written by `krepro lock`
// beside the scenario as NAME.lock.json and obeyed by runs. While a run's
// artifacts are resolved, the lock (and a record of every .deb actually used)
// travels in an AsyncLocalStorage: aptFetch is called from deep inside the
// kernel, ZFS and image builders, and threading a parameter through all of
// them would couple every builder to locking.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../../util/errors.js';

/** One package as locked (and as a run records it). */
export interface LockedPackage {
  version: string;
  /** sha256 of the .deb, from the archive's signed index when locked. */
  sha256: string;
  size: number;
  /** The .deb's file name in apt's archives dir (name_version_arch.deb, epoch as %3a). */
  file: string;
}

export interface Lock {
  /** Path of the lock file (not written into it). */
  path: string;
  /** The scenario file's name, for people reading the lock. */
  scenario: string;
  /** sha256 of the lock file's text, for result.json. */
  sha256: string;
  packages: Map<string, LockedPackage>;
}

const LOCK_VERSION = 1;

/** Where a scenario's lock lives: boot.yaml → boot.lock.json in the same folder. */
export function lockPathFor(scenarioFile: string): string {
  return join(dirname(scenarioFile), `${basename(scenarioFile).replace(/\.ya?ml$/, '')}.lock.json`);
}

/** The lock file's text: stable (sorted names, no timestamp), so re-locking an unchanged archive changes nothing. */
export function formatLock(scenario: string, packages: Map<string, LockedPackage>): string {
  const sorted = [...packages].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const body = {
    lockVersion: LOCK_VERSION,
    scenario,
    refresh: `krepro lock ${scenario}`,
    packages: Object.fromEntries(sorted.map(([n, p]) => [n, { version: p.version, sha256: p.sha256, size: p.size, file: p.file }])),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** Parse a lock file's text; anything malformed is an InputError naming the file and the entry. */
export function parseLock(text: string, path: string): Lock {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path}: not JSON (${(e as Error).message}); regenerate it with \`krepro lock\``);
  }
  const bad = (what: string): never => {
    throw new InputError(`${path}: ${what}; regenerate it with \`krepro lock\``);
  };
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) bad('a lock file is a JSON object');
  const o = doc as Record<string, unknown>;
  if (o.lockVersion !== LOCK_VERSION) bad(`lockVersion ${JSON.stringify(o.lockVersion)} is not ${LOCK_VERSION}`);
  if (!o.packages || typeof o.packages !== 'object' || Array.isArray(o.packages)) bad("'packages' must be an object of name → { version, sha256, size, file }");
  const packages = new Map<string, LockedPackage>();
  for (const [name, v] of Object.entries(o.packages as Record<string, unknown>)) {
    const p = (v ?? {}) as Record<string, unknown>;
    if (!/^[a-z0-9][a-z0-9.+-]+$/.test(name)) bad(`'${name}' is not a Debian package name`);
    if (typeof p.version !== 'string' || !/^(\d+:)?\d[A-Za-z0-9.+~-]*$/.test(p.version)) bad(`${name}: 'version' must be a Debian version`);
    if (typeof p.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(p.sha256)) bad(`${name}: 'sha256' must be 64 lowercase hex digits`);
    if (typeof p.size !== 'number' || !Number.isInteger(p.size) || p.size <= 0) bad(`${name}: 'size' must be a positive whole number of bytes`);
    if (typeof p.file !== 'string' || !/^[^/]+\.deb$/.test(p.file)) bad(`${name}: 'file' must be a .deb file name`);
    packages.set(name, { version: p.version as string, sha256: p.sha256 as string, size: p.size as number, file: p.file as string });
  }
  const sha256 = createHash('sha256').update(text).digest('hex');
  return { path, scenario: typeof o.scenario === 'string' ? o.scenario : '', sha256, packages };
}

/** The lock beside a scenario, or undefined when there is none. */
export async function readLockFor(scenarioFile: string): Promise<Lock | undefined> {
  const path = lockPathFor(scenarioFile);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError(`${path}: ${(e as Error).message}`);
  }
  return parseLock(text, path);
}

/** What aptFetch obeys and records while one scenario's artifacts are resolved. */
export interface PackageScope {
  /** Present: every package must come from it, at its version and hash. */
  lock?: Lock;
  /** Every .deb handed out in this scope (name → what was used). */
  used: Map<string, LockedPackage>;
}

const scope = new AsyncLocalStorage<PackageScope>();

/** Run fn with packages resolved under `s.lock` (if any); every .deb used goes into `s.used`, even when fn fails. */
export function inPackageScope<T>(s: PackageScope, fn: () => Promise<T>): Promise<T> {
  return scope.run(s, fn);
}

/** The scope of the artifacts being resolved now, if any. */
export function packageScope(): PackageScope | undefined {
  return scope.getStore();
}

/** The version the active lock holds for a package, if a lock is active and names it. */
export function lockedVersion(name: string): string | undefined {
  return scope.getStore()?.lock?.packages.get(name)?.version;
}
