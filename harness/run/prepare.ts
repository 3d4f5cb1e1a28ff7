// `krepro prepare`: fetch and build everything a scenario's attempts need
// (kernel, its PVH vmlinux, image with its out-of-tree modules) exactly as a
// run resolves them — under the scenario's lock — without booting anything.
// Warms a cache before a timed or time-limited job: CI before its tests, a
// nightly before its shards, a bisection's fixed inputs.
import { readLockFor, type LockedPackage } from '../artifacts/store/lock.js';
import type { Scenario } from '../scenario/types.js';
import { resolveArtifacts } from './artifacts.js';

export interface Prepared {
  kernel: string;
  image: string;
  entry: string;
  ms: number;
}

export async function prepareScenario(sc: Scenario): Promise<Prepared> {
  const t = Date.now();
  const lock = await readLockFor(sc.file);
  const a = await resolveArtifacts(sc, lock, new Map<string, LockedPackage>());
  return { kernel: a.kernel.identity, image: `${a.image.name} ${a.image.hash.slice(0, 12)}`, entry: a.boot.entry, ms: Date.now() - t };
}
