// `krepro bundle RESULT_DIR`: one attempt's failure as a tarball an upstream
// developer can use — the scenario as run (and its lock), the exact inputs
// (manifest.json: Debian packages with version, sha256 and size, kernel and
// image hashes, git commits), the kernel .config, the evidence (console.log,
// result.json, qmp.jsonl, steps/) and a README with the one command that
// re-runs it. Staged in a private temp dir, packed by the system tar, renamed
// into place: the tarball is absent or complete.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { archivesDir, aptFetch } from '../artifacts/store/apt.js';
import { parseLock, type LockedPackage } from '../artifacts/store/lock.js';
import type { ScenarioResult } from '../results/types.js';
import { execa } from '../util/children.js';
import { errorMessage, InputError } from '../util/errors.js';
import {
  artifactsOf, decidingCrash, describeOutcome, formatManifest, gitCommitsOf, MANIFEST_KIND, MANIFEST_VERSION, packagesOf, type Manifest,
} from './manifest.js';
import { matrixScenarioText } from './matrix-cell.js';

/** What the attempt left beside result.json that a developer reads. */
const EVIDENCE = ['result.json', 'console.log', 'qmp.jsonl', 'steps'];

export interface BundleOptions {
  /** Where the tarball goes; default RESULT_DIR.bundle.tar.gz beside the attempt dir. */
  out?: string;
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** Read an attempt's result.json; a directory without one is the user's mistake (InputError). */
export async function readResult(dir: string): Promise<ScenarioResult> {
  const file = join(dir, 'result.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new InputError(`${dir}: no result.json (${errorMessage(e)}); give an attempt directory of krepro run or matrix (results/RUN/SCENARIO or …/cells/CELL/N)`);
  }
  let r: ScenarioResult;
  try {
    r = JSON.parse(text) as ScenarioResult;
  } catch (e) {
    throw new InputError(`${file}: not JSON (${errorMessage(e)})`);
  }
  if (!r || typeof r !== 'object' || typeof r.file !== 'string' || !r.verdict || !r.artifacts) {
    throw new InputError(`${file}: not a krepro result (no file, verdict or artifacts)`);
  }
  return r;
}

/** The size of each .deb (a lock needs it; result.json has only version, hash and file): from the lock, the cache, else apt. */
async function debSizes(r: ScenarioResult, lockText: string | undefined, lockPath: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  const locked = lockText ? parseLock(lockText, lockPath).packages : new Map<string, LockedPackage>();
  const ask: string[] = [];
  for (const [key, row] of Object.entries(r.artifacts)) {
    if (!key.startsWith('deb:')) continue;
    const name = key.slice(4);
    const l = locked.get(name);
    if (l && l.sha256 === row.hash) {
      sizes.set(name, l.size);
      continue;
    }
    const st = row.path ? await stat(join(archivesDir(), row.path)).catch(() => null) : null;
    if (st?.isFile()) sizes.set(name, st.size);
    else ask.push(`${name}=${(row.identity ?? '').split('=').slice(1).join('=')}`);
  }
  if (ask.length) {
    // Not in krepro's cache any more: the archive's index knows the size (apt-get download fetches it back into the cache).
    for (const [name, d] of await aptFetch(ask)) sizes.set(name, d.size);
  }
  return sizes;
}

/** The kernel's .config beside the bzImage in the cache: Debian's boot/config-ABI, or a built kernel's `config`. */
function kernelConfigPath(r: ScenarioResult): string | undefined {
  const bz = r.artifacts.kernel?.path;
  if (!bz) return undefined;
  const release = /^vmlinuz-(.+)$/.exec(basename(bz))?.[1];
  return [release ? join(dirname(bz), `config-${release}`) : '', join(dirname(bz), 'config')].find((p) => p && existsSync(p));
}

async function filesUnder(root: string, sub = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, sub), { withFileTypes: true })) {
    const rel = sub ? `${sub}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...await filesUnder(root, rel));
    else if (e.isFile()) out.push(rel);
  }
  return out.sort();
}

function readme(m: Manifest, tarball: string): string {
  const pkgs = Object.entries(m.packages);
  const arts = Object.entries(m.artifacts);
  return `# krepro bug bundle: ${m.scenario.name}

Outcome of attempt ${m.attempt}: **${describeOutcome(m.outcome)}**

${m.outcome.message}

## Re-run it

\`\`\`sh
krepro replay ${basename(tarball)}
\`\`\`

With a krepro checkout (\`npm ci && npm run build && node dist/harness/cli.js doctor --install\`), that is
\`node dist/harness/cli.js replay ${basename(tarball)}\`. The replay unpacks this bundle into a fresh
directory, writes a lock from manifest.json so every Debian package below is taken at exactly this
version and sha256 (from krepro's cache or Debian's archive), checks that the kernel and image resolve
to the hashes below (the image hash covers krepro's recipe in images/, so use the same krepro), runs
the scenario and prints the original outcome next to the new one. It refuses (exit 3, error/infra,
naming the artifact and both hashes) when anything resolves differently.

## What is here

- \`${m.scenario.file}\`: the scenario as run${m.lock ? `; \`${m.lock.file}\`: the lock it ran under` : ''}
- \`manifest.json\`: every input the replay must match, and the sha256 of every file here
- ${'kernelConfig' in m && 'file' in m.kernelConfig ? `\`${m.kernelConfig.file}\`: the kernel's .config` : `no kernel .config: ${(m.kernelConfig as { absent: string }).absent}`}
- \`original/\`: the attempt's result.json, console.log, qmp.jsonl and step outputs

## Inputs

| artifact | identity | hash |
|---|---|---|
${[...arts.map(([n, a]) => `| ${n} | ${a.identity ?? ''} | ${a.hash} |`), ...m.git.map((g) => `| git (${g.artifact}) | ${g.repo} @ ${g.ref} | ${g.commit} |`)].join('\n')}

${pkgs.length} Debian packages (name, version, sha256):

${pkgs.map(([n, p]) => `- ${n} ${p.version} ${p.sha256}`).join('\n')}
${m.notes.length ? `\n## Notes\n\n${m.notes.map((n) => `- ${n}`).join('\n')}\n` : ''}`;
}

/** Pack the attempt in `resultDir` into a tarball; returns its path and the manifest. */
export async function bundleAttempt(resultDir: string, opts: BundleOptions = {}): Promise<{ path: string; manifest: Manifest }> {
  const dir = resolve(resultDir);
  const r = await readResult(dir);
  const notes: string[] = [];
  const name = basename(r.file).replace(/\.ya?ml$/, '');
  const out = resolve(opts.out ?? `${dir}.bundle.tar.gz`);
  const top = `${basename(out).replace(/\.tar\.gz$|\.tgz$/, '')}`;
  const stage = await mkdtemp(join(tmpdir(), 'krepro-bundle-'));
  try {
    const root = join(stage, top);
    await mkdir(join(root, 'scenario'), { recursive: true });
    // The scenario as run: a matrix cell's axes rewritten into it, a plain run's file as it is.
    let scenarioText: string;
    try {
      scenarioText = await readFile(r.file, 'utf8');
    } catch (e) {
      throw new InputError(`${join(dir, 'result.json')} ran ${r.file}, which cannot be read now (${errorMessage(e)}); a bundle needs the scenario`);
    }
    const st = await stat(r.file);
    if (st.mtimeMs > Date.parse(r.startedAt)) notes.push(`${r.file} was modified after this attempt started (${new Date(st.mtimeMs).toISOString()} > ${r.startedAt}): the bundled scenario may not be the one run`);
    const cell = await matrixScenarioText(dir, r, scenarioText);
    if (cell) {
      scenarioText = cell.text;
      notes.push(`a matrix cell (${cell.id}): the scenario is ${r.file} with the cell's axes written in (${cell.changed.join(', ')})`);
    }
    const scenarioRel = `scenario/${name}.yaml`;
    await writeFile(join(root, scenarioRel), scenarioText);
    let lock: Manifest['lock'];
    let lockText: string | undefined;
    const lockRow = r.artifacts.lock;
    if (lockRow?.path) {
      try {
        lockText = await readFile(lockRow.path, 'utf8');
      } catch (e) {
        throw new InputError(`the attempt ran under ${lockRow.path}, which cannot be read now (${errorMessage(e)})`);
      }
      if (sha256(lockText) !== lockRow.hash) notes.push(`${lockRow.path} changed since the run (sha256 ${sha256(lockText)}, result.json says ${lockRow.hash}); the packages below are result.json's`);
      lock = { file: `scenario/${name}.lock.json`, original: lockRow.path, sha256: sha256(lockText) };
      await writeFile(join(root, lock.file), lockText);
    }
    const sizes = await debSizes(r, lockText, lockRow?.path ?? '');
    const packages = packagesOf(r, (n) => sizes.get(n)!);
    const artifacts = artifactsOf(r);
    for (const [n, a] of Object.entries(artifacts)) {
      if (/^(path|dir):/.test(a.identity ?? '') || /(^|[\s(])(git|dir):\//.test(a.identity ?? '')) {
        notes.push(`${n} comes from outside krepro (${a.identity}): a replay elsewhere needs that input at the same path; its hash is checked`);
      }
    }
    let kernelConfig: Manifest['kernelConfig'];
    const config = kernelConfigPath(r);
    if (config) {
      await mkdir(join(root, 'kernel'), { recursive: true });
      await copyFile(config, join(root, 'kernel', 'config'));
      kernelConfig = { file: 'kernel/config', sha256: sha256(await readFile(config)) };
    } else {
      kernelConfig = { absent: r.artifacts.kernel ? `no config beside ${r.artifacts.kernel.path ?? 'the kernel'} (a kernel given by path, or the cache entry is gone)` : 'the attempt resolved no kernel' };
    }
    await mkdir(join(root, 'original'));
    for (const f of EVIDENCE) {
      if (existsSync(join(dir, f))) await cp(join(dir, f), join(root, 'original', f), { recursive: true });
    }
    const files: Record<string, string> = {};
    for (const f of await filesUnder(root)) files[f] = sha256(await readFile(join(root, f)));
    const manifest: Manifest = {
      kind: MANIFEST_KIND, version: MANIFEST_VERSION, createdAt: new Date().toISOString(),
      scenario: { name: r.scenario, file: scenarioRel, original: r.file, sha256: files[scenarioRel]! },
      ...(lock ? { lock } : {}),
      attempt: r.attempt,
      outcome: { verdict: r.verdict, ...(r.reason ? { reason: r.reason } : {}), message: r.message, ...(decidingCrash(r) ? { crash: decidingCrash(r)! } : {}) },
      packages, artifacts, git: gitCommitsOf(artifacts), kernelConfig, files, notes,
    };
    await writeFile(join(root, 'manifest.json'), formatManifest(manifest));
    await writeFile(join(root, 'README.md'), readme(manifest, out));
    await mkdir(dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    try {
      await execa('tar', ['-C', stage, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-czf', tmp, top]);
      await rename(tmp, out);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return { path: out, manifest };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

