// Nothing outlives a SIGKILLed krepro, and nothing a killed run left behind
// breaks the next one (issue 12: dpkg-deb and tar kept writing into the cache
// after a SIGKILL during the kernel unpack, and the next run failed with
// ENOTEMPTY). One cold run, in a cache of its own, is SIGKILLed at three
// points — the kernel .deb unpack, the crashmod module's make (with compilers
// under it), the image build — and every process krepro had started by then
// is checked by pid and process group (never by searching command lines,
// which need not name the cache). Then the same run, uninterrupted, passes.
import t, { type Test } from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { CLI, ROOT, results } from './helpers.js';
import { groupMembers, waitFor } from '../unit/util/procs.js';

interface P { pid: number; ppid: number; pgid: number; comm: string }

function table(): P[] {
  const out: P[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [state, ppid, pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z') out.push({ pid: Number(e), ppid: Number(ppid), pgid: Number(pgid), comm });
    } catch { /* gone */ }
  }
  return out;
}

/** Every live descendant of `root`. */
function descendants(root: number): P[] {
  const all = table();
  const found: P[] = [];
  const seen = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (!seen.has(p.pid) && seen.has(p.ppid)) {
        seen.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

const tmpsIn = (dir: string): string[] => {
  try {
    return readdirSync(dir).filter((n) => n.startsWith('.tmp-'));
  } catch {
    return [];
  }
};

const dir = t.testdir();
const cache = join(dir, 'cache'); // empty: a cold run
const scenario = join(dir, 'kill.yaml');

t.before(async () => {
  await writeFile(scenario, [
    'name: kill-cold-run',
    'image: crashmod',
    'machine: { memory: 1G, cpus: 2 }',
    'timeout: 5m',
    'steps:',
    '  - run: grep -q crashmod /proc/modules',
    '',
  ].join('\n'));
});

/**
 * Start a run and SIGKILL it once `at(descendants)` says so; then every process it had started must go.
 * Returns the processes that were alive at the kill.
 */
async function killAt(t: Test, label: string, at: (d: P[]) => boolean): Promise<P[]> {
  const k = execa(process.execPath, [CLI, 'run', scenario, '--results', join(dir, `results-${label}`)], {
    cwd: ROOT, reject: false, env: { KREPRO_CACHE: cache, KREPRO_PROGRESS: 'plain' },
  });
  const exited = k.then(() => undefined);
  let atKill: P[] = [];
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    const d = descendants(k.pid!);
    if (at(d)) {
      atKill = d;
      process.kill(k.pid!, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  await exited;
  t.ok(atKill.length > 0, `${label}: killed at the point (${atKill.map((p) => p.comm).join(' ')})`);
  const groups = [...new Set(atKill.map((p) => p.pgid))];
  // The keeper kills within milliseconds; 1 s is generous, and short enough that work left to run on (the broken case) is still there.
  const gone = await waitFor(() => groups.every((g) => groupMembers(g).length === 0) && atKill.every((p) => !table().some((q) => q.pid === p.pid && q.comm === p.comm)), 1000);
  t.ok(gone, `${label}: no process krepro started is left`, { left: groups.flatMap(groupMembers) });
  return atKill;
}

t.test('SIGKILL during the kernel .deb unpack', async (t) => {
  await killAt(t, 'kernel-unpack', (d) => d.some((p) => p.comm === 'dpkg-deb') && tmpsIn(join(cache, 'kernel')).length > 0);
});

t.test('SIGKILL during the module build, with compilers under make', async (t) => {
  const at = await killAt(t, 'kmod-make', (d) => {
    const make = d.find((p) => p.comm === 'make');
    return Boolean(make && d.some((p) => p.pgid === make.pgid && /^(cc1|gcc|gcc-12|as|ld)$/.test(p.comm)));
  });
  const make = at.find((p) => p.comm === 'make');
  t.ok(make && at.some((p) => p.pgid === make.pgid && p.ppid !== make.pid), 'grandchildren of make were alive at the kill (and are gone)');
});

t.test('SIGKILL during the image build', async (t) => {
  await killAt(t, 'image', (d) => tmpsIn(join(cache, 'image')).length > 0 && d.some((p) => /^(dpkg-deb|cpio|cp|tar|depmod)$/.test(p.comm)));
});

t.test('the next run, in the same cache, passes', async (t) => {
  const r = await execa(process.execPath, [CLI, 'run', scenario, '--results', join(dir, 'results-after')], {
    cwd: ROOT, reject: false, all: true, env: { KREPRO_CACHE: cache, KREPRO_PROGRESS: 'plain' },
  });
  t.equal(r.exitCode, 0, r.all);
  const res = (await results(join(dir, 'results-after'))).get('kill-cold-run');
  t.equal(res?.verdict, 'passed', res?.message ?? '');
});
