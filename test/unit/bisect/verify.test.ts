// The check of a culprit: the judgement (pure) and the revert made without a work tree (real git).
import t from 'tap';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { revertOnto } from '../../../harness/bisect/git.js';
import { checkSummary, judgeCheck } from '../../../harness/bisect/verify.js';

const ok = { again: { point: 'c', reproduced: 3, attempts: 3 }, parent: { commit: 'p', point: 'p', verdict: 'good' as const }, revert: { commit: 'r', point: 'r', verdict: 'good' as const }, sameBuildAsParent: false };

t.test('judgeCheck: confirmed only when every check that ran held', async (t) => {
  t.match(judgeCheck(ok), { verified: true, doubts: [] });
  t.equal(checkSummary(judgeCheck(ok)), 'again 3/3 reproduced, parent good, reverted at the bad end good');
  t.match(judgeCheck({ ...ok, again: { point: 'c', reproduced: 0, attempts: 3 } }), { verified: false, doubts: ['the culprit did not fail again in 3 run(s)'] });
  t.match(judgeCheck({ ...ok, parent: { ...ok.parent, verdict: 'bad' } }), { verified: false, doubts: ['its parent did not pass (bad)'] });
  t.match(judgeCheck({ ...ok, revert: { ...ok.revert, verdict: 'skip' } }), { verified: false, doubts: [/reverted did not pass \(skip\)/] });
  t.match(judgeCheck({ ...ok, sameBuildAsParent: true }), { verified: false, doubts: [/same artifact as its parent: most likely wrong/] });
  // Checks that could not run are said, not held against the answer.
  const notRun = judgeCheck({ ...ok, parent: { why: 'the culprit is a root commit' }, revert: { why: 'the revert does not apply to the bad end: x' } });
  t.match(notRun, { verified: true });
  t.match(checkSummary(notRun), /parent not run \(the culprit is a root commit\), no revert \(the revert does not apply/);
});

t.test('revertOnto: the bad end minus the culprit, as a commit, the work tree untouched', async (t) => {
  const dir = t.testdir();
  const env = { GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' };
  const git = async (...a: string[]) => String((await execa('git', ['-C', dir, ...a], { env })).stdout).trim();
  await git('init', '-q');
  const commit = async (file: string, text: string, msg: string) => { await writeFile(join(dir, file), text); await git('add', file); await git('commit', '-qm', msg); return git('rev-parse', 'HEAD'); };
  await commit('a.c', 'one\ntwo\nthree\n', 'base');
  const culprit = await commit('a.c', 'one\nTWO\nthree\n', 'break two');
  await commit('b.c', 'other\n', 'unrelated');
  const bad = await commit('a.c', 'one\nTWO\nthree\nfour\n', 'add four');
  const r = await revertOnto(dir, bad, culprit, join(dir, '..', 'revert.index'));
  t.ok('commit' in r, JSON.stringify(r));
  if (!('commit' in r)) return;
  t.equal(await git('show', `${r.commit}:a.c`), 'one\ntwo\nthree\nfour', 'the culprit undone, the later change kept');
  t.equal(await git('show', `${r.commit}:b.c`), 'other');
  t.equal(await git('rev-parse', `${r.commit}^`), bad, 'on top of the bad end');
  t.match(await git('show', '-s', '--format=%s', r.commit), 'Revert "break two"');
  t.equal(await git('rev-parse', 'HEAD'), bad, 'HEAD not moved');
  t.equal(await git('status', '--porcelain'), '', 'work tree and index untouched');
  // A later commit rewrote the culprit's lines: the revert does not apply.
  const bad2 = await commit('a.c', 'ONE\nTWO!\nTHREE\n', 'rewrite');
  t.match(await revertOnto(dir, bad2, culprit, join(dir, '..', 'revert2.index')), { why: /does not apply to the bad end/ });
});
