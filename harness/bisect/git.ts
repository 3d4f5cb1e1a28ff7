// git's own bisection machinery, driven in a private clone inside the
// bisection's directory (objects shared with the user's repository, whose
// refs, index and work tree are never touched). krepro never picks a commit
// itself: it reports good/bad/skip and reads git's answer.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from '../util/children.js';
import { commandError, InputError } from '../util/errors.js';

async function git(dir: string, ...args: string[]): Promise<string> {
  const r = await execa('git', ['-C', dir, ...args], { env: { LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' } });
  return String(r.stdout).trim();
}

/** The full hash of a commit-ish in `repo`; an input error when it names nothing. */
export async function resolveCommit(repo: string, ref: string): Promise<string> {
  try {
    return await git(repo, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`);
  } catch (e) {
    throw new InputError(`${repo}: '${ref}' is not a commit: ${commandError(e) || 'unknown revision'}`, { cause: e });
  }
}

/** The repository's top-level directory containing `dir` (undefined when `dir` is not in a work tree). */
export async function toplevel(dir: string): Promise<string | undefined> {
  return git(dir, 'rev-parse', '--show-toplevel').catch(() => undefined);
}

/** A clone sharing the repository's objects, made once; later calls (a resume) reuse it. */
export async function privateClone(repo: string, dest: string): Promise<void> {
  if (await access(join(dest, '.git')).then(() => true, () => false)) {
    // New commits in the user's repository (a resume after they fetched) must be visible.
    await git(dest, 'fetch', '--quiet', repo, '+refs/heads/*:refs/remotes/origin/*').catch(() => undefined);
    return;
  }
  await execa('git', ['clone', '--quiet', '--shared', '--no-checkout', repo, dest]);
}

export async function checkout(clone: string, commit: string): Promise<void> {
  await git(clone, 'checkout', '--quiet', '--force', '--detach', commit);
}

export interface CommitInfo {
  commit: string;
  subject: string;
  author: string;
  date: string;
  parent?: string;
}

export async function commitInfo(clone: string, commit: string): Promise<CommitInfo> {
  const [c, subject, author, date, parents] = (await git(clone, 'show', '-s', '--format=%H%n%s%n%an <%ae>%n%aI%n%P', commit)).split('\n');
  return { commit: c!, subject: subject!, author: author!, date: date!, parent: parents?.split(' ')[0] || undefined };
}

/** What git bisect said after a start or a good/bad/skip. */
export type BisectStep =
  | { kind: 'next'; commit: string; left: number; steps: number }
  | { kind: 'found'; commit: string }
  | { kind: 'only-skipped'; candidates: string[] };

/** Parse git bisect's answer (pure; tested on git's own wording). */
export function parseBisectOutput(out: string, head: string): BisectStep {
  const found = /^([0-9a-f]{40}) is the first (?:bad|fixed) commit/m.exec(out);
  if (found) return { kind: 'found', commit: found[1]! };
  if (/only 'skip'ped commits left to test/.test(out)) {
    return { kind: 'only-skipped', candidates: [...out.matchAll(/^([0-9a-f]{40})$/gm)].map((m) => m[1]!) };
  }
  const left = /Bisecting: (\d+) revisions? left to test after this \(roughly (\d+) steps?\)/.exec(out);
  return { kind: 'next', commit: head, left: left ? Number(left[1]) : 0, steps: left ? Number(left[2]) : 0 };
}

/** How git bisect treats the clone's work tree: checked out at each point, or left alone (the point is BISECT_HEAD). */
export interface BisectMode {
  checkout: boolean;
  /** A search for the fix: git's terms become broken (old, the bug reproduces) and fixed (new, it is gone). */
  fix?: boolean;
}

/** What git is told for a point's verdict. */
function term(verdict: 'good' | 'bad' | 'skip', mode: BisectMode): string {
  if (!mode.fix || verdict === 'skip') return verdict;
  return verdict === 'bad' ? 'broken' : 'fixed';
}

async function answer(clone: string, out: string, mode: BisectMode): Promise<BisectStep> {
  const head = await git(clone, 'rev-parse', mode.checkout ? 'HEAD' : 'BISECT_HEAD');
  return parseBisectOutput(out, head);
}

async function bisectCmd(clone: string, args: string[]): Promise<string> {
  // git bisect exits non-zero when only skipped commits are left: its text is still the answer.
  const r = await execa('git', ['-C', clone, 'bisect', ...args], { env: { LC_ALL: 'C' }, reject: false });
  const out = `${String(r.stdout)}\n${String(r.stderr)}`;
  if (r.exitCode !== 0 && !/only 'skip'ped commits/.test(out)) throw new Error(`git bisect ${args.join(' ')}: ${out.trim()}`);
  return out;
}

/** (Re)start git bisect between verified ends, replaying the verdicts already known, and return its next step. */
// A kernel tree's checkout is a gigabyte of files per point: builders that export the commit
// themselves run git bisect with --no-checkout, which names each point in BISECT_HEAD instead.
export async function startBisect(clone: string, bad: string, good: string, paths: string[], known: Array<{ commit: string; verdict: 'good' | 'bad' | 'skip' }>, mode: BisectMode = { checkout: true }): Promise<BisectStep> {
  await bisectCmd(clone, ['reset', '--quiet']).catch(() => undefined);
  // git takes the new end first: the bad one, or — searching for the fix — the good (fixed) one.
  const ends = mode.fix ? ['--term-old=broken', '--term-new=fixed', good, bad] : [bad, good];
  let out = await bisectCmd(clone, ['start', ...(mode.checkout ? [] : ['--no-checkout']), ...ends, '--', ...paths]);
  for (const k of known) {
    if (k.commit === bad || k.commit === good) continue;
    out = await bisectCmd(clone, [term(k.verdict, mode), k.commit]);
  }
  return answer(clone, out, mode);
}

/** Tell git a point's verdict; returns its next step. */
export async function markPoint(clone: string, commit: string, verdict: 'good' | 'bad' | 'skip', mode: BisectMode = { checkout: true }): Promise<BisectStep> {
  return answer(clone, await bisectCmd(clone, [term(verdict, mode), commit]), mode);
}

/** `git bisect log` of the clone: the human log bisect.md starts from. */
export async function bisectLog(clone: string): Promise<string> {
  return git(clone, 'bisect', 'log').catch(() => '');
}

/**
 * The bad end with the culprit reverted, as a commit in the clone made without a work tree
 * (a kernel tree is never checked out): the culprit's reverse diff applied to the bad end's
 * tree in a private index. Undefined with git's reason when it does not apply.
 */
export async function revertOnto(clone: string, bad: string, culprit: string, tmpIndex: string): Promise<{ commit: string } | { why: string }> {
  const env = { LC_ALL: 'C', GIT_INDEX_FILE: tmpIndex, GIT_AUTHOR_NAME: 'krepro bisect', GIT_AUTHOR_EMAIL: 'krepro@localhost', GIT_COMMITTER_NAME: 'krepro bisect', GIT_COMMITTER_EMAIL: 'krepro@localhost' };
  const g = (args: string[], input?: string) => execa('git', ['-C', clone, ...args], { env, reject: false, ...(input === undefined ? {} : { input }) });
  await g(['read-tree', bad]);
  const diff = await g(['diff', '--binary', '--full-index', culprit, `${culprit}^`]);
  if (diff.exitCode !== 0) return { why: `git diff: ${String(diff.stderr).trim()}` };
  if (String(diff.stdout).trim()) {
    const applied = await g(['apply', '--cached', '--binary'], `${String(diff.stdout)}\n`);
    if (applied.exitCode !== 0) return { why: `the revert does not apply to the bad end: ${String(applied.stderr).trim().split('\n')[0]}` };
  }
  const tree = String((await g(['write-tree'])).stdout).trim();
  const subject = String((await g(['show', '-s', '--format=%s', culprit])).stdout).trim();
  // Dated like the bad end: the same revert is the same commit on every call, so a resumed check finds its point.
  const date = String((await g(['show', '-s', '--format=%cI', bad])).stdout).trim();
  const c = await execa('git', ['-C', clone, 'commit-tree', tree, '-p', bad, '-m', `Revert "${subject}"\n\nThis reverts commit ${culprit} (krepro bisect's check of its answer).`],
    { env: { ...env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date }, reject: false });
  if (c.exitCode !== 0) return { why: `git commit-tree: ${String(c.stderr).trim()}` };
  return { commit: String(c.stdout).trim() };
}

/** The tagged commits strictly between `older` and `newer`, oldest first, each with its tag (the first by name when several). */
export async function taggedCommits(clone: string, older: string, newer: string): Promise<Array<{ commit: string; tag: string }>> {
  const byCommit = new Map<string, string>();
  // %(*objectname) is an annotated tag's commit; a lightweight tag is its own objectname.
  for (const line of (await git(clone, 'for-each-ref', '--sort=refname', '--format=%(objectname) %(*objectname) %(refname:short)', 'refs/tags')).split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 2) continue;
    const [commit, tag] = parts.length === 3 ? [parts[1]!, parts[2]!] : [parts[0]!, parts[1]!];
    if (!byCommit.has(commit)) byCommit.set(commit, tag);
  }
  if (!byCommit.size) return [];
  const range = (await git(clone, 'rev-list', '--topo-order', '--reverse', `${older}..${newer}`)).split('\n').filter(Boolean);
  return range.filter((c) => c !== newer && byCommit.has(c)).map((c) => ({ commit: c, tag: byCommit.get(c)! }));
}
