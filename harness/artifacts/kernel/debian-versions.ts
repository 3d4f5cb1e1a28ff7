// Debian's kernels in the archive, in Debian version order: every
// linux-image-ABI of one flavour (amd64, cloud-amd64, rt-amd64) that any
// release in krepro's private apt has, with its package version and suite.
// The order is dpkg's own (dpkg --compare-versions): never a hand-rolled
// comparison of Debian versions.
import { apt, ensureLists } from '../store/apt.js';
import { execa } from '../../util/children.js';

/** One kernel ABI as the archive has it. */
export interface DebianKernel {
  /** The ABI a scenario names: `kernel: { debian: ABI }` (5.10.0-32-amd64, 6.12.118+deb13-amd64). */
  abi: string;
  package: string;
  /** The newest package version of that ABI (5.10.223-1), the sort key. */
  version: string;
  /** Where that version comes from (bullseye, bookworm-security, trixie …). */
  suite: string;
}

/**
 * The flavour of an ABI: what follows its version part (5.10.0-32-amd64 →
 * amd64, 6.12.118+deb13-cloud-amd64 → cloud-amd64, 6.1.0-0.deb11.48-amd64 →
 * amd64); undefined for meta names without a full version (6.1-amd64).
 */
export function abiFlavour(abi: string): string | undefined {
  return /^\d+\.\d+\.\d+[^-]*(?:-[\d.]+(?:deb\d+\.\d+)?)?-([a-z][a-z0-9-]*)$/.exec(abi)?.[1];
}

/** `apt-cache madison` lines → package, version, suite (pure; tested on real output). */
export function parseMadison(text: string): Array<{ package: string; version: string; suite: string }> {
  const rows: Array<{ package: string; version: string; suite: string }> = [];
  for (const line of text.split('\n')) {
    const [pkg, version, from] = line.split('|').map((s) => s.trim());
    const suite = /\s(\S+?)\/\S+\s+\S+\s+Packages$/.exec(from ?? '')?.[1];
    if (pkg && version && suite) rows.push({ package: pkg, version, suite });
  }
  return rows;
}

/** dpkg's comparison: negative, zero or positive as a < b, a = b, a > b under Debian's version rules. */
export async function compareDebianVersions(a: string, b: string): Promise<number> {
  if (a === b) return 0;
  const lt = await execa('dpkg', ['--compare-versions', a, 'lt', b], { reject: false });
  if (lt.exitCode === 0) return -1;
  const gt = await execa('dpkg', ['--compare-versions', a, 'gt', b], { reject: false });
  if (gt.exitCode === 0) return 1;
  if (gt.exitCode === 1) return 0;
  throw new Error(`dpkg --compare-versions ${a} gt ${b}: ${String(gt.stderr).trim() || `exit ${gt.exitCode}`}`);
}

/** A stable merge sort by an async comparison (dpkg is asked n·log n times, each a few ms). */
export async function sortAsync<T>(items: T[], cmp: (a: T, b: T) => Promise<number>): Promise<T[]> {
  if (items.length < 2) return [...items];
  const mid = items.length >> 1;
  const [l, r] = [await sortAsync(items.slice(0, mid), cmp), await sortAsync(items.slice(mid), cmp)];
  const out: T[] = [];
  while (l.length && r.length) out.push((await cmp(l[0]!, r[0]!)) <= 0 ? l.shift()! : r.shift()!);
  return [...out, ...l, ...r];
}

/** The newest version of each package in madison rows, as DebianKernels sorted oldest first (pure but for dpkg). */
export async function kernelsFromMadison(rows: ReturnType<typeof parseMadison>): Promise<DebianKernel[]> {
  const newest = new Map<string, { version: string; suite: string }>();
  for (const r of rows) {
    const have = newest.get(r.package);
    if (!have || (await compareDebianVersions(r.version, have.version)) > 0) newest.set(r.package, r);
  }
  const kernels = [...newest].map(([pkg, v]) => ({ abi: pkg.replace(/^linux-image-/, ''), package: pkg, ...v }));
  return sortAsync(kernels, (a, b) => compareDebianVersions(a.version, b.version));
}

/** Every kernel of `flavour` in the private apt's releases, oldest first. */
export async function debianKernels(flavour: string): Promise<DebianKernel[]> {
  await ensureLists();
  const names = (await apt('apt-cache', ['search', '--names-only', `^linux-image-[0-9].*-${flavour.replace(/[^\w-]/g, '')}$`]))
    .split('\n').map((l) => l.split(' ')[0]!).filter((n) => n && abiFlavour(n.replace(/^linux-image-/, '')) === flavour);
  if (!names.length) return [];
  return kernelsFromMadison(parseMadison(await apt('apt-cache', ['madison', ...names])));
}
