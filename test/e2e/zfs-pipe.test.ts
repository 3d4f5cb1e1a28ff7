// Seed 002 under TCG: zfs receive from a pipe that already holds 100 bytes,
// as shipped and with ZFS_SET_PIPE_MAX=1 (the F_SETPIPE_SZ path of the
// report). On Debian 6.1 + ZFS 2.3.2 neither deadlocked here; the watchdog on
// each receive would turn one that does into failed/hang at its wait step.
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { krepro, leftoverQemu, results, ROOT, runDir } from './helpers.js';

// Two attempts each: the second restores the snapshot of the first's booted guest
// (ZFS loaded, pool disk attached) and must pass the same way. The 6.12 variant runs
// on the seed-004 kernel recipe (prepared for the CFI tests) booted with cfi=off.
for (const [file, name, zfs] of [
  ['scenarios/zfs/recv-prefilled-pipe.yaml', 'zfs-recv-prefilled-pipe', '6.1 + 2.3.2'],
  ['scenarios/zfs/recv-prefilled-pipe-6.12.yaml', 'zfs-recv-prefilled-pipe-6.12', '6.12 ThinLTO/CFI build + 2.3.2'],
] as const) {
  t.test(`prefilled pipe: both receives finish under the watchdog (${zfs}), booted and restored`, async (t) => {
    const dir = t.testdir();
    const text = await readFile(join(ROOT, file), 'utf8');
    const copy = join(dir, file.split('/').pop()!);
    await writeFile(copy, text.replace(/^timeout: (.*)$/m, 'timeout: $1\nrepeat: 2'));
    const r = await krepro(['run', copy, '--results', join(dir, 'results')]);
    t.equal(r.exitCode, 0, 'exit code', { output: r.all });
    const all = await results(join(dir, 'results'));
    t.equal(all.get(`${name}-2`)?.boot?.mode, 'restored', 'attempt 2 was restored from a snapshot');
    for (const attempt of [`${name}-1`, `${name}-2`]) {
      const res = all.get(attempt)!;
      t.equal(res.verdict, 'passed', `${attempt}: ${res.message}`);
      t.match(res.artifacts['build:zfs']?.identity, /^debian:zfs-dkms@2\.3\.2-/, `${attempt}: the ZFS build is named in result.json`);
      const waits = res.steps.filter((s) => s.label.includes('(watchdog)'));
      t.same(waits.map((s) => s.status), ['ok', 'ok'], `${attempt}: each receive finished before its watchdog fired`);
      const out = await readFile(join(await runDir(join(dir, 'results')), attempt, res.steps.at(-1)!.output!), 'utf8');
      t.match(out, /tank\/plain identical to tank\/data/, `${attempt}: as shipped, received content identical to the source`);
      t.match(out, /tank\/setpipe identical to tank\/data/, `${attempt}: ZFS_SET_PIPE_MAX=1, received content identical to the source`);
      t.comment(`${attempt}: ${res.boot?.mode}, total ${(res.timings.totalMs! / 1000).toFixed(0)}s`);
    }
    t.same(await leftoverQemu(join(dir, 'results')), [], 'no QEMU left');
  });
}
