// Concurrency in scenarios: `parallel:` blocks and waits on several jobs.
// Checks job names against the jobs started so far (the book steps.ts keeps),
// so a typo in a join policy or a wait is reported before anything boots.

import type { Item, Out } from './fields.js';
import type { Cx } from './problems.js';
import type { stepSpec } from './spec.js';
import { didYouMean } from './suggest.js';
import type { ParallelJob, ParallelStep, Position } from './types.js';

/** Job name → the step that started it and the step that waited for it. */
export type JobBook = Map<string, { started: number; waited?: number }>;

type ParallelValue = Extract<Out<typeof stepSpec>, { tag: 'parallel' }>['value'];
type JobValue = string | { run: string; 'expect-exit'?: number | 'any'; timeout?: number; stdin?: string };

const ID = /^[A-Za-z][A-Za-z0-9_-]*$/;
const POLICIES = ['all', 'first'];

function knownHint(name: string, jobs: Iterable<string>): string {
  const list = [...jobs];
  return didYouMean(name, list) || (list.length ? `; started so far: ${list.join(', ')}` : '');
}

/** The jobs and join policy of a parallel block, registered in `book` as started and waited by `index`. */
export function resolveParallel(
  v: ParallelValue, index: number, book: JobBook, exit: number | 'any', cx: Cx,
): Pick<ParallelStep, 'jobs' | 'join'> | undefined {
  const at = v.parallel.$at as Record<string, Position>;
  const jobs: ParallelJob[] = [];
  let ok = true;
  for (const [name, raw] of Object.entries(v.parallel.$extra as Record<string, JobValue>)) {
    if (!ID.test(name) || POLICIES.includes(name)) {
      cx.reportAt(at[name]!, `parallel: '${name}' is not a usable job name (a letter, then letters, digits, '_', '-'; not all or first)`);
      ok = false;
      continue;
    }
    const prior = book.get(name);
    if (prior) {
      cx.reportAt(at[name]!, `job '${name}' is already started by step ${prior.started}`);
      ok = false;
      continue;
    }
    book.set(name, { started: index, waited: index });
    const j = typeof raw === 'string' ? { run: raw } : raw;
    jobs.push({
      name, command: j.run, expectExit: j['expect-exit'] ?? exit,
      ...(j.timeout !== undefined ? { timeoutMs: j.timeout } : {}),
      ...(j.stdin !== undefined ? { stdin: j.stdin } : {}),
    });
  }
  let join: ParallelStep['join'] = 'all';
  if (v.join === 'all' || v.join === 'first') join = v.join;
  else if (jobs.some((j) => j.name === v.join)) join = { job: v.join };
  else {
    const names = Object.keys(v.parallel.$extra);
    cx.reportAt(v.$at.join, `join: '${v.join}' is not all, first, or a job of this block${didYouMean(v.join, [...POLICIES, ...names])}`);
    ok = false;
  }
  return ok ? { jobs, join } : undefined;
}

/** Check a `wait: { jobs: [...] }`; waiting for all marks them waited, so a second wait is reported. */
export function checkWaitJobs(items: Item<string>[], waitFor: 'all' | 'any', index: number, book: JobBook, cx: Cx): string[] {
  const names: string[] = [];
  for (const { value: name, node } of items) {
    if (name === undefined) continue;
    const pos = cx.pos(node);
    const job = book.get(name);
    if (names.includes(name)) cx.reportAt(pos, `wait: job '${name}' is listed twice`);
    else if (!job) cx.reportAt(pos, `wait: no background job '${name}' was started before this step${knownHint(name, book.keys())}`);
    else if (job.waited === job.started) cx.reportAt(pos, `wait: job '${name}' belongs to the parallel block of step ${job.started}, which joins it`);
    else if (job.waited !== undefined) cx.reportAt(pos, `wait: job '${name}' was already waited for by step ${job.waited}`);
    names.push(name);
  }
  if (waitFor === 'all') for (const n of names) { const j = book.get(n); if (j && j.waited === undefined) j.waited = index; }
  return names;
}
