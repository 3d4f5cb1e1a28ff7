// Choosing the accelerator: KVM when it really works, else TCG. The answer of
// the (slow-ish) probe is cached per (QEMU version, host kernel, /dev/kvm
// presence) in cacheRoot()/accel.json, so a host is probed once; the "KVM
// unusable, using TCG" note is printed once per host and QEMU version too,
// not on every run (the reason told is kept in accel-told.json).

import { constants } from 'node:fs';
import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { release } from 'node:os';
import { dirname, join } from 'node:path';
import { cacheRoot } from '../artifacts/store/root.js';
import { execa } from '../util/children.js';
import { interrupted } from '../util/interrupt.js';
import { note } from '../util/progress.js';
import { runProbe, type ProbeResult } from './probe.js';

export interface AccelChoice {
  accel: 'kvm' | 'tcg';
  reason: string;
}

/** A cached probe outcome. */
export interface AccelCacheEntry {
  kvmWorks: boolean;
  detail: string;
  probeMs: number;
  probedAt: string;
}

/** Seams for tests; production uses the defaults. */
export interface AccelDeps {
  kvmDevice?: string;
  cacheFile?: string;
  probe?: (qemu: string, accel: 'kvm' | 'tcg', timeoutMs: number) => Promise<ProbeResult>;
  qemuVersion?: (qemu: string) => Promise<string>;
  probeTimeoutMs?: number;
  /** Aborted when krepro is asked to stop: a probe cut short proves nothing and is not cached. */
  stop?: AbortSignal;
}

/** Pick 'kvm' or 'tcg' for a machine; 'auto' probes KVM with a real boot (cached), 'kvm' throws if it is broken. */
export async function resolveAccel(want: 'auto' | 'kvm' | 'tcg', qemu: string, deps: AccelDeps = {}): Promise<AccelChoice> {
  if (want === 'tcg') return { accel: 'tcg', reason: 'tcg requested' };
  const kvm = await kvmUsability(deps.kvmDevice ?? '/dev/kvm');
  let verdict: { works: boolean; why: string };
  if (kvm !== 'ok') {
    verdict = { works: false, why: kvm };
  } else {
    const entry = await probeCached(qemu, deps);
    verdict = { works: entry.kvmWorks, why: entry.kvmWorks ? `KVM probe booted in ${entry.probeMs} ms` : `KVM probe failed: ${entry.detail}` };
  }
  if (verdict.works) return { accel: 'kvm', reason: verdict.why };
  if (want === 'kvm') {
    throw new Error(`KVM was requested (machine.accel: kvm) but does not work on this host: ${verdict.why.replace(/\.$/, '')}. Use accel: auto or tcg.`);
  }
  if (await firstTelling(qemu, verdict.why, deps)) note(`krepro: KVM unusable (${verdict.why}); using TCG, which is much slower`);
  return { accel: 'tcg', reason: verdict.why };
}

// In this process, the note has been printed (or found already told) for these reasons.
const told = new Set<string>();

/**
 * True the first time `why` is the fallback reason on this host and QEMU: the
 * note is printed once, not on every run. The reason told is kept beside the
 * probe cache, in accel-told.json (a changed reason is told again).
 */
async function firstTelling(qemu: string, why: string, deps: AccelDeps): Promise<boolean> {
  if (told.has(why)) return false;
  told.add(why);
  const file = join(dirname(deps.cacheFile ?? join(cacheRoot(), 'accel.json')), 'accel-told.json');
  const key = await accelCacheKey(qemu, deps);
  const cache = await readCache(file);
  if ((cache[key] as { told?: string } | undefined)?.told === why) return false;
  await writeCache(file, { ...cache, [key]: { told: why } });
  return true;
}

/** 'ok', or why /dev/kvm cannot be used (missing, no permission). */
async function kvmUsability(dev: string): Promise<string> {
  try {
    await access(dev, constants.R_OK | constants.W_OK);
    return 'ok';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${dev} does not exist` : `${dev} is not usable (${code})`;
  }
}

/** The cache key: anything that changes whether KVM works here. */
export async function accelCacheKey(qemu: string, deps: AccelDeps = {}): Promise<string> {
  const version = await (deps.qemuVersion ?? qemuVersion)(qemu);
  const kvmPresent = await access(deps.kvmDevice ?? '/dev/kvm').then(
    () => true,
    () => false,
  );
  return JSON.stringify({ qemu: version, kernel: release(), kvm: kvmPresent });
}

async function probeCached(qemu: string, deps: AccelDeps): Promise<AccelCacheEntry> {
  const file = deps.cacheFile ?? join(cacheRoot(), 'accel.json');
  const key = await accelCacheKey(qemu, deps);
  const cache = await readCache(file);
  const hit = cache[key];
  if (hit && 'kvmWorks' in hit) return hit;
  const r = await (deps.probe ?? runProbe)(qemu, 'kvm', deps.probeTimeoutMs ?? 10_000);
  (deps.stop ?? interrupted).throwIfAborted();
  const entry: AccelCacheEntry = { kvmWorks: r.ok, detail: r.detail, probeMs: r.ms, probedAt: new Date().toISOString() };
  // Re-read before writing: another run may have added its own key meanwhile.
  await writeCache(file, { ...(await readCache(file)), [key]: entry });
  return entry;
}

async function readCache(file: string): Promise<Record<string, AccelCacheEntry | { told: string }>> {
  try {
    const data = JSON.parse(await readFile(file, 'utf8'));
    return data && typeof data === 'object' ? data : {};
  } catch {
    return {}; // missing or corrupt: probe again
  }
}

async function writeCache(file: string, data: Record<string, AccelCacheEntry | { told: string }>): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`);
  await rename(tmp, file); // atomic: concurrent runs never see half a file
}

const versions = new Map<string, Promise<string>>();

/** First line of `qemu -version`, e.g. "QEMU emulator version 7.2.22 (Debian …)". */
export function qemuVersion(qemu: string): Promise<string> {
  let v = versions.get(qemu);
  if (!v) {
    v = execa(qemu, ['-version']).then(({ stdout }) => String(stdout).split('\n')[0]!.trim());
    versions.set(qemu, v);
  }
  return v;
}
