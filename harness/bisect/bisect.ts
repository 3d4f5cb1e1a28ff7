// A bisection from start to answer: verify both ends, then let git bisect pick
// every point while the point oracle (point.ts) says good / bad / skip — or,
// for a version search, a binary search over the version list (versions.ts)
// with the same oracle. The state is saved after every point; a resume
// replays the recorded verdicts and carries on, so no point is ever run twice
// for the same answer.
import { basename, join, relative, resolve } from 'node:path';
import { loadRecipe } from '../artifacts/image/recipe.js';
import { parseZfsGit } from '../artifacts/out-of-tree/zfs-git.js';
import { newRunId } from '../results/summary.js';
import { writeAtomic } from '../results/atomic.js';
import { loadScenario } from '../scenario/load.js';
import type { Scenario } from '../scenario/types.js';
import { InputError } from '../util/errors.js';
import { note } from '../util/progress.js';
import { bisectLog, checkout, commitInfo, privateClone, resolveCommit, startBisect, markPoint, taggedCommits, toplevel, type BisectStep } from './git.js';
import { confidence } from './oracle.js';
import { readLockFor } from '../artifacts/store/lock.js';
import { interrupted } from '../util/interrupt.js';
import { PointInterrupted, prepareGitPoint, prepareKernelGitPoint, prepareKernelPoint, runPoint, type PreparedPoint } from './point.js';
import { bisectMarkdown, culpritExcerpt, versionLog } from './report.js';
import { checkCulprit } from './verify.js';
import { bisectJunit } from './junit.js';
import { loadState, saveState } from './state.js';
import type { BisectState, BisectTarget, ConfigPoint, PointRecord } from './types.js';
import { configFragments, configSearchOf, searchConfig } from './config.js';
import { nextVersion, versionRange } from './versions.js';

export interface BisectOptions {
  scenario: string;
  good: string;
  bad: string;
  /** Attempts per point; default the scenario's `repeat`. */
  runs?: number;
  /** The recipe builder whose source is bisected (kmod, zfs); default the one that names a git source. */
  builder?: string;
  /** The repository (default: the one holding the builder's source). */
  repo?: string;
  paths: string[];
  resultsDir: string;
  /** A version search over the scenario's kernel ABI: the archive's list (`auto`) or these versions, in this order. */
  versions?: 'auto' | string[];
  /** A config search: fragment files (or kconfigs/ names) of the good and the bad configuration. */
  config?: { good: string[]; bad: string[] };
  /** Search commits for the fix: the first commit after the bad (older) end where the failure is gone. */
  fix?: boolean;
  /** Search the tagged commits (releases) between the ends first, then the commits between the nearest good and bad tag. */
  tags?: boolean;
}

/** How a bisection ended: found (0), no culprit (1), interrupted (130). */
export interface BisectOutcome {
  dir: string;
  state: BisectState;
  interrupted: boolean;
}

/** The git repository of a kernel built from `source: { git: … }`, if the scenario's kernel is one. */
function kernelGitRepo(sc: Scenario): string | undefined {
  return sc.kernel.kind === 'build' && sc.kernel.build.source.kind === 'git' ? sc.kernel.build.source.repo : undefined;
}

/** Which builder takes the commit and where its repository is: the kernel's git source, or one of the recipe's builders. */
async function findTarget(sc: Scenario, o: BisectOptions, cloneOf: (repo: string) => string): Promise<BisectTarget> {
  const recipe = await loadRecipe(sc.image.recipe, sc.image.params);
  const moduleBuilder = recipe.build.zfs?.startsWith('git:') ? 'zfs' : recipe.build.kmod !== undefined ? 'kmod' : undefined;
  const kernelRepo = kernelGitRepo(sc);
  if (!o.builder && moduleBuilder && kernelRepo) {
    throw new InputError(`${sc.file}: both the kernel (git ${kernelRepo}) and the image's ${moduleBuilder} builder come from git; say which to bisect with --builder kernel or --builder ${moduleBuilder}`);
  }
  const builder = o.builder ?? (kernelRepo ? 'kernel' : moduleBuilder);
  if (builder === 'kernel') {
    const repo = o.repo ? resolve(o.repo) : kernelRepo;
    if (!repo) throw new InputError(`${sc.file}: the kernel is not built from a git source (kernel: { build: { source: { git: REPO, ref: REF } } }); nothing to bisect with --builder kernel`);
    return { repo, clone: cloneOf(repo), builder, subdir: '', paths: o.paths };
  }
  if (!builder || recipe.build[builder] === undefined) {
    throw new InputError(`${sc.file}: image ${recipe.name} has ${builder ? `no '${builder}' builder` : 'no builder with a git source (kmod: DIR, zfs: git:REPO@REF) and the kernel is not built from git'} to bisect`);
  }
  const value = recipe.build[builder]!;
  if (builder === 'zfs') {
    const g = parseZfsGit(value);
    const repo = o.repo ? resolve(o.repo) : g?.repo;
    if (!repo) throw new InputError(`${sc.file}: zfs is '${value}', not git:REPO@REF; give --repo`);
    return { repo, clone: cloneOf(repo), builder, subdir: '', paths: o.paths };
  }
  const top = o.repo ? resolve(o.repo) : await toplevel(value);
  if (!top) throw new InputError(`${value} (the ${builder} source) is not in a git work tree; give --repo`);
  const inside = !relative(top, value).startsWith('..');
  return { repo: top, clone: cloneOf(top), builder, subdir: inside && !o.repo ? relative(top, value) : '', paths: o.paths };
}

/** Attempts per point: --runs, else the scenario's `repeat`. */
function runsOf(o: BisectOptions, sc: Scenario): number {
  const runs = o.runs ?? sc.repeat;
  if (!Number.isInteger(runs) || runs < 1) throw new InputError(`--runs must be a positive integer, not ${runs}`);
  return runs;
}

/** Start a new bisection in a fresh directory under the results dir. */
export async function startBisection(o: BisectOptions): Promise<BisectOutcome> {
  const sc = await loadScenario(o.scenario);
  if (o.versions) return startVersionSearch(o, sc, o.versions);
  if (o.config) return startConfigSearch(o, sc, o.config);
  const dir = resolve(o.resultsDir, `bisect-${newRunId()}`);
  // The clone is named like the source dir it stands for: kmod names the module's files (WARNING at NAME/x.c) after it.
  const target = await findTarget(sc, o, (repo) => join(dir, 'src', basename(repo)));
  const [good, bad] = [await resolveCommit(target.repo, o.good), await resolveCommit(target.repo, o.bad)];
  const runs = runsOf(o, sc);
  await privateClone(target.repo, target.clone);
  const state: BisectState = {
    version: 1, scenario: sc.file, recipe: sc.image.recipe, target, good, bad, runs, ...(o.fix ? { fix: true } : {}), ...(o.tags ? { tags: true } : {}),
    startedAt: new Date().toISOString(), status: 'verifying', points: [],
  };
  await saveState(dir, state);
  note(`bisect: ${dir}`);
  return drive(dir, state, sc);
}

/** Start a version search: the versions from good to bad, each a point on its own kernel. */
async function startVersionSearch(o: BisectOptions, sc: Scenario, given: 'auto' | string[]): Promise<BisectOutcome> {
  const runs = runsOf(o, sc);
  const lock = await readLockFor(sc.file);
  if (lock) throw new InputError(`${lock.path} locks the scenario's kernel at one version; a version search runs others: move the lock aside or bisect a copy of the scenario`);
  const list = await versionRange(sc, o.good, o.bad, given);
  const dir = resolve(o.resultsDir, `bisect-${newRunId()}`);
  const state: BisectState = {
    version: 1, scenario: sc.file, recipe: sc.image.recipe, versions: { field: 'kernel.debian', list, from: given === 'auto' ? 'archive' : 'given' },
    good: o.good, bad: o.bad, runs, startedAt: new Date().toISOString(), status: 'verifying', points: [],
  };
  await saveState(dir, state);
  note(`bisect: ${dir} — ${list.length} versions from ${o.good} (good) to ${o.bad} (bad)`);
  return drive(dir, state, sc);
}

/** Start a config search: both configurations configured and compared before anything is built. */
async function startConfigSearch(o: BisectOptions, sc: Scenario, given: { good: string[]; bad: string[] }): Promise<BisectOutcome> {
  const runs = runsOf(o, sc);
  const [good, bad] = [configFragments(given.good), configFragments(given.bad)];
  const config = await configSearchOf(sc, good, bad);
  const dir = resolve(o.resultsDir, `bisect-${newRunId()}`);
  const state: BisectState = {
    version: 1, scenario: sc.file, recipe: sc.image.recipe, config, good: good.join(','), bad: bad.join(','), runs,
    startedAt: new Date().toISOString(), status: 'verifying', points: [],
  };
  await saveState(dir, state);
  note(`bisect: ${dir} — ${config.changes.length} option(s) differ between the good and the bad configuration`);
  return drive(dir, state, sc);
}

/** Continue a bisection from its bisect.json (after Ctrl-C or a host crash). */
export async function resumeBisection(dirArg: string): Promise<BisectOutcome> {
  const dir = resolve(dirArg);
  const state = await loadState(dir);
  const sc = await loadScenario(state.scenario);
  if (state.target) await privateClone(state.target.repo, state.target.clone);
  note(`bisect: resuming ${dir} (${state.points.length} point(s) recorded, ${state.status})`);
  return drive(dir, state, sc);
}

/** Builders that export a commit themselves (git archive) and need no work tree: git bisect runs --no-checkout for them. */
function readsCommit(t: BisectTarget): boolean {
  return t.builder === 'zfs' || t.builder === 'kernel';
}

/** The builder's value for a commit, with the clone checked out there when the builder reads a directory. */
async function sourceFor(t: BisectTarget, commit: string, checkedOut: boolean, repo = t.repo): Promise<string> {
  if (t.builder === 'zfs') return `git:${repo}@${commit}`;
  if (t.builder === 'kernel') return commit;
  if (!checkedOut) await checkout(t.clone, commit);
  return join(t.clone, t.subdir);
}

function fmtMs(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

async function drive(dir: string, state: BisectState, sc: Scenario): Promise<BisectOutcome> {
  const t = state.target;
  const vs = state.versions;
  const save = async (): Promise<void> => {
    await saveState(dir, state);
    await writeAtomic(join(dir, 'bisect.md'), bisectMarkdown(state, t ? await bisectLog(t.clone) : versionLog(state), await culpritExcerpt(dir, state)));
    await writeAtomic(join(dir, 'bisect.junit.xml'), bisectJunit(state));
  };
  /** What a point is: its directory name, its one-line description, and how it is prepared. */
  // `repo`: where a zfs or kernel point's source is exported from (the clone for a commit only it has: a revert).
  const describe = async (point: string, checkedOut: boolean, repo = t?.repo): Promise<{ name: string; subject: string; prepare: () => Promise<PreparedPoint> }> => {
    if (t) {
      const info = await commitInfo(t.clone, point);
      const value = await sourceFor(t, point, checkedOut, repo);
      const prepare = t.builder === 'kernel' ? () => prepareKernelGitPoint(sc, repo!, value) : () => prepareGitPoint(sc, dir, t.builder, value);
      return { name: point.slice(0, 12), subject: info.subject, prepare };
    }
    const v = vs!.list.find((x) => x.version === point);
    return { name: point.replace(/[^\w.+-]/g, '_'), subject: v?.debVersion ? `${v.package} ${v.debVersion} (${v.suite})` : point, prepare: () => prepareKernelPoint(sc, point) };
  };
  const visit = async (commit: string, role: PointRecord['role'], checkedOut: boolean): Promise<PointRecord> => runOne(commit, role, await describe(commit, checkedOut));
  const runOne = async (commit: string, role: PointRecord['role'], d: { name: string; subject: string; prepare: () => Promise<PreparedPoint> }, config?: ConfigPoint): Promise<PointRecord> => {
    const r = await runPoint({ scenario: sc, dir, commit, name: d.name, subject: d.subject, role, prepare: d.prepare, runs: state.runs, reference: state.reference }, note);
    state.reference ??= r.reference;
    if (config) r.point.config = config;
    state.points.push(r.point);
    note(`bisect: ${d.name} ${d.subject} → ${r.point.verdict.toUpperCase()} (${r.point.why}; ${fmtMs(r.point.durationMs)})`);
    await save();
    return r.point;
  };
  const short = (point: string): string => (t ? point.slice(0, 12) : point);
  const eta = (left: number): string => {
    const inner = state.points.filter((p) => p.role === 'step');
    const avg = inner.length ? inner.reduce((s, p) => s + p.durationMs, 0) / inner.length : state.points.reduce((s, p) => s + p.durationMs, 0) / Math.max(1, state.points.length);
    return fmtMs(avg * left);
  };
  try {
    if (state.config) {
      await searchConfig(dir, state, sc, (name, subject, role, prepare, config) => runOne(name, role, { name, subject, prepare }, config), save);
      return { dir, state, interrupted: false };
    }
    if (state.status === 'verifying') {
      // Both ends first: never a culprit from ends that do not behave as claimed.
      const badEnd = state.points.find((p) => p.role === 'bad-end') ?? await visit(state.bad, 'bad-end', false);
      if (badEnd.verdict !== 'bad') return await stop(`the bad end ${short(state.bad)} did not fail: ${badEnd.why}`);
      const goodEnd = state.points.find((p) => p.role === 'good-end') ?? await visit(state.good, 'good-end', false);
      if (goodEnd.verdict !== 'good') {
        return await stop(goodEnd.verdict === 'bad' ? `the good end ${short(state.good)} fails too (${goodEnd.why})`
          : `the good end ${short(state.good)} did not pass ${state.runs} time(s): ${goodEnd.why}`);
      }
      state.status = 'bisecting';
      await save();
    }
    if (state.status === 'bisecting' && vs) {
      const list = vs.list.map((v) => v.version);
      const verdicts = new Map(state.points.map((p) => [p.commit, p.verdict]));
      let step = nextVersion(list, verdicts);
      while (step.kind === 'next') {
        const n = state.points.filter((p) => p.role === 'step').length + 1;
        note(`bisect step ${n}: ${step.version} — ${step.left} version(s) left after this, ≈ ${step.steps} point(s) to go (log2), ETA ${eta(step.steps)}`);
        const p = await visit(step.version, 'step', false);
        verdicts.set(p.commit, p.verdict);
        step = nextVersion(list, verdicts);
      }
      const entry = (v: string) => vs.list.find((x) => x.version === v)!;
      if (step.kind === 'found') {
        const lastGood = step.lastGood;
        state.firstBad = { version: entry(step.version), lastGood: entry(lastGood) };
        state.confidence = confidence(state.points, step.version, () => lastGood);
      } else {
        onlySkipsLeft(state, step.candidates, 'versions');
      }
      state.status = 'done';
      await save();
    }
    if (state.status === 'bisecting' && t && state.tags) {
      // Level one: the releases. Their verdicts become points that git bisect below starts from.
      const [older, newer] = state.fix ? [state.bad, state.good] : [state.good, state.bad];
      const tagged = await taggedCommits(t.clone, older, newer);
      const tagOf = new Map(tagged.map((x) => [x.commit, x.tag]));
      const chrono = [older, ...tagged.map((x) => x.commit), newer];
      const list = state.fix ? chrono.reverse() : chrono; // from the good end to the bad one
      const verdicts = new Map(state.points.map((p) => [p.commit, p.verdict]));
      let step = nextVersion(list, verdicts);
      if (step.kind === 'next') note(`bisect: ${tagged.length} tagged commit(s) between the ends; releases first`);
      while (step.kind === 'next') {
        note(`bisect tag ${tagOf.get(step.version)}: ${step.version.slice(0, 12)} — ${step.left} tag(s) left after this, ≈ ${step.steps} point(s) to go, ETA ${eta(step.steps)}`);
        const d = await describe(step.version, false);
        const p = await runOne(step.version, 'step', { ...d, subject: `${tagOf.get(step.version)}: ${d.subject}` });
        verdicts.set(p.commit, p.verdict);
        step = nextVersion(list, verdicts);
      }
      if (step.kind === 'found') note(`bisect: between tags — last good ${tagOf.get(step.lastGood) ?? step.lastGood.slice(0, 12)}, first bad ${tagOf.get(step.version) ?? step.version.slice(0, 12)}; commits next`);
    }
    if (state.status === 'bisecting' && t) {
      const known = state.points.filter((p) => p.role === 'step');
      const mode = { checkout: !readsCommit(t), fix: !!state.fix };
      let step: BisectStep = await startBisect(t.clone, state.bad, state.good, t.paths, known, mode);
      while (step.kind === 'next') {
        const n = state.points.filter((p) => p.role === 'step').length + 1;
        const left = step.steps + 1;
        note(`bisect step ${n}: ${step.commit.slice(0, 12)} — ${step.left} revision(s) left after this, ≈ ${left} point(s) to go (log2), ETA ${eta(left)}`);
        const p = await visit(step.commit, 'step', true);
        step = await markPoint(t.clone, step.commit, p.verdict, mode);
      }
      if (step.kind === 'found') {
        const info = await commitInfo(t.clone, step.commit);
        state.culprit = { commit: info.commit, subject: info.subject, author: info.author, date: info.date };
        state.status = 'checking';
        note(`bisect: git names ${info.commit.slice(0, 12)} ${info.subject}${state.fix ? ' (the fix)' : ''}; checking it (again, its parent, reverted at the ${state.fix ? 'fixed' : 'bad'} end)`);
      } else {
        onlySkipsLeft(state, step.candidates, 'commits');
        state.status = 'done';
      }
      await save();
    }
    if (state.status === 'checking' && t && state.culprit) {
      state.culpritCheck = await checkCulprit(dir, state, async (c) => runOne(c.commit, c.role, { ...await describe(c.commit, false, c.repo ?? t.repo), name: c.name, subject: c.subject }));
      const parent = 'commit' in state.culpritCheck.parent ? state.culpritCheck.parent.commit : undefined;
      state.confidence = confidence(state.points, state.culprit.commit, () => parent);
      state.status = 'done';
      await save();
    }
    return { dir, state, interrupted: false };
  } catch (e) {
    // Ctrl-C reaches the children too: a git command it killed fails on its own, which is the interrupt, not a git error.
    if (!(e instanceof PointInterrupted) && !interrupted.aborted) throw e;
    await save();
    note(`bisect: interrupted; continue with  krepro bisect --resume ${dir}`);
    return { dir, state, interrupted: true };
  }

  async function stop(why: string): Promise<BisectOutcome> {
    state.status = 'stopped';
    state.stopped = why;
    await save();
    return { dir, state, interrupted: false };
  }
}

/** The search ended with only skipped points between the last good and the first bad: no culprit, the candidates listed. */
function onlySkipsLeft(state: BisectState, candidates: string[], what: 'versions' | 'commits'): void {
  state.candidates = candidates;
  state.stopped = `only skipped ${what} are left between the last good and the first bad one (${candidates.length})`;
  state.confidence = confidence(state.points, undefined, () => undefined);
}
