// Where things are: paths in a scenario (relative to its file, `~` for home)
// and the project's own folders (images/, kconfigs/), found from this module.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `~/x` is the home directory; other relative paths are relative to the scenario's folder. */
export function resolvePath(p: string, dir: string): string {
  if (p === '~' || p.startsWith('~/')) return path.join(os.homedir(), p.slice(1));
  return path.resolve(dir, p);
}

let root: string | undefined;

/** The repository root: the nearest folder above this module holding package.json (works from dist/ too). */
export function repoRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return (root = dir);
}

/** A folder shipped with the project: images/, kconfigs/, scenarios/. */
export function projectDir(name: 'images' | 'kconfigs' | 'scenarios'): string {
  return path.join(repoRoot(), name);
}
