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

/** What the checks found, pure (tested): verified only when each check that could run held. */
export function judgeCheck(c: Omit<CulpritCheck, 'verified' | 'doubts'>): CulpritCheck {
  const doubts: string[] = [];
  if (c.again.reproduced === 0) doubts.push(`the culprit did not fail again in ${c.again.attempts} run(s)`);
  if ('verdict' in c.parent && c.parent.verdict !== 'good') doubts.push(`its parent did not pass (${c.parent.verdict})`);
  if ('verdict' in c.revert && c.revert.verdict !== 'good') doubts.push(`the bad end with the culprit reverted did not pass (${c.revert.verdict})`);
  if (c.sameBuildAsParent) doubts.push('the culprit builds the same artifact as its parent: most likely wrong');
  return { ...c, verified: doubts.length === 0, doubts };
}

/** Run the checks of `state.culprit` (resuming from recorded check points). */
export async function checkCulprit(dir: string, state: BisectState, run: RunCheck): Promise<CulpritCheck> {
  const t = state.target!;
  const culprit = state.culprit!.commit;
  const found = (role: PointRecord['role'], commit: string) => state.points.find((p) => p.role === role && p.commit === commit);

  const again = found('recheck', culprit) ?? await run({ commit: culprit, name: `${culprit.slice(0, 12)}-again`, subject: `${state.culprit!.subject} (the culprit, again)`, role: 'recheck' });

  const info = await commitInfo(t.clone, culprit);
  let parent: CulpritCheck['parent'];
  let parentPoint: PointRecord | undefined;
  if (!info.parent) parent = { why: 'the culprit is a root commit' };
  else {
    // A parent the search already ran N clean times (a step or the good end) counts as is.
    parentPoint = state.points.find((p) => p.commit === info.parent && p.role !== 'recheck' && p.verdict === 'good')
      ?? found('verify', info.parent)
      ?? await run({ commit: info.parent, name: info.parent.slice(0, 12), subject: `${(await commitInfo(t.clone, info.parent)).subject} (the culprit's parent)`, role: 'verify' });
    parent = { commit: info.parent, point: parentPoint.commit, verdict: parentPoint.verdict };
  }

  let revert: CulpritCheck['revert'];
  if (culprit === state.bad) revert = { why: 'the culprit is the bad end itself: reverting it gives its parent' };
  else {
    const r = await revertOnto(t.clone, state.bad, culprit, join(dir, 'revert.index'));
    if ('why' in r) revert = { why: r.why };
    else {
      const p = found('verify', r.commit) ?? await run({ commit: r.commit, name: `revert-${culprit.slice(0, 12)}`, subject: `the bad end with ${culprit.slice(0, 12)} reverted`, role: 'verify', repo: t.clone });
      revert = { commit: r.commit, point: p.commit, verdict: p.verdict };
    }
  }

  const culpritPoint = state.points.find((p) => p.commit === culprit && p.build);
  const [a, b] = [culpritPoint?.build?.artifact, parentPoint?.build?.artifact];
  const sameBuildAsParent = !!a && a === b;
  return judgeCheck({ again: { point: again.commit, reproduced: again.counts.reproduced, attempts: again.attempts.length }, parent, revert, sameBuildAsParent });
}

/** One line: what each check found. */
export function checkSummary(c: CulpritCheck): string {
  const parent = 'verdict' in c.parent ? `parent ${c.parent.verdict}` : `parent not run (${c.parent.why})`;
  const revert = 'verdict' in c.revert ? `reverted at the bad end ${c.revert.verdict}` : `no revert (${c.revert.why})`;
  return `again ${c.again.reproduced}/${c.again.attempts} reproduced, ${parent}, ${revert}${c.sameBuildAsParent ? ', same artifact as its parent' : ''}`;
}
