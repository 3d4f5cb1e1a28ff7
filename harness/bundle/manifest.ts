// A bug bundle's manifest.json: what one failing attempt ran on — every
// Debian package (version, sha256, size, .deb file), the kernel and image
// identities with their cache hashes, git commits named in identities, the
// kernel .config — and the attempt's verdict, so `krepro replay` can make the
// same run resolve exactly those inputs and say whether it failed the same way.
// Built from result.json alone (plus the .deb sizes a lock needs, which
// result.json does not carry); read back with every field checked.
import type { LockedPackage } from '../artifacts/store/lock.js';
import type { ScenarioResult, Verdict } from '../results/types.js';
import { InputError } from '../util/errors.js';

export const MANIFEST_KIND = 'krepro-bundle';
export const MANIFEST_VERSION = 1;

/** The attempt's outcome, as the replay compares it. */
export interface BundleOutcome {
  verdict: Verdict;
  reason?: string;
  message: string;
  /** The first crash that was not allowed (the deciding one), if any. */
  crash?: { kind: string; title: string; signature: string; step: number };
}

/** An artifact the replay must resolve to the same hash (kernel, image, …; packages are listed apart). */
export interface BundleArtifact {
  identity?: string;
  hash: string;
}

export interface Manifest {
  kind: typeof MANIFEST_KIND;
  version: typeof MANIFEST_VERSION;
  createdAt: string;
  /** The scenario as run, bundle-relative (scenario/NAME.yaml), and where it was. */
  scenario: { name: string; file: string; original: string; sha256: string };
  /** The lock the attempt ran under, if any (bundle-relative copy and its sha256). */
  lock?: { file: string; original: string; sha256: string };
  attempt: number;
  outcome: BundleOutcome;
  /** Every Debian package the attempt used: name → version, sha256, size, .deb file (a lock's entries). */
  packages: Record<string, LockedPackage>;
  /** result.json's other artifact rows (kernel, image): identity and the hash the replay must see. */
  artifacts: Record<string, BundleArtifact>;
  /** Git commits named by the identities (`git:REPO@REF(COMMIT)`). */
  git: Array<{ artifact: string; repo: string; ref: string; commit: string }>;
  /** The kernel's .config (Debian's /boot/config-ABI or a built kernel's), bundle-relative, or why there is none. */
  kernelConfig: { file: string; sha256: string } | { absent: string };
  /** Every other file of the bundle (relative path → sha256). */
  files: Record<string, string>;
  /** Things a reader must know: the scenario edited after the run, inputs outside the bundle. */
  notes: string[];
}

/** The deciding crash of a result: the first one the verdict is about (title in the message), else the first. */
export function decidingCrash(r: ScenarioResult): BundleOutcome['crash'] {
  const c = r.crashes.find((x) => r.message.includes(x.title)) ?? r.crashes[0];
  return c && { kind: c.kind, title: c.title, signature: c.signature, step: c.step };
}

/** The Debian packages of result.json's `deb:NAME` rows; `sizeOf` supplies what result.json does not record. */
export function packagesOf(r: ScenarioResult, sizeOf: (name: string, p: Omit<LockedPackage, 'size'>) => number): Record<string, LockedPackage> {
  const out: Record<string, LockedPackage> = {};
  for (const [key, row] of Object.entries(r.artifacts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!key.startsWith('deb:')) continue;
    const name = key.slice(4);
    const m = /^([^=]+)=(.+)$/.exec(row.identity ?? '');
    if (!m || m[1] !== name) throw new InputError(`result.json: artifacts["${key}"] has identity ${JSON.stringify(row.identity)}, not ${name}=VERSION`);
    if (!row.path) throw new InputError(`result.json: artifacts["${key}"] has no .deb file name (path)`);
    const p = { version: m[2]!, sha256: row.hash, file: row.path };
    out[name] = { ...p, size: sizeOf(name, p) };
  }
  return out;
}

/** result.json's non-package artifact rows the replay must match (the lock row is the lock itself, not an input). */
export function artifactsOf(r: ScenarioResult): Record<string, BundleArtifact> {
  const out: Record<string, BundleArtifact> = {};
  for (const [key, row] of Object.entries(r.artifacts)) {
    if (key.startsWith('deb:') || key === 'lock') continue;
    out[key] = { ...(row.identity === undefined ? {} : { identity: row.identity }), hash: row.hash };
  }
  return out;
}

/** Commits named in identities: kernel sources exported from git, ZFS from git (`git:REPO@REF(COMMIT)`). */
export function gitCommitsOf(artifacts: Record<string, BundleArtifact>): Manifest['git'] {
  const out: Manifest['git'] = [];
  for (const [artifact, a] of Object.entries(artifacts)) {
    for (const m of (a.identity ?? '').matchAll(/git:([^@\s]+)@([^(\s]+)\(([0-9a-f]{7,40})\)/g)) {
      out.push({ artifact, repo: m[1]!, ref: m[2]!, commit: m[3]! });
    }
  }
  return out;
}

/** The manifest's packages as a lock (`krepro lock`'s entries). */
export function lockPackages(m: Manifest): Map<string, LockedPackage> {
  return new Map(Object.entries(m.packages));
}

/** Compare what a replay resolved with what the bundle lists: one line per artifact that differs (both hashes named). */
export function artifactMismatches(m: Manifest, resolved: Record<string, { identity?: string; hash: string }>): string[] {
  const out: string[] = [];
  for (const [name, want] of Object.entries(m.artifacts)) {
    const got = resolved[name];
    if (!got) out.push(`${name}: the bundle lists ${want.identity ?? ''} ${want.hash}, the replay resolved no ${name}`);
    else if (got.hash !== want.hash) {
      out.push(`${name}: hash mismatch: the bundle has ${want.hash} (${want.identity ?? '?'}), this machine resolved ${got.hash} (${got.identity ?? '?'})`);
    }
  }
  for (const [name, want] of Object.entries(m.packages)) {
    const got = resolved[`deb:${name}`];
    if (got && got.hash !== want.sha256) out.push(`deb:${name}: sha256 mismatch: the bundle has ${want.sha256}, this machine used ${got.hash}`);
  }
  return out;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Parse manifest.json; anything malformed is an InputError naming the file and the field. */
export function parseManifest(text: string, path: string): Manifest {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path}: not JSON (${(e as Error).message}): not a krepro bundle manifest`);
  }
  const bad = (what: string): never => {
    throw new InputError(`${path}: ${what}`);
  };
  const isObj = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === 'object' && !Array.isArray(v);
  if (!isObj(doc)) return bad('a bundle manifest is a JSON object');
  if (doc.kind !== MANIFEST_KIND) bad(`kind ${JSON.stringify(doc.kind)} is not "${MANIFEST_KIND}"`);
  if (doc.version !== MANIFEST_VERSION) bad(`version ${JSON.stringify(doc.version)} is not ${MANIFEST_VERSION} (made by another krepro?)`);
  const rel = (v: unknown, what: string): string => {
    if (typeof v !== 'string' || !v || v.startsWith('/') || v.split('/').includes('..')) bad(`${what} must be a path inside the bundle`);
    return v as string;
  };
  const hex = (v: unknown, what: string): string => {
    if (typeof v !== 'string' || !HEX64.test(v)) bad(`${what} must be a sha256 (64 lowercase hex digits)`);
    return v as string;
  };
  const sc = doc.scenario;
  if (!isObj(sc) || typeof sc.name !== 'string' || typeof sc.original !== 'string') bad("'scenario' must be { name, file, original, sha256 }");
  const scenario = { name: (sc as Record<string, string>).name!, file: rel((sc as Record<string, unknown>).file, 'scenario.file'), original: (sc as Record<string, string>).original!, sha256: hex((sc as Record<string, unknown>).sha256, 'scenario.sha256') };
  if (!/\.ya?ml$/.test(scenario.file)) bad('scenario.file must be a .yaml file');
  let lock: Manifest['lock'];
  if (doc.lock !== undefined) {
    if (!isObj(doc.lock)) bad("'lock' must be { file, original, sha256 }");
    const l = doc.lock as Record<string, unknown>;
    lock = { file: rel(l.file, 'lock.file'), original: String(l.original ?? ''), sha256: hex(l.sha256, 'lock.sha256') };
  }
  const o = doc.outcome;
  if (!isObj(o) || !['passed', 'failed', 'error'].includes(o.verdict as string) || typeof o.message !== 'string') bad("'outcome' must be { verdict: passed|failed|error, reason, message, crash? }");
  const oc = o as Record<string, unknown>;
  let crash: BundleOutcome['crash'];
  if (oc.crash !== undefined) {
    const c = oc.crash as Record<string, unknown>;
    if (!isObj(c) || typeof c.kind !== 'string' || typeof c.title !== 'string' || typeof c.signature !== 'string' || typeof c.step !== 'number') bad("'outcome.crash' must be { kind, title, signature, step }");
    crash = { kind: c.kind as string, title: c.title as string, signature: c.signature as string, step: c.step as number };
  }
  const outcome: BundleOutcome = { verdict: oc.verdict as Verdict, ...(typeof oc.reason === 'string' ? { reason: oc.reason } : {}), message: oc.message as string, ...(crash ? { crash } : {}) };
  if (!isObj(doc.packages)) bad("'packages' must be an object of name → { version, sha256, size, file }");
  const packages: Record<string, LockedPackage> = {};
  for (const [name, v] of Object.entries(doc.packages as Record<string, unknown>)) {
    const p = (isObj(v) ? v : {}) as Record<string, unknown>;
    if (!/^[a-z0-9][a-z0-9.+-]+$/.test(name)) bad(`packages: '${name}' is not a Debian package name`);
    if (typeof p.version !== 'string' || !/^(\d+:)?\d[A-Za-z0-9.+~-]*$/.test(p.version)) bad(`packages.${name}.version must be a Debian version`);
    const sha256 = hex(p.sha256, `packages.${name}.sha256`);
    if (typeof p.size !== 'number' || !Number.isInteger(p.size) || p.size <= 0) bad(`packages.${name}.size must be a positive whole number of bytes`);
    if (typeof p.file !== 'string' || !/^[^/]+\.deb$/.test(p.file)) bad(`packages.${name}.file must be a .deb file name`);
    packages[name] = { version: p.version as string, sha256, size: p.size as number, file: p.file as string };
  }
  if (!isObj(doc.artifacts)) bad("'artifacts' must be an object of name → { identity, hash }");
  const artifacts: Record<string, BundleArtifact> = {};
  for (const [name, v] of Object.entries(doc.artifacts as Record<string, unknown>)) {
    if (!isObj(v) || typeof v.hash !== 'string' || !v.hash) bad(`artifacts.${name} must be { identity, hash }`);
    const a = v as Record<string, unknown>;
    artifacts[name] = { ...(typeof a.identity === 'string' ? { identity: a.identity } : {}), hash: a.hash as string };
  }
  const kc = doc.kernelConfig;
  let kernelConfig: Manifest['kernelConfig'];
  if (isObj(kc) && typeof kc.absent === 'string') kernelConfig = { absent: kc.absent };
  else if (isObj(kc)) kernelConfig = { file: rel(kc.file, 'kernelConfig.file'), sha256: hex(kc.sha256, 'kernelConfig.sha256') };
  else return bad("'kernelConfig' must be { file, sha256 } or { absent: WHY }");
  if (!isObj(doc.files)) bad("'files' must be an object of path → sha256");
  const files: Record<string, string> = {};
  for (const [f, h] of Object.entries(doc.files as Record<string, unknown>)) files[rel(f, `files["${f}"]`)] = hex(h, `files["${f}"]`);
  const git = Array.isArray(doc.git) ? (doc.git as Manifest['git']) : [];
  const notes = Array.isArray(doc.notes) ? (doc.notes as unknown[]).map(String) : [];
  const attempt = typeof doc.attempt === 'number' ? doc.attempt : 1;
  return {
    kind: MANIFEST_KIND, version: MANIFEST_VERSION, createdAt: String(doc.createdAt ?? ''), scenario,
    ...(lock ? { lock } : {}), attempt, outcome, packages, artifacts, git, kernelConfig, files, notes,
  };
}

/** The manifest's text: stable key order, one trailing newline. */
export function formatManifest(m: Manifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

/** One line per outcome, for people: `failed/crash: TITLE (step N)`. */
export function describeOutcome(o: BundleOutcome): string {
  const head = `${o.verdict}${o.reason ? `/${o.reason}` : ''}`;
  return o.crash ? `${head}: ${o.crash.title} (step ${o.crash.step})` : `${head}: ${o.message.split('\n')[0]}`;
}
