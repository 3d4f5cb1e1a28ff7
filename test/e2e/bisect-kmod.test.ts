// krepro bisect end to end on a module repository this test makes: nine
// commits of a tiny out-of-tree module (test/fixtures/crashmod's Kbuild) whose
// write to /proc/crashmod hits BUG() in crashmod_culprit from commit 7 on; commit 4
// does not build (skip) and commit 5 has another bug (BUG in crashmod_other: skip,
// never bad). The bisection is interrupted with SIGINT after its third point and
// resumed: git bisect visits 5, 7, 4, 3, 6 and names commit 7.
import t from 'tap';
import { existsSync } from 'node:fs';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { BisectState } from '../../harness/bisect/types.js';
import { interruptBisectAfter, krepro, leftoverQemu, privateCache, ROOT } from './helpers.js';

const HEAD = `#include <linux/module.h>
#include <linux/proc_fs.h>
MODULE_LICENSE("GPL");
MODULE_VERSION("1");
static int writes;
static noinline void crashmod_culprit(void) { BUG(); }
static noinline void crashmod_other(void) { BUG(); }
`;
const TAIL = `static const struct proc_ops crashmod_ops = { .proc_write = crashmod_write };
static int __init crashmod_init(void) { return proc_create("crashmod", 0200, NULL, &crashmod_ops) ? 0 : -ENOMEM; }
static void __exit crashmod_exit(void) { remove_proc_entry("crashmod", NULL); }
module_init(crashmod_init);
module_exit(crashmod_exit);
`;
const write = (body: string): string => `${HEAD}static ssize_t crashmod_write(struct file *f, const char __user *b, size_t n, loff_t *o)\n{\n${body}\treturn n;\n}\n${TAIL}`;

/** The history, oldest first: subject and the write handler's body (null: the file as given). */
const COMMITS: Array<[string, string]> = [
  ['initial: /proc/crashmod takes writes', write('\t(void)crashmod_culprit; (void)crashmod_other;\n')],
  ['count writes', write('\t(void)crashmod_culprit; (void)crashmod_other;\n\twrites++;\n')],
  ['log writes', write('\t(void)crashmod_culprit; (void)crashmod_other;\n\tpr_info("crashmod: write %d\\n", ++writes);\n')],
  ['refactor the handler (does not build)', write('\t(void)crashmod_culprit; (void)crashmod_other;\n\tpr_info("crashmod: write %d\\n", ++writes)\n')],
  ['validate input (another bug)', write('\t(void)crashmod_culprit;\n\tcrashmod_other();\n')],
  ['drop the validation', write('\t(void)crashmod_culprit; (void)crashmod_other;\n\tpr_info("crashmod: write %d\\n", ++writes);\n')],
  ['fast path for writes', write('\t(void)crashmod_other;\n\tcrashmod_culprit();\n')],
  ['comment the fast path', write('\t/* fast path */\n\t(void)crashmod_other;\n\tcrashmod_culprit();\n')],
  ['tidy', write('\t/* the fast path */\n\t(void)crashmod_other;\n\tcrashmod_culprit();\n')],
  // After the bad end: the fix (commit 10) and a change elsewhere in the file (11), for --fix.
  ['drop the fast path (the fix)', write('\t(void)crashmod_culprit; (void)crashmod_other;\n\tpr_info("crashmod: write %d\\n", ++writes);\n')],
  ['say what the module is', `// crashmod: a module that crashes on request\n${write('\t(void)crashmod_culprit; (void)crashmod_other;\n\tpr_info("crashmod: write %d\\n", ++writes);\n')}`],
];

/** What each commit is, for git's own simulation below (index 0 is the good end, 8 the bad end; 9 and 10 come after it, fixed). */
const TRUTH = ['good', 'good', 'good', 'skip', 'skip', 'good', 'bad', 'bad', 'bad', 'good', 'good'] as const;

async function makeRepo(dir: string): Promise<string[]> {
  // Fixed names and dates: the same hashes on every run, so git bisect's choices (skip included) are the same too.
  const who = { GIT_AUTHOR_NAME: 'Ada Module', GIT_AUTHOR_EMAIL: 'ada@example.org', GIT_COMMITTER_NAME: 'Ada Module', GIT_COMMITTER_EMAIL: 'ada@example.org' };
  let n = 0;
  const git = (...a: string[]) => execa('git', ['-C', dir, ...a], { env: { ...who, GIT_AUTHOR_DATE: `2026-01-${String(n + 1).padStart(2, '0')}T10:00:00Z`, GIT_COMMITTER_DATE: `2026-01-${String(n + 1).padStart(2, '0')}T10:00:00Z` } });
  await execa('git', ['init', '--quiet', dir]);
  await copyFile(join(ROOT, 'test/fixtures/crashmod/Kbuild'), join(dir, 'Kbuild'));
  const hashes: string[] = [];
  for (const [subject, source] of COMMITS) {
    await writeFile(join(dir, 'crashmod.c'), source);
    await git('add', 'Kbuild', 'crashmod.c');
    await git('commit', '--quiet', '-m', subject);
    hashes.push(String((await git('rev-parse', 'HEAD')).stdout).trim());
    n++;
  }
  return hashes;
}

/** The commits git bisect visits when told TRUTH, in order (plain git in a scratch clone: the expected path). */
async function gitPath(repo: string, scratch: string, hashes: string[]): Promise<string[]> {
  await execa('git', ['clone', '--quiet', repo, scratch]);
  const g = (...a: string[]) => execa('git', ['-C', scratch, ...a], { env: { LC_ALL: 'C' }, reject: false });
  let out = String((await g('bisect', 'start', hashes[8]!, hashes[0]!)).stdout);
  const path: string[] = [];
  while (!/is the first bad commit|only 'skip'ped/.test(out) && path.length < 10) {
    const head = String((await g('rev-parse', 'HEAD')).stdout).trim();
    path.push(head);
    out = String((await g('bisect', TRUTH[hashes.indexOf(head)]!, head)).stdout);
  }
  return path;
}

t.test("the test repository's bisection path visits the unbuildable and the other-bug commit", async (t) => {
  const dir = t.testdir();
  const hashes = await makeRepo(join(dir, 'mod'));
  const path = (await gitPath(join(dir, 'mod'), join(dir, 'scratch'), hashes)).map((h) => hashes.indexOf(h) + 1);
  t.comment(`git bisect visits commits ${path.join(', ')}`);
  t.ok(path.includes(4) && path.includes(5), 'both skip kinds are on the path');
});

/** The repository, a scenario writing to /proc/crashmod, and a cache whose module and image stores start empty. */
async function setup(dir: string): Promise<{ repo: string; hashes: string[]; scenario: string; resultsDir: string; env: Record<string, string> }> {
  const repo = join(dir, 'mod');
  const hashes = await makeRepo(repo);
  const scenario = join(dir, 'bisect-kmod.yaml');
  await writeFile(scenario, 'name: bisect-kmod\nimage: crashmod\nmachine: { memory: 1G, cpus: 2 }\ntimeout: 5m\nsteps:\n  - run: echo go > /proc/crashmod\n');
  const cache = await privateCache(join(dir, 'cache'), ['kmod', 'image']);
  return { repo, hashes, scenario, resultsDir: join(dir, 'results'), env: { KREPRO_CACHE: cache } };
}

t.test('bisect a module repository: skips an unbuildable and an other-bug commit, survives SIGINT, names commit 7', async (t) => {
  const { repo, hashes, scenario, resultsDir, env } = await setup(t.testdir());
  const started = Date.now();

  // First leg: stopped with SIGINT once three points (both ends and one step) are recorded.
  const first = krepro(['bisect', scenario, '--good', hashes[0]!, '--bad', hashes[8]!, '--repo', repo, '--runs', '1', '--results', resultsDir], { env });
  const poll = interruptBisectAfter(first, resultsDir, 3);
  const r1 = await first;
  const bisectDir = await poll;
  t.equal(r1.exitCode, 130, 'the interrupted leg exits 130', { output: r1.all?.slice(-3000) });
  t.match(r1.all, /krepro bisect --resume /, 'and says how to resume');
  const before = JSON.parse(await readFile(join(bisectDir, 'bisect.json'), 'utf8')) as BisectState;
  t.ok(before.points.length >= 3 && before.points.length < 7, `${before.points.length} points recorded before the interrupt`);
  t.same(before.points.slice(0, 2).map((p) => [p.role, p.verdict]), [['bad-end', 'bad'], ['good-end', 'good']], 'both ends verified first');
  t.match(before.reference, { reason: 'crash', kind: 'kernel-bug', title: 'kernel BUG in crashmod_culprit' }, 'the reference failure from the bad end');

  // Second leg: the resume replays the recorded verdicts into git and finishes.
  const r2 = await krepro(['bisect', '--resume', bisectDir], { env });
  const wallMs = Date.now() - started;
  t.equal(r2.exitCode, 0, 'the resumed bisection finds the culprit', { output: r2.all?.slice(-4000) });
  t.match(r2.all, new RegExp(`${hashes[6]} is the first bad commit`), 'commit 7 named on stdout');
  const s = JSON.parse(await readFile(join(bisectDir, 'bisect.json'), 'utf8')) as BisectState;
  t.equal(s.culprit?.commit, hashes[6], 'bisect.json: the culprit is commit 7');
  t.match(s.culprit, { subject: 'fast path for writes', author: 'Ada Module <ada@example.org>' });
  t.same(s.points.slice(0, before.points.length).map((p) => p.startedAt), before.points.map((p) => p.startedAt), 'points recorded before the interrupt were not run again');
  const commits = s.points.filter((p) => p.role !== 'recheck').map((p) => p.commit);
  t.equal(new Set(commits).size, commits.length, 'every point visited once (the culprit\'s recheck aside)');
  // The answer checked: commit 7 fails again, its parent (6, already good) counts as run, and the
  // revert of 7 onto the bad end does not apply (commits 8 and 9 rewrote its lines) — said, not run.
  t.match(s.culpritCheck, { verified: true, again: { reproduced: 1, attempts: 1 }, parent: { commit: hashes[5], point: hashes[5], verdict: 'good' }, revert: { why: /does not apply to the bad end/ }, sameBuildAsParent: false });
  t.same(s.points.filter((p) => p.role === 'recheck' || p.role === 'verify').map((p) => [p.role, p.commit]), [['recheck', hashes[6]]], 'one extra point: the culprit again');
  t.match(r2.all, /checked: again 1\/1 reproduced, parent good, no revert/, 'stdout says what was checked');
  t.same(s.points.filter((p) => p.role === 'step').map((p) => hashes.indexOf(p.commit) + 1), [5, 7, 4, 3, 6], "git's own path: krepro only answered good/bad/skip");
  const at = (i: number) => s.points.find((p) => p.commit === hashes[i]);
  t.match(at(3), { verdict: 'skip', why: /^build failed/ }, 'commit 4 does not build: skip, no boot');
  t.equal(at(3)?.attempts.length, 0, 'no attempt at an unbuildable point');
  t.match(at(4), { verdict: 'skip', why: 'other bug: kernel BUG in crashmod_other' }, 'commit 5 crashes elsewhere: skip, never bad');
  t.equal(at(4)?.counts.reproduced, 0);
  t.match(at(6), { verdict: 'bad' });
  t.match(at(5), { verdict: 'good' }, 'the parent passes');
  // What really ran: the module the guest loaded is the one built at that commit.
  for (const p of s.points.filter((x) => x.attempts.length)) {
    const built = p.build!.srcversions.crashmod!;
    t.match(built, /^[0-9A-F]{20,}$/, `${p.subject}: built srcversion`);
    t.equal(p.attempts[0]!.guestSrcversions?.crashmod, built, `${p.subject}: the guest loaded that build`);
    t.match(p.build!.buildIds?.crashmod, /^[0-9a-f]{40}$/, `${p.subject}: built build ID`);
    t.equal(p.attempts[0]!.guestBuildIds?.crashmod, p.build!.buildIds?.crashmod, `${p.subject}: the same build ID in the guest's /sys/module`);
  }
  t.ok(s.confidence && s.confidence.value > 0 && s.confidence.value <= 1, `confidence ${s.confidence?.value}`);
  const md = await readFile(join(bisectDir, 'bisect.md'), 'utf8');
  t.match(md, `**First bad commit: \`${hashes[6]}\`**`);
  t.match(md, /- date: \d{4}-\d\d-\d\dT/);
  t.match(md, /kernel BUG at mod\/crashmod\.c:\d+/, "the culprit's console excerpt (the file named as in the user's tree)");
  t.match(md, /git bisect log[\s\S]*# first bad commit: \[/, "git's own log");
  t.ok(existsSync(join(bisectDir, 'src', 'mod', '.git')), 'git bisect ran in a private clone');
  t.equal(String((await execa('git', ['-C', repo, 'status', '--porcelain'])).stdout), '', "the user's repository is untouched");
  t.same(await leftoverQemu(bisectDir), [], 'no QEMU left behind');
  t.comment(`bisect wall time ${(wallMs / 1000).toFixed(0)} s, ${s.points.length} points, ${s.points.filter((p) => p.build || /build failed/.test(p.why)).length} builds`);
});

t.test('bisect --fix: from the bad end (commit 9) to a fixed one (11) names the fix, commit 10, checked the other way round', async (t) => {
  const { repo, hashes, scenario, resultsDir, env } = await setup(t.testdir());
  const r = await krepro(['bisect', scenario, '--fix', '--bad', hashes[8]!, '--good', hashes[10]!, '--repo', repo, '--runs', '1', '--results', resultsDir], { env });
  t.equal(r.exitCode, 0, 'the fix found and confirmed', { output: r.all?.slice(-4000) });
  t.match(r.all, new RegExp(`${hashes[9]} is the first fixed commit\\n    drop the fast path \\(the fix\\)`), 'commit 10 named on stdout');
  const bisectDir = join(resultsDir, String(r.all?.match(/(bisect-[\w-]+)\/bisect\.md/)?.[1]));
  const s = JSON.parse(await readFile(join(bisectDir, 'bisect.json'), 'utf8')) as BisectState;
  t.equal(s.fix, true);
  t.same(s.points.slice(0, 2).map((p) => [p.role, p.commit, p.verdict]), [['bad-end', hashes[8], 'bad'], ['good-end', hashes[10], 'good']], 'the ends: bug at 9, gone at 11');
  // The fix passes again, its parent (9, the bad end) fails as recorded, and 11 with the fix
  // reverted (the file's new first line kept) brings the crash back.
  t.match(s.culpritCheck, { verified: true, again: { verdict: 'good' }, parent: { commit: hashes[8], verdict: 'bad' }, revert: { verdict: 'bad' } }, 'checked the other way round');
  const revert = s.points.find((p) => p.subject.includes('reverted'));
  t.match(revert, { role: 'recheck', verdict: 'bad', why: /^reproduced 1\/1/ }, 'the reverted fixed end reproduces the crash');
  t.match(await readFile(join(bisectDir, 'bisect.md'), 'utf8'), `**First fixed commit: \`${hashes[9]}\`**`);
  t.match(await readFile(join(bisectDir, 'bisect.junit.xml'), 'utf8'), /<testcase classname="bisect\.bisect-kmod" name="answer"[^>]*>\n    <properties>[\s\S]*<\/properties>\n  <\/testcase>/, 'JUnit: the answer case passes');
  t.same(await leftoverQemu(bisectDir), [], 'no QEMU left behind');
});

t.test('bisect --tags: the releases first (v0.2 good, v0.3 good, v0.4 bad), then the one commit between: 7, never the skip kinds', async (t) => {
  const { repo, hashes, scenario, resultsDir, env } = await setup(t.testdir());
  for (const [tag, i] of [['v0.1', 1], ['v0.2', 2], ['v0.3', 5], ['v0.4', 7]] as const) await execa('git', ['-C', repo, 'tag', tag, hashes[i]!]);
  const r = await krepro(['bisect', scenario, '--tags', '--good', hashes[0]!, '--bad', hashes[8]!, '--repo', repo, '--runs', '1', '--results', resultsDir], { env });
  t.equal(r.exitCode, 0, 'culprit found', { output: r.all?.slice(-4000) });
  t.match(r.all, new RegExp(`${hashes[6]} is the first bad commit`));
  t.match(r.all, /between tags — last good v0\.3, first bad v0\.4; commits next/, 'the release level ends between v0.3 and v0.4');
  const bisectDir = join(resultsDir, String(r.all?.match(/(bisect-[\w-]+)\/bisect\.md/)?.[1]));
  const s = JSON.parse(await readFile(join(bisectDir, 'bisect.json'), 'utf8')) as BisectState;
  const steps = s.points.filter((p) => p.role === 'step');
  t.same(steps.map((p) => [hashes.indexOf(p.commit) + 1, p.verdict]), [[3, 'good'], [6, 'good'], [8, 'bad'], [7, 'bad']], 'tags 3, 6, 8 (a binary search over the releases), then commit 7 from git');
  t.match(steps[0]?.subject, /^v0\.2: /, 'a release point names its tag');
  t.notOk(s.points.some((p) => [hashes[3], hashes[4]].includes(p.commit)), 'the unbuildable and the other-bug commits are never visited');
  t.match(s.culpritCheck, { verified: true });
});

t.test('run --bisect-exit: bad input aborts git bisect run (128), never counts as bad', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'name: x\nsteps: 3\n' });
  const r = await krepro(['run', '--bisect-exit', join(dir, 'bad.yaml')]);
  t.equal(r.exitCode, 128, r.all);
});
