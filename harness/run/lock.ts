// `krepro lock`: resolve a scenario's artifacts exactly as a run would, but
// without its lock, and write every Debian package used (name → version,
// sha256, size, .deb file) to NAME.lock.json beside it. Resolving for real
// fetches every locked .deb into krepro's cache, which is what lets a run
// use a version after it has left the archive.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { formatLock, lockPathFor, type LockedPackage } from '../artifacts/store/lock.js';
import { writeAtomic } from '../results/atomic.js';
import type { Scenario } from '../scenario/types.js';
import { resolveArtifacts } from './artifacts.js';

export interface LockResult {
  path: string;
  packages: Map<string, LockedPackage>;
  /** False when the file already said exactly this. */
  changed: boolean;
}

/** Resolve `sc` afresh (newest versions, except what the scenario pins) and write its lock. */
export async function lockScenario(sc: Scenario): Promise<LockResult> {
  const used = new Map<string, LockedPackage>();
  await resolveArtifacts(sc, undefined, used);
  const path = lockPathFor(sc.file);
  const text = formatLock(basename(sc.file), used);
  const changed = (await readFile(path, 'utf8').catch(() => '')) !== text;
  if (changed) await writeAtomic(path, text);
  return { path, packages: used, changed };
}
