// A version search: the ordered list of versions between the good and the bad
// end (Debian's archive in dpkg's order, or the user's --versions), and a
// binary search over it that skips as git bisect does — a skipped version is
// never an answer, its nearest untested neighbour is tried instead, and when
// only skipped versions separate the last good from the first bad one, they
// are the candidates.
import { abiFlavour, debianKernels, type DebianKernel } from '../artifacts/kernel/debian-versions.js';
import type { Scenario } from '../scenario/types.js';
import { InputError } from '../util/errors.js';
import type { PointVerdict, VersionEntry } from './types.js';

/** What the search says next: a version to test, the first bad one, or only skipped ones left. */
export type VersionStep =
  | { kind: 'next'; version: string; left: number; steps: number }
  | { kind: 'found'; version: string; lastGood: string }
  | { kind: 'only-skipped'; candidates: string[] };

/**
 * The next step of a binary search over `list` (index 0 the good end, the
 * last the bad end) given the verdicts so far (pure; tested). The answer is
 * the first bad version after the last good one before it.
 */
export function nextVersion(list: string[], verdicts: ReadonlyMap<string, PointVerdict>): VersionStep {
  const at = (i: number): PointVerdict | undefined => verdicts.get(list[i]!);
  let firstBad = list.length - 1;
  for (let i = 1; i < list.length; i++) if (at(i) === 'bad') { firstBad = i; break; }
  let lastGood = 0;
  for (let i = firstBad - 1; i > 0; i--) if (at(i) === 'good') { lastGood = i; break; }
  const between = Array.from({ length: firstBad - lastGood - 1 }, (_, k) => lastGood + 1 + k);
  const untested = between.filter((i) => at(i) === undefined);
  if (!between.length) return { kind: 'found', version: list[firstBad]!, lastGood: list[lastGood]! };
  if (!untested.length) return { kind: 'only-skipped', candidates: [...between, firstBad].map((i) => list[i]!) };
  // The middle of the open range; when it was skipped, the untested version nearest to it (the lower on a tie).
  const mid = (lastGood + firstBad) / 2;
  const pick = untested.reduce((best, i) => (Math.abs(i - mid) < Math.abs(best - mid) ? i : best));
  return { kind: 'next', version: list[pick]!, left: untested.length - 1, steps: Math.ceil(Math.log2(untested.length + 1)) };
}

/** A scenario's kernel field as a version search sees it: a Debian ABI, without a pinned package version. */
export function debianAbiOf(sc: Scenario): string {
  if (sc.kernel.kind !== 'debian') {
    throw new InputError(`${sc.file}: a version search goes over kernel: { debian: ABI }, but this scenario's kernel is ${sc.kernel.kind === 'path' ? 'a path' : 'built'}`);
  }
  return sc.kernel.abi;
}

function entry(k: DebianKernel): VersionEntry {
  return { version: k.abi, package: k.package, debVersion: k.version, suite: k.suite };
}

/** Show a long list by its ends. */
function listed(xs: string[]): string {
  return xs.length <= 12 ? xs.join(', ') : `${xs.slice(0, 5).join(', ')}, … (${xs.length - 10} more), ${xs.slice(-5).join(', ')}`;
}

/**
 * The versions from `good` to `bad` in search order: the archive's kernels of
 * the scenario's flavour in Debian order (`auto`), or the given list in its
 * own order, every one checked against the archive. When good comes after
 * bad in that order (a fix search) the range is walked backwards.
 */
export async function versionRange(sc: Scenario, good: string, bad: string, given: 'auto' | string[], archive: (flavour: string) => Promise<DebianKernel[]> = debianKernels): Promise<VersionEntry[]> {
  const abi = debianAbiOf(sc);
  const flavour = abiFlavour(abi);
  if (!flavour) throw new InputError(`${sc.file}: kernel ABI ${abi} has no flavour (like 6.1.0-56-amd64)`);
  for (const v of [good, bad, ...(given === 'auto' ? [] : given)]) {
    if (abiFlavour(v) !== flavour) throw new InputError(`${v} is not a ${flavour} kernel ABI like ${abi} (the scenario's kernel)`);
  }
  const known = await archive(flavour);
  if (!known.length) throw new InputError(`no linux-image-*-${flavour} in Debian's archive (krepro's private apt lists)`);
  const byAbi = new Map(known.map((k) => [k.abi, k]));
  const missing = [good, bad, ...(given === 'auto' ? [] : given)].filter((v) => !byAbi.has(v));
  if (missing.length) {
    throw new InputError(`not in Debian's archive: ${[...new Set(missing)].join(', ')}; the ${flavour} kernels it has, oldest first: ${listed(known.map((k) => k.abi))}`);
  }
  const list = given === 'auto' ? known.map((k) => k.abi) : given;
  if (new Set(list).size !== list.length) throw new InputError(`--versions names a version twice: ${list.join(',')}`);
  const [g, b] = [list.indexOf(good), list.indexOf(bad)];
  if (g < 0 || b < 0) throw new InputError(`--good ${good} and --bad ${bad} must both be in --versions (${list.join(',')})`);
  if (g === b) throw new InputError(`--good and --bad are the same version (${good})`);
  const range = g < b ? list.slice(g, b + 1) : list.slice(b, g + 1).reverse();
  return range.map((v) => entry(byAbi.get(v)!));
}
