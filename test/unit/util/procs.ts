// Process facts for lifetime tests, read from /proc: by process group, never
// by grepping command lines (a child's argv need not name what it works on).
import { readdirSync, readFileSync } from 'node:fs';

/** Pids whose process group is `pgid` (zombies excluded: they hold nothing). */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp …" — comm may contain spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') out.push(Number(name));
  }
  return out;
}

/** Pids of every live process whose process group is one of `pgids`. */
export function groupsMembers(pgids: Iterable<number>): number[] {
  return [...pgids].flatMap(groupMembers);
}

/** Poll `cond` until true or `ms` pass; the last answer. */
export async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}
