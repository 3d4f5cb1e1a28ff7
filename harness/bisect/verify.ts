// The check of a culprit commit once git has named it: run it again (every
// attempt, as at the bad end: the rate), run its parent until N clean passes
// (reused when the search already did), revert it on top of the bad end and
// run that (it must pass), and compare the culprit's build with its parent's —
// the same artifact cannot be what broke the scenario. Each check is a point
// (roles 'recheck' / 'verify'), saved like any other, so a resume skips what
// was done.
import { join } from 'node:path';
import { commitInfo, revertOnto } from './git.js';
import type { BisectState, CulpritCheck, PointRecord } from './types.js';

/** How the driver runs a check: name, subject, role, the commit and the repository its source is taken from. */
export type RunCheck = (p: { commit: string; name: string; subject: string; role: PointRecord['role']; repo?: string }) => Promise<PointRecord>;

/**
 * What the checks found, pure (tested): verified only when each check that could run held.
 * For a fix (--fix) every expectation turns round: the fixing commit passes again, its parent
 * still fails, the fixed end with the fix reverted fails.
 */
export function judgeCheck(c: Omit<CulpritCheck, 'verified' | 'doubts'>, fix = false): CulpritCheck {
  const doubts: string[] = [];
  if (!fix && c.again.reproduced === 0) doubts.push(`the culprit did not fail again in ${c.again.attempts} run(s)`);
  if (fix && c.again.verdict !== 'good') doubts.push(`the fix did not pass again (${c.again.verdict ?? '?'}: ${c.again.reproduced}/${c.again.attempts} reproduced)`);
  const want = fix ? 'bad' : 'good';
  if ('verdict' in c.parent && c.parent.verdict !== want) doubts.push(`its parent did not ${fix ? 'fail' : 'pass'} (${c.parent.verdict})`);
  if ('verdict' in c.revert && c.revert.verdict !== want) doubts.push(`the ${fix ? 'fixed' : 'bad'} end with it reverted did not ${fix ? 'fail' : 'pass'} (${c.revert.verdict})`);
  if (c.sameBuildAsParent) doubts.push('the culprit builds the same artifact as its parent: most likely wrong');
  return { ...c, verified: doubts.length === 0, doubts };
}

/** Run the checks of `state.culprit` (resuming from recorded check points). */
export async function checkCulprit(dir: string, state: BisectState, run: RunCheck): Promise<CulpritCheck> {
  const t = state.target!;
  const fix = !!state.fix;
  const culprit = state.culprit!.commit;
  const found = (role: PointRecord['role'], commit: string) => state.points.find((p) => p.role === role && p.commit === commit);
  // 'recheck' runs every attempt (where the failure must show: its rate), 'verify' stops at the first non-clean one (where it must not).
  const culpritRole: PointRecord['role'] = fix ? 'verify' : 'recheck';
  const otherRole: PointRecord['role'] = fix ? 'recheck' : 'verify';

  const again = found(culpritRole, culprit)
    ?? await run({ commit: culprit, name: `${culprit.slice(0, 12)}-again`, subject: `${state.culprit!.subject} (the ${fix ? 'fix' : 'culprit'}, again)`, role: culpritRole });

  const info = await commitInfo(t.clone, culprit);
  let parent: CulpritCheck['parent'];
  let parentPoint: PointRecord | undefined;
  if (!info.parent) parent = { why: 'the culprit is a root commit' };
  else {
    // A parent the search already ran N clean times (a step or the good end) counts as is.
    parentPoint = state.points.find((p) => p.commit === info.parent && (p.role === 'step' || p.role.endsWith('-end')) && p.verdict === (fix ? 'bad' : 'good'))
      ?? found(otherRole, info.parent)
      ?? await run({ commit: info.parent, name: `${info.parent.slice(0, 12)}-parent`, subject: `${(await commitInfo(t.clone, info.parent)).subject} (the ${fix ? 'fix' : 'culprit'}'s parent)`, role: otherRole });
    parent = { commit: info.parent, point: parentPoint.commit, verdict: parentPoint.verdict };
  }

  // The newer end takes the revert: the bad one, or for a fix the fixed (good) one.
  const newer = fix ? state.good : state.bad;
  let revert: CulpritCheck['revert'];
  if (culprit === newer) revert = { why: `the ${fix ? 'fix' : 'culprit'} is the ${fix ? 'fixed' : 'bad'} end itself: reverting it gives its parent` };
  else {
    const r = await revertOnto(t.clone, newer, culprit, join(dir, 'revert.index'));
    if ('why' in r) revert = { why: r.why };
    else {
      const p = found(otherRole, r.commit) ?? await run({ commit: r.commit, name: `revert-${culprit.slice(0, 12)}`, subject: `the ${fix ? 'fixed' : 'bad'} end with ${culprit.slice(0, 12)} reverted`, role: otherRole, repo: t.clone });
      revert = { commit: r.commit, point: p.commit, verdict: p.verdict };
    }
  }

  const culpritPoint = state.points.find((p) => p.commit === culprit && p.build);
  const [a, b] = [culpritPoint?.build?.artifact, parentPoint?.build?.artifact];
  const sameBuildAsParent = !!a && a === b;
  return judgeCheck({ again: { point: again.commit, reproduced: again.counts.reproduced, attempts: again.attempts.length, verdict: again.verdict }, parent, revert, sameBuildAsParent }, fix);
}

/** One line: what each check found. */
export function checkSummary(c: CulpritCheck): string {
  const parent = 'verdict' in c.parent ? `parent ${c.parent.verdict}` : `parent not run (${c.parent.why})`;
  const revert = 'verdict' in c.revert ? `reverted at the newer end ${c.revert.verdict}` : `no revert (${c.revert.why})`;
  return `again ${c.again.reproduced}/${c.again.attempts} reproduced, ${parent}, ${revert}${c.sameBuildAsParent ? ', same artifact as its parent' : ''}`;
}
