// Content-addressed store: cacheRoot()/KIND/KEY is either absent or complete.
// A build writes into a unique temp dir beside the entry and is renamed into
// place only when it resolves, so a thrown or killed build leaves no entry.
// A pid lock file makes concurrent krepro processes build an entry once; the
// rename stays the real guarantee (a stale or stolen lock costs only time).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheRoot } from './root.js';
import { sleep } from '../../util/signals.js';

/** Stable sha256 hex of JSON-ish parts (object keys sorted, Buffers hashed by content). */
export function hashOf(parts: unknown[]): string {
  return createHash('sha256').update(canonical(parts)).digest('hex');
}

function canonical(v: unknown): string {
  if (v === undefined) return 'null';
  if (Buffer.isBuffer(v)) return `buf:${createHash('sha256').update(v).digest('hex')}`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v instanceof Map) return canonical(Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), x])));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  if (typeof v === 'bigint') return `${v}n`;
  return JSON.stringify(v) ?? 'null';
}

/** sha256 hex of a file's bytes. */
export async function fileHash(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

// In one process, concurrent calls for the same entry share one build.
const inflight = new Map<string, Promise<string>>();

/** Return cacheRoot()/kind/key, building it with build(tmpDir) first if absent. */
export function cached(kind: string, key: string, build: (tmpDir: string) => Promise<void>): Promise<string> {
  if (!/^[\w.-]+$/.test(kind) || !/^[\w.-]+$/.test(key)) throw new Error(`bad cache kind/key: ${kind}/${key}`);
  const final = join(cacheRoot(), kind, key);
  let p = inflight.get(final);
  if (!p) {
    p = buildOnce(final, key, build).finally(() => inflight.delete(final));
    inflight.set(final, p);
  }
  return p;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function buildOnce(final: string, key: string, build: (tmpDir: string) => Promise<void>): Promise<string> {
  if (await exists(final)) return final;
  const dir = join(final, '..');
  await mkdir(dir, { recursive: true });
  await sweepDeadTemps(dir);
  const lock = `${final}.lock`;
  if (!(await acquire(lock, final))) return final; // another process built it while we waited
  try {
    if (await exists(final)) return final;
    const tmp = join(dir, `.tmp-${key}-${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(tmp);
    try {
      await build(tmp);
      await rename(tmp, final);
    } catch (err) {
      await removeTemp(tmp); // never hides err
      // Lost a race with a builder that ignored our lock: its entry is as good as ours.
      if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (err as NodeJS.ErrnoException).code === 'EEXIST') {
        return final;
      }
      throw err;
    }
    return final;
  } finally {
    await rm(lock, { force: true });
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take `lock` (O_EXCL file holding our pid); wait while a live process holds it, steal it from a dead one.
 * Returns false, without the lock, when `final` appears meanwhile.
 */
async function acquire(lock: string, final?: string): Promise<boolean> {
  for (let waited = 0; ; ) {
    try {
      const fh = await open(lock, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
    // An empty file may be a lock being written right now; give it a moment before calling it stale.
    if ((owner && !alive(owner)) || (!owner && waited > 2000)) {
      await rm(lock, { force: true });
      continue;
    }
    if (final && (await exists(final))) return false;
    await sleep(200);
    waited += 200;
  }
}

/** Run fn while holding the pid lock file `lock` (for shared state that is not a cache entry, e.g. apt lists). */
export async function withLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  await acquire(lock);
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

/**
 * A private temp dir inside `parent` (named like cache temps, so a killed
 * build's is swept by the next call for the same parent); remove it with
 * removeScratch when done. Kernel builds compile in one inside the source
 * tree (build.ts says why).
 */
export async function scratchDir(parent: string, label: string): Promise<string> {
  await sweepDeadTemps(parent);
  const dir = join(parent, `.tmp-${label}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir);
  return dir;
}

export const removeScratch = (dir: string): Promise<void> => removeTemp(dir);

/** Remove temp dirs left by killed builds (their pid is part of the name). */
async function sweepDeadTemps(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const m = /^\.tmp-.*-(\d+)-[0-9a-f]{8}$/.exec(name);
    if (m && !alive(Number(m[1]))) await removeTemp(join(dir, name));
  }
}

/**
 * Remove a temp dir, best effort: temp names are unique, so one that will not
 * go (ENOTEMPTY while something still writes into it, EPERM, EBUSY) only costs
 * disk space until a later sweep — it must never fail the build that found it.
 */
async function removeTemp(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true, maxRetries: 2 }).catch(() => {});
}
