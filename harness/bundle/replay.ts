// `krepro replay BUNDLE`: re-run a bundled failure with exactly its inputs.
// The bundle is unpacked into a fresh directory, a lock is written beside the
// scenario from manifest.json (`krepro lock`'s format, so the run's package
// scope serves each .deb at its version and checks its sha256), the artifacts
// are resolved under that lock and their kernel and image hashes compared
// with the manifest's before anything boots, then the scenario runs through
// the normal runner. Any difference is a refusal: error/infra, exit 3, the
// artifact and both hashes named; nothing boots.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { formatLock, lockPathFor, parseLock, type LockedPackage } from '../artifacts/store/lock.js';
import { writeAtomic, writeJsonAtomic } from '../results/atomic.js';
import type { ScenarioResult } from '../results/types.js';
import { buildRows, packageRows, resolveArtifacts } from '../run/artifacts.js';
import { runSuite } from '../run/suite.js';
import { loadScenario, ScenarioError } from '../scenario/load.js';
import { execa } from '../util/children.js';
import { errorMessage, InputError, KreproError } from '../util/errors.js';
import { artifactMismatches, decidingCrash, describeOutcome, lockPackages, parseManifest, type BundleOutcome, type Manifest } from './manifest.js';

export interface ReplayOptions {
  /** Where the replay's directory (unpacked bundle + run results) is made; default ./results. */
  resultsDir: string;
}

interface Out { write(s: string): unknown }

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** Unpack a bundle tarball into `into`; the directory holding manifest.json. */
async function unpack(bundle: string, into: string): Promise<string> {
  try {
    // --no-same-owner/-permissions: the files are this user's, whatever the tarball says.
    await execa('tar', ['-xzf', bundle, '-C', into, '--no-same-owner', '--no-same-permissions']);
  } catch (e) {
    throw new InputError(`${bundle}: cannot unpack (${errorMessage(e).split('\n').slice(-2).join(' ')}); is it a krepro bundle (.tar.gz)?`);
  }
  const tops = (await readdir(into, { withFileTypes: true })).filter((e) => e.isDirectory());
  if (tops.length !== 1) throw new InputError(`${bundle}: a krepro bundle holds one top directory, this one ${tops.length}`);
  return join(into, tops[0]!.name);
}

/** Every file the manifest lists has its hash: a damaged bundle is refused, naming the file and both hashes. */
async function checkFiles(root: string, m: Manifest): Promise<string[]> {
  const bad: string[] = [];
  const listed = { ...m.files, [m.scenario.file]: m.scenario.sha256, ...(m.lock ? { [m.lock.file]: m.lock.sha256 } : {}) };
  for (const [f, want] of Object.entries(listed)) {
    const got = await readFile(join(root, f)).then(sha256, () => 'missing');
    if (got !== want) bad.push(`${f}: the manifest says sha256 ${want}, the bundle has ${got}`);
  }
  return bad;
}

/** The outcome of a replayed attempt, as the manifest records one. */
function outcomeOf(r: ScenarioResult): BundleOutcome {
  const crash = decidingCrash(r);
  return { verdict: r.verdict, ...(r.reason ? { reason: r.reason } : {}), message: r.message, ...(crash ? { crash } : {}) };
}

/** Same verdict, and (for a crash) the same title: what "it reproduced" means for a replay. */
export function sameOutcome(a: BundleOutcome, b: BundleOutcome): boolean {
  return a.verdict === b.verdict && a.reason === b.reason && a.crash?.title === b.crash?.title;
}

/** Replay a bundle: exit status as `krepro run` (0 passed, 1 failed, 3 error or refused, 2 bad bundle). */
export async function replayCommand(bundle: string, opts: ReplayOptions, out: Out, err: Out): Promise<number> {
  const resultsDir = resolve(opts.resultsDir);
  await mkdir(resultsDir, { recursive: true });
  const dir = await mkdtemp(join(resultsDir, 'replay-'));
  const unpacked = join(dir, 'bundle');
  await mkdir(unpacked);
  let m: Manifest;
  let root: string;
  try {
    root = await unpack(resolve(bundle), unpacked);
    const manifestPath = join(root, 'manifest.json');
    m = parseManifest(await readFile(manifestPath, 'utf8').catch((e: unknown) => {
      throw new InputError(`${bundle}: no manifest.json (${errorMessage(e)}); not a krepro bundle`);
    }), manifestPath);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    err.write(`krepro: ${e.message}\n`);
    return 2;
  }
  out.write(`replay of ${m.scenario.name} (attempt ${m.attempt}) in ${dir}\n`);
  const refuse = async (why: string): Promise<number> => {
    const replayed: BundleOutcome = { verdict: 'error', reason: 'infra', message: `replay refused: ${why}` };
    await writeJsonAtomic(join(dir, 'replay.json'), { bundle: resolve(bundle), original: m.outcome, replayed, same: false });
    out.write(`original: ${describeOutcome(m.outcome)}\nreplayed: error/infra: replay refused — ${why}\n`);
    return 3;
  };
  const damaged = await checkFiles(root, m);
  if (damaged.length) return refuse(`the bundle is damaged:\n  ${damaged.join('\n  ')}`);

  const scenarioFile = join(root, m.scenario.file);
  const lockText = formatLock(m.scenario.file.replace(/^.*\//, ''), lockPackages(m));
  await writeAtomic(lockPathFor(scenarioFile), lockText);
  let sc;
  try {
    sc = await loadScenario(scenarioFile);
  } catch (e) {
    if (!(e instanceof ScenarioError) && !(e instanceof InputError)) throw e;
    err.write(`krepro: the bundled scenario does not load here:\n${e.message}\n`);
    return 2;
  }
  // Resolve before booting: a .deb with another sha256 stops inside the lock's scope (both hashes),
  // a kernel or image that resolves to another hash (other recipes, another build) stops here.
  const used = new Map<string, LockedPackage>();
  let resolved: Record<string, { identity?: string; hash: string }>;
  try {
    const a = await resolveArtifacts(sc, parseLock(lockText, lockPathFor(scenarioFile)), used);
    resolved = { kernel: { identity: a.kernel.identity, hash: a.kernel.hash }, image: { identity: a.image.name, hash: a.image.hash }, ...buildRows(a.image), ...packageRows(used) };
  } catch (e) {
    if (!(e instanceof KreproError)) throw e;
    return refuse(errorMessage(e));
  }
  const mismatches = artifactMismatches(m, resolved);
  if (mismatches.length) return refuse(`an artifact resolved to another hash than the bundle's:\n  ${mismatches.join('\n  ')}`);

  const suite = await runSuite([sc], { resultsDir: dir, runId: 'run' });
  const s = suite.summaries[0];
  if (!s) return refuse('the run was interrupted before the scenario ran');
  const last = JSON.parse(await readFile(join(suite.dir, s.dirs.at(-1)!, 'result.json'), 'utf8')) as ScenarioResult;
  const failed = s.dirs.length > 1 ? await firstFailing(suite.dir, s.dirs) : undefined;
  const replayed = outcomeOf(failed ?? last);
  const same = sameOutcome(m.outcome, replayed);
  await writeJsonAtomic(join(dir, 'replay.json'), { bundle: resolve(bundle), original: m.outcome, replayed, same, results: suite.dir });
  out.write(`original: ${describeOutcome(m.outcome)}\nreplayed: ${describeOutcome(replayed)}${s.attempts > 1 ? ` [${s.failures}/${s.attempts} attempts failed]` : ''}\n`);
  out.write(`${same ? 'same outcome' : 'DIFFERENT outcome'}; evidence in ${join(suite.dir, s.dirs.at(-1)!)}\n`);
  return suite.exitCode;
}

/** With repeat, the first failing attempt decides (as the suite's summary does). */
async function firstFailing(runDir: string, dirs: string[]): Promise<ScenarioResult | undefined> {
  for (const d of dirs) {
    const r = JSON.parse(await readFile(join(runDir, d, 'result.json'), 'utf8')) as ScenarioResult;
    if (r.verdict === 'failed') return r;
  }
  return undefined;
}
