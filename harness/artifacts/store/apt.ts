// Debian packages through an apt configuration private to the cache
// (cacheRoot()/apt): its own sources, lists, status and archives, the host's
// trusted keyrings. Nothing in the host's apt setup is read for behaviour
// except the mirror URL, and nothing there is ever written.
//
// Every release krepro can use is in the sources (bullseye, bookworm with its
// backports, trixie, each with its updates and security suites), and the pins
// keep a bare package name where it always was: bookworm first, then
// bookworm-backports, bullseye and trixie only for names no other release
// has. A request for an exact version (name=version) or an ABI-named package
// (linux-image-5.10.0-32-amd64) is taken from the one release that has it.
import { execa } from '../../util/children.js';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, utimes, writeFile, mkdtemp } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { cacheRoot } from './root.js';
import { fileHash, hashOf, withLock } from './cache.js';
import { note, task } from '../../util/progress.js';
import { errorMessage, firstLine, InfraError } from '../../util/errors.js';
import { packageScope, type Lock } from './lock.js';

const SUITE = 'bookworm';

/** The suites in the private sources, with the pin priority that keeps a bare name in its usual release. */
export const SUITES: ReadonlyArray<{ suite: string; security?: boolean; priority: number }> = [
  { suite: 'bookworm', priority: 500 },
  { suite: 'bookworm-updates', priority: 500 },
  { suite: 'bookworm-security', security: true, priority: 500 },
  { suite: 'bookworm-backports', priority: 100 },
  { suite: 'bullseye', priority: 50 },
  { suite: 'bullseye-updates', priority: 50 },
  { suite: 'bullseye-security', security: true, priority: 50 },
  { suite: 'trixie', priority: 40 },
  { suite: 'trixie-updates', priority: 40 },
  { suite: 'trixie-security', security: true, priority: 40 },
];

/** apt preferences for SUITES (pure; tested): one stanza per suite, by its archive name (n=). */
export function aptPreferences(): string {
  return SUITES.map((s) => `Package: *\nPin: release n=${s.suite}\nPin-Priority: ${s.priority}\n`).join('\n');
}
const LISTS_MAX_AGE_MS = 24 * 3600 * 1000;

export function aptRoot(): string {
  return join(cacheRoot(), 'apt');
}

export function archivesDir(): string {
  return join(aptRoot(), 'archives');
}

/** Mirror URLs from the host's sources (one-line or deb822), defaulting to deb.debian.org. */
export async function hostMirrors(): Promise<{ debian: string; security: string }> {
  const found = { debian: '', security: '' };
  const files = ['/etc/apt/sources.list'];
  for (const f of await readdir('/etc/apt/sources.list.d').catch(() => [] as string[])) {
    if (f.endsWith('.list') || f.endsWith('.sources')) files.push(join('/etc/apt/sources.list.d', f));
  }
  for (const f of files) {
    const text = await readFile(f, 'utf8').catch(() => '');
    const entries: { uris: string[]; suites: string[] }[] = [];
    if (f.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (n: string): string[] =>
          (new RegExp(`^${n}:\\s*(.*)$`, 'mi').exec(stanza)?.[1] ?? '').split(/\s+/).filter(Boolean);
        if (/^Enabled:\s*no/im.test(stanza)) continue;
        entries.push({ uris: field('URIs'), suites: field('Suites') });
      }
    } else {
      for (const line of text.split('\n')) {
        const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
        if (m) entries.push({ uris: [m[1]!], suites: [m[2]!] });
      }
    }
    for (const e of entries) {
      const uri = e.uris[0]?.replace(/\/+$/, '');
      if (!uri) continue;
      if (!found.debian && e.suites.includes(SUITE)) found.debian = uri;
      if (!found.security && e.suites.includes(`${SUITE}-security`)) found.security = uri;
    }
  }
  return {
    debian: found.debian || 'http://deb.debian.org/debian',
    security: found.security || 'http://deb.debian.org/debian-security',
  };
}

/** Write the private apt tree and return the path for APT_CONFIG. */
async function ensureConfig(): Promise<string> {
  const root = aptRoot();
  const etc = join(root, 'etc');
  for (const d of [etc, join(etc, 'apt.conf.d'), join(etc, 'sources.list.d'), join(etc, 'preferences.d'),
    join(root, 'state', 'lists', 'partial'), join(root, 'cache'), join(root, 'archives', 'partial'), join(root, 'log')]) {
    await mkdir(d, { recursive: true });
  }
  const m = await hostMirrors();
  const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
  const opt = existsSync(keyring) ? ` [signed-by=${keyring}]` : '';
  const sources = [
    ...SUITES.map((s) => `deb${opt} ${s.security ? m.security : m.debian} ${s.suite} main contrib`),
    '',
  ].join('\n');
  const conf = [
    `Dir::Etc "${etc}";`,
    'Dir::Etc::main "apt.conf";',
    'Dir::Etc::parts "apt.conf.d";',
    'Dir::Etc::sourcelist "sources.list";',
    'Dir::Etc::sourceparts "sources.list.d";',
    'Dir::Etc::preferences "preferences";',
    'Dir::Etc::preferencesparts "preferences.d";',
    'Dir::Etc::trusted "/etc/apt/trusted.gpg";',
    'Dir::Etc::trustedparts "/etc/apt/trusted.gpg.d";',
    `Dir::State "${join(root, 'state')}";`,
    'Dir::State::lists "lists";',
    `Dir::State::status "${join(root, 'state', 'status')}";`,
    `Dir::Cache "${join(root, 'cache')}";`,
    `Dir::Cache::archives "${join(root, 'archives')}";`,
    `Dir::Log "${join(root, 'log')}";`,
    'APT::Architecture "amd64";',
    'APT::Architectures { "amd64"; };',
    'Acquire::Languages "none";',
    'Acquire::Retries "3";',
    // apt drops to _apt for downloads, which cannot write into root-owned cache dirs.
    'APT::Sandbox::User "root";',
    'DPkg::Lock::Timeout "120";',
    '',
  ].join('\n');
  await writeIfChanged(join(etc, 'sources.list'), sources);
  await writeIfChanged(join(etc, 'apt.conf'), conf);
  await writeIfChanged(join(etc, 'preferences'), aptPreferences());
  if (!existsSync(join(root, 'state', 'status'))) await writeFile(join(root, 'state', 'status'), '');
  return join(etc, 'apt.conf');
}

async function writeIfChanged(path: string, text: string): Promise<void> {
  if ((await readFile(path, 'utf8').catch(() => null)) !== text) await writeFile(path, text);
}

/** Run an apt command against the private configuration. */
export async function apt(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<string> {
  const config = await ensureConfig();
  const r = await execa(cmd, args, {
    cwd: opts.cwd,
    env: { APT_CONFIG: config, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' },
    reject: false,
  });
  if (r.exitCode !== 0) {
    throw new InfraError(`${cmd} ${args.join(' ')} failed (exit ${r.exitCode}):\n${String(r.stderr || r.stdout).trim()}`, { argv: [cmd, ...args] });
  }
  return String(r.stdout);
}

/** apt-get update through the private config when lists are missing, older than a day, or `force`. */
export async function ensureLists(force = false): Promise<void> {
  const stamp = join(aptRoot(), 'state', 'updated');
  await ensureConfig();
  // The stamp holds the sources it was made for: lists of other sources (a release added) are not fresh.
  const sources = await readFile(join(aptRoot(), 'etc', 'sources.list'), 'utf8');
  const fresh = async (): Promise<boolean> => {
    const s = await stat(stamp).catch(() => null);
    return !!s && Date.now() - s.mtimeMs < LISTS_MAX_AGE_MS && (await readFile(stamp, 'utf8').catch(() => '')) === sources;
  };
  if (!force && (await fresh())) return;
  await withLock(join(aptRoot(), 'update.lock'), async () => {
    const before = (await stat(stamp).catch(() => null))?.mtimeMs ?? 0;
    if (!force && (await fresh())) return;
    if (force && before > Date.now() - 60_000) return; // someone just updated
    const t = task(`apt update (${SUITES.filter((x) => !x.suite.includes('-')).map((x) => x.suite).join(', ')} + updates, security, backports)`, { important: true });
    try {
      await apt('apt-get', ['update', '-q']);
      const now = new Date();
      await writeFile(stamp, sources).then(() => utimes(stamp, now, now));
      t.done();
    } catch (err) {
      t.fail(firstLine(err));
      // Offline with lists from an earlier update: carry on with them rather than refuse to run.
      if (before && !force) return note('apt: using package lists from an earlier update');
      throw err;
    }
  });
}

interface UriLine {
  uri: string;
  file: string;
  size: number;
  sha256?: string;
}

function parsePrintUris(out: string): UriLine[] {
  const lines: UriLine[] = [];
  for (const line of out.split('\n')) {
    const m = /^'([^']+)'\s+(\S+)\s+(\d+)\s*(\S*)/.exec(line);
    if (!m) continue;
    const sha = /^SHA256:([0-9a-f]{64})$/i.exec(m[4] ?? '')?.[1];
    lines.push({ uri: m[1]!, file: m[2]!, size: Number(m[3]), sha256: sha?.toLowerCase() });
  }
  return lines;
}

/** Package name in a request such as "foo=1.2-3" or "foo/bookworm-backports". */
export function requestName(req: string): string {
  return req.split(/[=/]/)[0]!;
}

// Resolving names to .deb URIs costs an apt-get run (~0.3 s) per call; the answer
// only changes when the lists do, so remember it per lists-update stamp.
async function printUris(pkgs: string[]): Promise<UriLine[]> {
  const stamp = await stat(join(aptRoot(), 'state', 'updated')).catch(() => null);
  const memo = stamp && join(aptRoot(), 'state', 'resolved', `${hashOf([stamp.mtimeMs, pkgs])}.json`);
  if (memo) {
    const hit = await readFile(memo, 'utf8').then((t) => JSON.parse(t) as UriLine[], () => undefined);
    if (hit) return hit;
  }
  const uris = await resolveUris(pkgs);
  if (memo) {
    await mkdir(dirname(memo), { recursive: true });
    await writeFile(`${memo}.${process.pid}.tmp`, JSON.stringify(uris));
    await rename(`${memo}.${process.pid}.tmp`, memo);
  }
  return uris;
}

async function resolveUris(pkgs: string[]): Promise<UriLine[]> {
  try {
    return parsePrintUris(await apt('apt-get', ['download', '--print-uris', '-q', ...pkgs]));
  } catch (err) {
    // A package or version newer than our lists: refresh once and retry.
    if (!NOT_IN_ARCHIVE.test(errorMessage(err))) throw err;
    await ensureLists(true);
    return parsePrintUris(await apt('apt-get', ['download', '--print-uris', '-q', ...pkgs]));
  }
}

/** A downloaded package in the cache. */
export interface DebFile {
  path: string;
  /** Version as apt resolved it (epoch included). */
  version: string;
  /** sha256 from the signed archive index: identifies the exact bytes without rehashing. */
  sha256: string;
  size: number;
}

// Files only reach archives/ after a hash check (below), so there size is enough.
async function present(path: string, u: UriLine, verify: boolean): Promise<boolean> {
  const s = await stat(path).catch(() => null);
  if (!s || s.size !== u.size) return false;
  return !verify || !u.sha256 || (await fileHash(path)) === u.sha256;
}

/** Download packages (names, "name=version" or "name/suite") into the cache; map request name → .deb path. */
export async function aptDownload(pkgs: string[]): Promise<Map<string, string>> {
  return new Map([...(await aptFetch(pkgs))].map(([k, v]) => [k, v.path]));
}

/**
 * Like aptDownload, with version and archive hash of each .deb. Inside a
 * package scope with a lock (store/lock.ts) every package must be in the lock
 * and is served at its locked version, its sha256 checked — from the cache
 * first, so a version that has left the archive still works if it was ever
 * fetched here. Every .deb handed out is recorded in the scope.
 */
export async function aptFetch(pkgs: string[]): Promise<Map<string, DebFile>> {
  const result = new Map<string, DebFile>();
  const s = packageScope();
  const free: string[] = [];
  for (const req of pkgs) {
    if (!s?.lock) free.push(req);
    else result.set(requestName(req), await fetchLocked(req, s.lock));
  }
  for (const [n, d] of await fetchFromArchive(free)) result.set(n, d);
  for (const [n, d] of result) s?.used.set(n, { version: d.version, sha256: d.sha256, size: d.size, file: basename(d.path) });
  return result;
}

const NOT_IN_ARCHIVE = /Unable to locate|Version .* was not found|Can't select/i;

/** One package as the lock says: the cached .deb if its hash matches, else exactly that version from the archive. */
async function fetchLocked(req: string, lock: Lock): Promise<DebFile> {
  const name = requestName(req);
  const l = lock.packages.get(name);
  const relock = `run \`krepro lock ${lock.scenario || '<scenario>'}\` to refresh it`;
  if (!l) throw new InfraError(`${name} is not in ${lock.path} (the scenario or its image changed since it was locked); ${relock}`);
  const asked = /=(.+)$/.exec(req)?.[1];
  if (asked !== undefined && asked !== l.version) {
    throw new InfraError(`${lock.path} locks ${name} at ${l.version}, but the scenario asks for ${asked}; ${relock}`);
  }
  const path = join(archivesDir(), l.file);
  const st = await stat(path).catch(() => null);
  if (st?.size === l.size) {
    const got = await hashOnce(path, st.mtimeMs);
    if (got !== l.sha256) throw new InfraError(`${name} ${l.version}: sha256 mismatch: ${path} has ${got}, ${lock.path} says ${l.sha256}`);
    return { path, version: l.version, sha256: l.sha256, size: l.size };
  }
  let d: DebFile;
  try {
    d = (await fetchFromArchive([`${name}=${l.version}`])).get(name)!;
  } catch (err) {
    if (!NOT_IN_ARCHIVE.test(errorMessage(err))) throw err;
    throw new InfraError(`${name} ${l.version} (locked in ${lock.path}) is no longer in the archive, and krepro's cache has no copy (${path}); put that .deb there, or ${relock}`, { cause: err });
  }
  if (d.sha256 !== l.sha256) throw new InfraError(`${name} ${l.version}: sha256 mismatch: the archive has ${d.sha256}, ${lock.path} says ${l.sha256}`);
  return d;
}

// A cached .deb is hashed once per process (a kernel source package is ~140 MB).
const hashes = new Map<string, Promise<string>>();
function hashOnce(path: string, mtimeMs: number): Promise<string> {
  const key = `${path}\0${mtimeMs}`;
  let h = hashes.get(key);
  if (!h) hashes.set(key, (h = fileHash(path)));
  return h;
}

async function fetchFromArchive(pkgs: string[]): Promise<Map<string, DebFile>> {
  const result = new Map<string, DebFile>();
  if (pkgs.length === 0) return result;
  await ensureLists();
  const uris = await printUris(pkgs);
  const byName = new Map(uris.map((u) => [u.file.split('_')[0]!, u]));
  const archives = archivesDir();
  const missing: string[] = [];
  for (const req of pkgs) {
    const u = byName.get(requestName(req));
    if (!u) throw new InfraError(`apt: no download for ${req}`);
    const path = join(archives, u.file);
    const version = decodeURIComponent(u.file.split('_')[1] ?? '');
    result.set(requestName(req), { path, version, sha256: u.sha256 ?? '', size: u.size });
    if (!(await present(path, u, false))) missing.push(req);
  }
  if (missing.length === 0) return result;
  const mb = missing.reduce((n, r) => n + (byName.get(requestName(r))?.size ?? 0), 0) / 1e6;
  const t = task(`download ${missing.length} package(s)`, { important: mb > 5 });
  t.update(`${missing.slice(0, 3).join(' ')}${missing.length > 3 ? ' …' : ''} ${mb.toFixed(1)} MB`);
  // Download into a private dir, then rename: a killed download never leaves a truncated .deb under its real name.
  const tmp = await mkdtemp(join(archives, 'partial', 'dl-'));
  try {
    await apt('apt-get', ['download', '-q', '-o', 'DPkg::Lock::Timeout=120', ...missing], { cwd: tmp });
    for (const req of missing) {
      const u = byName.get(requestName(req))!;
      if (!(await present(join(tmp, u.file), u, true))) throw new InfraError(`apt: ${u.file} missing or corrupt after download`);
      await rename(join(tmp, u.file), join(archives, u.file));
    }
    t.done();
  } catch (err) {
    t.fail(firstLine(err));
    throw err;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return result;
}

/** Direct `Depends:` of a package (first alternative of each), via the private apt config. */
export async function debDependencies(pkg: string): Promise<string[]> {
  await ensureLists();
  const out = await apt('apt-cache', ['depends', '--no-recommends', '--no-suggests', '--no-conflicts',
    '--no-breaks', '--no-replaces', '--no-enhances', pkg]);
  const deps: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s{2}(\|?)Depends:\s+<?([^\s>]+)>?/.exec(line);
    if (m && !deps.includes(m[2]!)) deps.push(m[2]!);
  }
  return deps;
}

/** Package and Version fields of a .deb. */
export async function debInfo(deb: string): Promise<{ package: string; version: string }> {
  const r = await execa('dpkg-deb', ['-f', deb, 'Package', 'Version']);
  const f = Object.fromEntries(String(r.stdout).split('\n').map((l) => l.split(/:\s*/, 2) as [string, string]));
  return { package: f.Package ?? '', version: f.Version ?? '' };
}
