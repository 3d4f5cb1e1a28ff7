// Seed 002 under TCG: zfs receive from a pipe that already holds 100 bytes,
// as shipped and with ZFS_SET_PIPE_MAX=1 (the F_SETPIPE_SZ path of the
// report). On Debian 6.1 + ZFS 2.3.2 neither deadlocked here; the watchdog on
// each receive would turn one that does into failed/hang at its wait step.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { krepro, leftoverQemu, results, runDir } from './helpers.js';

t.test('prefilled pipe: both receives finish under the watchdog (6.1 + 2.3.2)', async (t) => {
  const dir = t.testdir();
  const r = await krepro(['run', 'scenarios/zfs/recv-prefilled-pipe.yaml', '--results', dir]);
  const res = (await results(dir)).get('zfs-recv-prefilled-pipe')!;
  t.equal(res.verdict, 'passed', res.message);
  t.equal(r.exitCode, 0, 'exit code', { output: r.all });
  const waits = res.steps.filter((s) => s.label.includes('(watchdog)'));
  t.same(waits.map((s) => s.status), ['ok', 'ok'], 'each receive finished before its watchdog fired');
  const out = await readFile(join(await runDir(dir), 'zfs-recv-prefilled-pipe', res.steps.at(-1)!.output!), 'utf8');
  t.match(out, /tank\/plain identical to tank\/data/, 'as shipped: received content identical to the source');
  t.match(out, /tank\/setpipe identical to tank\/data/, 'ZFS_SET_PIPE_MAX=1: received content identical to the source');
  t.comment(`total ${(res.timings.totalMs! / 1000).toFixed(0)}s`);
  t.same(await leftoverQemu(dir), [], 'no QEMU left');
});
