// The point oracle: one commit (or version), built and run `runs` times
// through the normal runner (run/attempt.ts), its attempts added up into good
// / bad / skip. The build — or a version's kernel fetch — comes first (a
// failure is a skip without a boot), and every attempt checks from inside the
// guest that the kernel it booted (uname -r) and the module it loaded (its GNU
// build ID from /sys/module/NAME/notes, and srcversion) are the ones just built:
// anything else is an error, never a verdict. The build ID is what tells modules
// apart on kernels without MODULE_SRCVERSION_ALL (a tinyconfig build has none).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { runBuilders } from '../artifacts/image/builders.js';
import { loadRecipe } from '../artifacts/image/recipe.js';
import { resolveKernel } from '../artifacts/kernel/resolve.js';
import { inPackageScope, readLockFor } from '../artifacts/store/lock.js';
import { writeAtomic } from '../results/atomic.js';
import type { ScenarioResult } from '../results/types.js';
import { runAttempt } from '../run/attempt.js';
import type { KernelBuildSpec, RunStep, Scenario } from '../scenario/types.js';
import { execa } from '../util/children.js';
import { asBuildError, firstLine } from '../util/errors.js';
import { interrupted } from '../util/interrupt.js';
import { classifyAttempt, failingCrashes, failureOf, pointSettled, pointVerdict } from './oracle.js';
import type { AttemptClass, AttemptRecord, BuildIdentity, PointRecord, Reference } from './types.js';

/** Thrown when Ctrl-C ends a point: it is not recorded, a resume runs it again. */
export class PointInterrupted extends Error {}

export interface PointInput {
  scenario: Scenario;
  /** The bisection's directory: point dirs and the generated recipe live here. */
  dir: string;
  /** The point: a commit, or a version; `name` is its directory under points/. */
  commit: string;
  name: string;
  subject: string;
  role: PointRecord['role'];
  /** Build or fetch what the point runs, and give the scenario its attempts run (a failure is a skip without a boot). */
  prepare: () => Promise<PreparedPoint>;
  runs: number;
  reference?: Reference;
}

/** A point ready to boot: its scenario (with the identity step first) and what was built for it. */
export interface PreparedPoint {
  scenario: Scenario;
  build: BuildIdentity;
}

export interface PointOutput {
  point: PointRecord;
  /** Set at the bad end: its first failure, what later points must reproduce. */
  reference?: Reference;
}

/** The scenario's recipe with one builder's source replaced, as a recipe file that extends it. */
export async function pointRecipe(dir: string, recipe: string, builder: string, value: string): Promise<string> {
  const file = join(dir, `recipe-${builder}.yaml`);
  await writeAtomic(file, `# written by krepro bisect: ${basename(recipe)} with its ${builder} builder on the point's source\nextends: ${JSON.stringify(recipe)}\nbuild:\n  ${builder}: ${JSON.stringify(value)}\n`);
  return file;
}

const IDENTITY_LABEL = 'run: krepro bisect: identity of the loaded modules';

/** The `uname -r` line of the identity step's output. */
const RELEASE_KEY = 'uname-r';

/** The scenario a point runs: the point recipe (if any), and a first step that reads what the guest really booted and loaded. */
export function pointScenario(sc: Scenario, recipe: string | undefined, modules: string[]): Scenario {
  const identity: RunStep = {
    kind: 'run', index: 1, label: IDENTITY_LABEL, pos: sc.image.pos, expectExit: 'any',
    command: [`echo "${RELEASE_KEY} $(uname -r)"`, ...modules.map(identityProbe)].join('; '),
  };
  return {
    ...sc,
    image: { ...sc.image, recipe: recipe ?? sc.image.recipe },
    repeat: 1,
    steps: [identity, ...sc.steps.map((s) => ({ ...s, index: s.index + 1 }))],
  };
}

/**
 * `NAME SRCVERSION BUILDID` for one module: `-` for both when the module is not
 * loaded, `?` for what a loaded module does not show (no srcversion without
 * MODULE_SRCVERSION_ALL, no notes without KALLSYMS). The note file is the ELF
 * note itself: its last 20 bytes are the sha1 build ID.
 */
function identityProbe(m: string): string {
  const d = `/sys/module/${m}`;
  return `if [ -d ${d} ]; then s=$(cat ${d}/srcversion 2>/dev/null); b=$(od -An -v -tx1 ${d}/notes/.note.gnu.build-id 2>/dev/null | tr -d ' \\n' | tail -c 40); echo "${m} \${s:-?} \${b:-?}"; else echo "${m} - -"; fi`;
}

/** The identity step's output (pure; tested): `uname-r` and each module's srcversion, and build IDs where given. */
export function parseIdentities(out: string): { srcversions: Record<string, string>; buildIds: Record<string, string> } {
  const srcversions: Record<string, string> = {};
  const buildIds: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^(\S+) (\S+)(?: (\S+))?$/.exec(line.trim());
    if (!m) continue;
    srcversions[m[1]!] = m[2]!;
    if (m[3] !== undefined) buildIds[m[1]!] = m[3];
  }
  return { srcversions, buildIds };
}

/** `NAME SRCVERSION` lines of the identity step's output (pure; tested). */
export function parseSrcversions(out: string): Record<string, string> {
  return parseIdentities(out).srcversions;
}

/**
 * The first module the guest did not load as built, as a message (undefined: all match or
 * cannot be told): not loaded, another build ID, or another srcversion.
 */
export function srcversionMismatch(built: Record<string, string>, guest: Record<string, string>, builtIds: Record<string, string> = {}, guestIds: Record<string, string> = {}): string | undefined {
  for (const [m, want] of Object.entries(built)) {
    const got = guest[m];
    if (got === undefined) continue; // the step did not get that far (a crash during boot)
    if (got === '-') return `module ${m}: not loaded in the guest (no /sys/module/${m}), the build made ${builtIds[m] ? `build ID ${builtIds[m]}` : want || 'it'}`;
    const wantId = builtIds[m];
    const gotId = guestIds[m];
    if (wantId && gotId && gotId !== '?' && gotId !== wantId) return `module ${m}: the guest loaded build ID ${gotId}, the build made ${wantId}`;
    // '?' is a loaded module without srcversion (no MODULE_VERSION, no MODULE_SRCVERSION_ALL).
    const gotSrc = got === '?' ? '' : got;
    if (gotSrc !== want) return `module ${m}: the guest loaded srcversion ${gotSrc || '(none)'}, the build made ${want || '(none)'}`;
  }
  return undefined;
}

/** The kernel a guest booted, when it is not the one the point asked for (undefined: it is, or cannot be told). */
export function releaseMismatch(want: string | undefined, guest: Record<string, string>): string | undefined {
  const got = guest[RELEASE_KEY];
  if (!want || got === undefined || got === want) return undefined;
  return `the guest booted kernel ${got}, the point is ${want}`;
}

/** A git point: the builder's source replaced in a point recipe, its modules built (cached) against the scenario's kernel and identified. */
export async function prepareGitPoint(sc: Scenario, dir: string, builder: string, value: string): Promise<PreparedPoint> {
  const recipeFile = await pointRecipe(dir, sc.image.recipe, builder, value);
  // Under the scenario's lock, as the attempt resolves them.
  const lock = await readLockFor(sc.file);
  const build = await inPackageScope({ ...(lock ? { lock } : {}), used: new Map() }, async (): Promise<BuildIdentity> => {
    const kernel = await resolveKernel(sc.kernel);
    const recipe = await loadRecipe(recipeFile, sc.image.params);
    const built = await runBuilders({ [builder]: recipe.build[builder]! }, kernel);
    return { builder, value, hash: built.hashes.join(','), ...(await identitiesOf(built.modules)), artifact: await contentHash(built.modules.map((m) => m.file)), kernel: { identity: kernel.identity, hash: kernel.hash, release: kernel.release } };
  }).catch((e: unknown) => { throw asBuildError(e); });
  return { scenario: pointScenario(sc, recipeFile, Object.keys(build.srcversions)), build };
}

/** One sha256 over the files' contents, in order (kernel builds are reproducible here: fixed build user, host and timestamp). */
async function contentHash(files: string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) h.update(await readFile(f));
  return h.digest('hex');
}

/** Module name (as /sys/module spells it) → srcversion and GNU build ID of each built .ko. */
async function identitiesOf(modules: Array<{ file: string }>): Promise<{ srcversions: Record<string, string>; buildIds: Record<string, string> }> {
  const srcversions: Record<string, string> = {};
  const buildIds: Record<string, string> = {};
  for (const m of modules) {
    const name = basename(m.file).replace(/\.ko$/, '').replace(/-/g, '_');
    srcversions[name] = String((await execa('modinfo', ['-F', 'srcversion', m.file])).stdout).trim();
    const id = /Build ID: ([0-9a-f]+)/.exec(String((await execa('readelf', ['-n', m.file])).stdout))?.[1];
    if (id) buildIds[name] = id;
  }
  return { srcversions, buildIds };
}

/**
 * A kernel commit: the scenario's kernel recipe with its git source at the commit (exported by
 * `git archive`, cached by tree), built, and the image's module builders built against it.
 */
export function prepareKernelGitPoint(sc: Scenario, repo: string, commit: string): Promise<PreparedPoint> {
  return prepareBuiltKernelPoint(sc, (b) => ({ ...b, source: { kind: 'git', repo, ref: commit } }), 'kernel', `git:${repo}@${commit}`);
}

/**
 * A config point: the scenario's kernel build with one fragment, the point's whole final
 * .config (a fixed point of olddefconfig, so the normal build's check that every requested
 * option survived holds).
 */
export function prepareConfigPoint(sc: Scenario, configFile: string): Promise<PreparedPoint> {
  return prepareBuiltKernelPoint(sc, (b) => ({ ...b, fragments: [configFile] }), 'kernel-config', configFile);
}

/**
 * A point on another build of the scenario's kernel: that kernel built, then the image's
 * module builders (ZFS, kmod) built against it here, before any boot — so a point whose
 * modules do not build is a skip, and the guest's loaded modules are checked against these builds.
 */
async function prepareBuiltKernelPoint(sc: Scenario, edit: (b: KernelBuildSpec) => KernelBuildSpec, builder: string, value: string): Promise<PreparedPoint> {
  if (sc.kernel.kind !== 'build') throw new Error(`${sc.file}: the kernel is not built from source`);
  const kernelSpec = { ...sc.kernel, build: edit(sc.kernel.build) };
  const lock = await readLockFor(sc.file);
  const build = await inPackageScope({ ...(lock ? { lock } : {}), used: new Map() }, async (): Promise<BuildIdentity> => {
    const kernel = await resolveKernel(kernelSpec);
    const recipe = await loadRecipe(sc.image.recipe, sc.image.params);
    const built = await runBuilders(recipe.build, kernel);
    return { builder, value, hash: kernel.hash, ...(await identitiesOf(built.modules)), artifact: await contentHash([kernel.bzImage, ...built.modules.map((m) => m.file)]), kernel: { identity: kernel.identity, hash: kernel.hash, release: kernel.release } };
  }).catch((e: unknown) => { throw asBuildError(e); });
  return { scenario: pointScenario({ ...sc, kernel: kernelSpec }, undefined, Object.keys(build.srcversions)), build };
}

/** A version point: the scenario on another Debian kernel (no pinned package version), fetched before any boot. */
export async function prepareKernelPoint(sc: Scenario, abi: string): Promise<PreparedPoint> {
  const kernelSpec = { kind: 'debian' as const, abi, pos: sc.kernel.pos };
  const kernel = await inPackageScope({ used: new Map() }, () => resolveKernel(kernelSpec));
  const build: BuildIdentity = { builder: 'kernel', value: abi, hash: kernel.hash, srcversions: {}, kernel: { identity: kernel.identity, hash: kernel.hash, release: kernel.release } };
  return { scenario: pointScenario({ ...sc, kernel: kernelSpec }, undefined, []), build };
}

async function guestIdentities(adir: string, r: ScenarioResult): Promise<ReturnType<typeof parseIdentities> | undefined> {
  const step = r.steps.find((s) => s.index === 1 && s.label === IDENTITY_LABEL);
  if (!step?.output || step.status !== 'ok') return undefined;
  return parseIdentities(await readFile(join(adir, step.output), 'utf8').catch(() => ''));
}

/** Run one point: build, then attempts until its verdict is settled. */
export async function runPoint(inp: PointInput, say: (s: string) => void): Promise<PointOutput> {
  const started = new Date();
  const short = inp.name;
  const pdir = join(inp.dir, 'points', inp.name);
  const counts: Record<AttemptClass, number> = { clean: 0, reproduced: 0, other: 0, error: 0 };
  const point: PointRecord = {
    commit: inp.commit, subject: inp.subject, role: inp.role, verdict: 'skip', why: '', counts, attempts: [],
    buildMs: 0, durationMs: 0, startedAt: started.toISOString(),
  };
  const done = (why: string): PointOutput => {
    point.why = why;
    point.durationMs = Date.now() - started.getTime();
    return { point, reference };
  };
  let reference = inp.reference;
  let sc: Scenario;
  try {
    const prepared = await inp.prepare();
    point.build = prepared.build;
    sc = prepared.scenario;
  } catch (e) {
    if (interrupted.aborted) throw new PointInterrupted('interrupted during the build');
    point.buildMs = Date.now() - started.getTime();
    return done(`build failed: ${firstLine(e)}`);
  }
  point.buildMs = Date.now() - started.getTime();
  const classes: AttemptClass[] = [];
  const why: string[] = [];
  for (let n = 1; !pointSettled(classes, inp.runs, inp.role); n++) {
    const adir = join(pdir, `attempt-${n}`);
    say(`  ${short} attempt ${n}/${inp.runs}`);
    const r = await runAttempt(sc, adir, n);
    if (interrupted.aborted) throw new PointInterrupted('interrupted during an attempt');
    let cls = classifyAttempt(r, inp.scenario.expect, reference);
    let message = r.message.split('\n')[0]!;
    const ids = await guestIdentities(adir, r);
    const guest = ids?.srcversions;
    const mismatch = ids && srcversionMismatch(point.build.srcversions, ids.srcversions, point.build.buildIds, ids.buildIds);
    const otherKernel = guest && releaseMismatch(point.build.kernel.release, guest);
    if (mismatch || otherKernel) {
      cls = 'error';
      message = mismatch ? `stale module: ${mismatch}` : `wrong kernel: ${otherKernel}`;
    }
    if (cls === 'reproduced' && !reference) reference = failureOf(r, inp.scenario.expect, relative(inp.dir, adir));
    if (cls === 'other') why.push(`other bug: ${failureOf(r, inp.scenario.expect, '')?.title ?? message}`);
    if (cls === 'error') why.push(`${r.reason ?? 'error'}: ${message}`);
    classes.push(cls);
    counts[cls]++;
    const record: AttemptRecord = {
      dir: relative(inp.dir, adir), verdict: r.verdict, reason: r.reason, class: cls, message,
      crashTitles: failingCrashes(r, inp.scenario.expect).map((c) => c.title), durationMs: r.timings.totalMs ?? 0,
      ...(ids ? { guestSrcversions: ids.srcversions, guestBuildIds: ids.buildIds } : {}),
    };
    point.attempts.push(record);
  }
  point.verdict = pointVerdict(classes, inp.runs);
  const summary = point.verdict === 'bad' ? `reproduced ${counts.reproduced}/${classes.length}`
    : point.verdict === 'good' ? `${counts.clean} clean run${counts.clean === 1 ? '' : 's'}`
      : why[0] ?? `${classes.length} of ${inp.runs} runs`;
  return done(summary);
}
