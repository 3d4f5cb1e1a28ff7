// The check of a culprit: the judgement (pure) and the revert made without a work tree (real git).
import t from 'tap';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { markPoint, parseBisectOutput, revertOnto, startBisect, taggedCommits } from '../../../harness/bisect/git.js';
import { checkSummary, judgeCheck } from '../../../harness/bisect/verify.js';

const ok = { again: { point: 'c', reproduced: 3, attempts: 3 }, parent: { commit: 'p', point: 'p', verdict: 'good' as const }, revert: { commit: 'r', point: 'r', verdict: 'good' as const }, sameBuildAsParent: false };

t.test('judgeCheck: confirmed only when every check that ran held', async (t) => {
  t.match(judgeCheck(ok), { verified: true, doubts: [] });
  t.equal(checkSummary(judgeCheck(ok)), 'again 3/3 reproduced, parent good, reverted at the newer end good');
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
  await new Promise((res) => setTimeout(res, 1100)); // a later second: the clock must not decide the hash
  t.same(await revertOnto(dir, bad, culprit, join(dir, '..', 'revert.index')), r, 'the same revert again: the same commit (a resumed check finds its point)');
  // A later commit rewrote the culprit's lines: the revert does not apply.
  const bad2 = await commit('a.c', 'ONE\nTWO!\nTHREE\n', 'rewrite');
  t.match(await revertOnto(dir, bad2, culprit, join(dir, '..', 'revert2.index')), { why: /does not apply to the bad end/ });
});

t.test('judgeCheck --fix: the fix passes again, its parent and the reverted fixed end fail', async (t) => {
  const fixOk = { again: { point: 'f', reproduced: 0, attempts: 3, verdict: 'good' as const }, parent: { commit: 'p', point: 'p', verdict: 'bad' as const }, revert: { commit: 'r', point: 'r', verdict: 'bad' as const }, sameBuildAsParent: false };
  t.match(judgeCheck(fixOk, true), { verified: true, doubts: [] });
  t.match(judgeCheck(fixOk, false), { verified: false }, 'the same findings are doubts for a culprit');
  t.match(judgeCheck({ ...fixOk, again: { ...fixOk.again, reproduced: 1, verdict: 'bad' } }, true), { doubts: ['the fix did not pass again (bad: 1/3 reproduced)'] });
  t.match(judgeCheck({ ...fixOk, parent: { ...fixOk.parent, verdict: 'good' } }, true), { doubts: ['its parent did not fail (good)'] });
  t.match(judgeCheck({ ...fixOk, revert: { ...fixOk.revert, verdict: 'good' } }, true), { doubts: ['the fixed end with it reverted did not fail (good)'] });
});

t.test("git bisect --fix: broken/fixed terms through krepro's start and mark", async (t) => {
  const dir = t.testdir();
  const env = { GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' };
  const git = async (...a: string[]) => String((await execa('git', ['-C', dir, ...a], { env })).stdout).trim();
  await git('init', '-q');
  const hashes: string[] = [];
  for (let i = 1; i <= 8; i++) {
    await writeFile(join(dir, 'f'), `${i}\n`);
    await git('add', 'f');
    await git('commit', '-qm', `c${i}`);
    hashes.push(await git('rev-parse', 'HEAD'));
  }
  // The bug is there up to c5 and gone from c6 on: bad end c1 (old), good end c8 (new).
  const fixedFrom = 5;
  const verdict = (c: string) => (hashes.indexOf(c) >= fixedFrom ? 'good' : 'bad') as 'good' | 'bad';
  const mode = { checkout: false, fix: true };
  let step = await startBisect(dir, hashes[0]!, hashes[7]!, [], [], mode);
  const visited: number[] = [];
  while (step.kind === 'next' && visited.length < 10) {
    visited.push(hashes.indexOf(step.commit) + 1);
    step = await markPoint(dir, step.commit, verdict(step.commit), mode);
  }
  t.same(step, { kind: 'found', commit: hashes[fixedFrom] }, `the first fixed commit, c6 (visited ${visited.join(', ')})`);
  t.match(await git('bisect', 'log'), /# first fixed commit: \[/);
  t.same(parseBisectOutput(`${hashes[5]} is the first fixed commit\ncommit x\n`, 'HEAD'), { kind: 'found', commit: hashes[5] });
});

t.test('taggedCommits: releases strictly between the ends, oldest first, lightweight and annotated', async (t) => {
  const dir = t.testdir();
  const env = { GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' };
  const git = async (...a: string[]) => String((await execa('git', ['-C', dir, ...a], { env })).stdout).trim();
  await git('init', '-q');
  const c: string[] = [];
  for (let i = 1; i <= 8; i++) {
    await writeFile(join(dir, 'f'), `${i}\n`);
    await git('add', 'f');
    await git('commit', '-qm', `c${i}`);
    c.push(await git('rev-parse', 'HEAD'));
  }
  await git('tag', 'v1', c[1]!);
  await git('tag', '-a', '-m', 'release 2', 'v2', c[4]!);
  await git('tag', 'v2-rc', c[4]!);
  await git('tag', 'v3', c[6]!);
  await git('tag', 'v4', c[7]!);
  t.same(await taggedCommits(dir, c[0]!, c[7]!), [{ commit: c[1], tag: 'v1' }, { commit: c[4], tag: 'v2' }, { commit: c[6], tag: 'v3' }], 'v4 is the newer end itself: not between');
  t.same((await taggedCommits(dir, c[2]!, c[7]!)).map((x) => x.tag), ['v2', 'v3']);
  t.same(await taggedCommits(dir, c[4]!, c[6]!), [], 'none strictly between');
});
