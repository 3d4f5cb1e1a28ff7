// A config search from start to answer: the good and the bad configuration of
// the scenario's kernel build (fragment sets merged onto its base), the
// options whose final values differ, ddmin over them (config-search.ts)
// through the same point oracle as commits and versions, then the answer
// checked both ways — the good config plus the culprit set fails, the bad
// config minus it passes. Every candidate is configured first (seconds,
// cached): what olddefconfig really made of it decides which point it is, so
// a candidate Kconfig turns into the good config needs no build, and two
// candidates with the same final .config are one point.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { configureKernel } from '../artifacts/kernel/build.js';
import { parseConfig } from '../artifacts/kernel/kconfig.js';
import { fragmentPath } from '../scenario/kernel-build.js';
import { projectDir } from '../scenario/paths.js';
import type { KernelBuildSpec, Scenario } from '../scenario/types.js';
import { writeAtomic } from '../results/atomic.js';
import { InputError } from '../util/errors.js';
import { note } from '../util/progress.js';
import { appliedChanges, changeFragment, configDiff, ddmin } from './config-search.js';
import { confidence } from './oracle.js';
import { prepareConfigPoint, type PreparedPoint } from './point.js';
import type { BisectState, ConfigChange, ConfigPoint, ConfigSearch, PointRecord } from './types.js';

/** Fragment names (kconfigs/NAME.config) or files, as `krepro kernel build --fragment` takes them. */
export function configFragments(list: string[], cwd = process.cwd()): string[] {
  const out = list.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean).map((f) => fragmentPath(f, cwd, projectDir('kconfigs')));
  for (const f of out) if (!existsSync(f)) throw new InputError(`config fragment not found: ${f}`);
  return out;
}

function kernelBuildOf(sc: Scenario): KernelBuildSpec {
  if (sc.kernel.kind !== 'build') throw new InputError(`${sc.file}: a config search needs a kernel built from source (kernel: { build: … }), not ${sc.kernel.kind}`);
  return sc.kernel.build;
}

/** The search's changes: both ends configured as the scenario's build with their fragments, then compared. */
export async function configSearchOf(sc: Scenario, goodFragments: string[], badFragments: string[]): Promise<ConfigSearch> {
  const build = kernelBuildOf(sc);
  const [good, bad] = [await configureKernel({ ...build, fragments: goodFragments }), await configureKernel({ ...build, fragments: badFragments })];
  const changes = configDiff(parseConfig(good.config), parseConfig(bad.config));
  if (changes.length === 0) throw new InputError('the good and the bad configuration are the same .config after olddefconfig: nothing to search');
  return { goodFragments, badFragments, changes };
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const sameSet = (a: string[] | undefined, b: string[]): boolean => !!a && a.length === b.length && a.every((x) => b.includes(x));

function describeChanges(symbols: string[], all: ConfigChange[], side: 'good' | 'bad'): string {
  const by = new Map(all.map((c) => [c.symbol, c]));
  const shown = symbols.slice(0, 4).map((s) => `CONFIG_${s}=${by.get(s)?.[side] ?? '?'}`);
  return `${shown.join(' ')}${symbols.length > 4 ? ` … (${symbols.length} of ${all.length} changes)` : ` (${symbols.length} of ${all.length} changes)`}`;
}

/** How the driver runs a point: the oracle, the record, the save (bisect.ts's visit). */
export type RunConfigPoint = (name: string, subject: string, role: PointRecord['role'], prepare: () => Promise<PreparedPoint>, config: ConfigPoint) => Promise<PointRecord>;

/** Run the config search in `dir` to its answer (or a stop); resumes from the points already recorded. */
export async function searchConfig(dir: string, state: BisectState, sc: Scenario, run: RunConfigPoint, save: () => Promise<void>): Promise<void> {
  const cs = state.config!;
  const build = kernelBuildOf(sc);
  const all = cs.changes.map((c) => c.symbol);

  /** A fragment file holding one side's values of some changes (under fragments/, named by content). */
  const fragmentFor = async (symbols: string[], side: 'good' | 'bad'): Promise<string> => {
    const text = changeFragment(cs.changes.filter((c) => symbols.includes(c.symbol)), side);
    const file = join(dir, 'fragments', `${side}-${sha256(text).slice(0, 12)}.config`);
    if (!existsSync(file)) await writeAtomic(file, text);
    return file;
  };

  /** One candidate: configured, then run — unless a point with the same final .config was run already. */
  const point = async (requested: string[], role: PointRecord['role'], fragments: string[], subject: string): Promise<PointRecord> => {
    const recorded = state.points.find((p) => p.role === role && sameSet(p.config?.requested, requested));
    if (recorded) return recorded;
    const { config: text } = await configureKernel({ ...build, fragments });
    const hash = sha256(text);
    const effective = appliedChanges(cs.changes, parseConfig(text));
    const name = `cfg-${hash.slice(0, 12)}`;
    const rel = join('configs', `${name}.config`);
    const config: ConfigPoint = { requested, effective, file: rel, hash };
    const same = state.points.find((p) => p.config?.hash === hash);
    if (same) {
      // Kconfig made the same .config as a point already run: that verdict holds, nothing is built or booted again.
      const p: PointRecord = {
        ...same, role, subject, config, attempts: [], counts: { clean: 0, reproduced: 0, other: 0, error: 0 }, buildMs: 0, durationMs: 0,
        why: `the same .config as point ${same.commit} (${same.role}): ${same.why}`, startedAt: new Date().toISOString(),
      };
      state.points.push(p);
      note(`bisect: ${subject} → ${p.verdict.toUpperCase()} (Kconfig made it ${same.commit}, already run)`);
      await save();
      return p;
    }
    await mkdir(join(dir, 'configs'), { recursive: true });
    await writeAtomic(join(dir, rel), text);
    return run(name, subject, role, () => prepareConfigPoint(sc, join(dir, rel)), config);
  };

  if (state.status === 'verifying') {
    const bad = await point(all, 'bad-end', cs.badFragments, `bad config: ${cs.badFragments.map((f) => f.split('/').pop()).join(' + ')}`);
    if (bad.verdict !== 'bad') return stop(`the bad config did not fail: ${bad.why}`);
    const good = await point([], 'good-end', cs.goodFragments, `good config: ${cs.goodFragments.map((f) => f.split('/').pop()).join(' + ')}`);
    if (good.verdict !== 'good') return stop(good.verdict === 'bad' ? `the good config fails too (${good.why})` : `the good config did not pass ${state.runs} time(s): ${good.why}`);
    state.status = 'bisecting';
    await save();
  }
  if (state.status !== 'bisecting') return;
  note(`bisect: ${cs.changes.length} option(s) differ between the good and the bad config; ddmin over them`);
  const culprit = await ddmin(all, async (set) => {
    const p = await point(set, 'step', [...cs.goodFragments, await fragmentFor(set, 'bad')], `good + ${describeChanges(set, cs.changes, 'bad')}`);
    return { verdict: p.verdict, effective: p.config!.effective };
  });
  const failsWith = state.points.find((p) => p.verdict === 'bad' && sameSet(p.config?.effective, culprit));
  // The other way round: the bad config with the culprit's good values must pass.
  const without = await point(culprit, 'verify', [...cs.badFragments, await fragmentFor(culprit, 'good')], `bad − ${describeChanges(culprit, cs.changes, 'bad')}`);
  const changes = cs.changes.filter((c) => culprit.includes(c.symbol));
  // ddmin ends having tried each culprit option alone: one that failed carrying the whole set is a root.
  const roots = culprit.filter((sym) => state.points.some((p) => p.verdict === 'bad' && p.config?.requested.length === 1 && p.config.requested[0] === sym
    && culprit.every((c) => p.config!.effective.includes(c))));
  state.configCulprit = {
    changes, roots, failsWith: failsWith?.commit ?? '', verified: !!failsWith && without.verdict === 'good',
    withoutThem: { point: without.commit, verdict: without.verdict, effective: without.config!.effective },
  };
  state.confidence = confidence(state.points, failsWith?.commit, () => without.commit);
  if (!state.configCulprit.verified) {
    state.stopped = without.verdict === 'bad'
      ? `the bad config still fails without ${culprit.join(', ')}: the failure does not come from these options alone`
      : `the check of the answer was inconclusive: bad − culprit ${without.verdict} (${without.why})`;
  }
  state.status = 'done';
  await save();

  async function stop(why: string): Promise<void> {
    state.status = 'stopped';
    state.stopped = why;
    await save();
  }
}
