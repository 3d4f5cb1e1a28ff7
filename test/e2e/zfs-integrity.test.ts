// Seed 001 under TCG: full + incremental raw sends, scrub on the receiver,
// then load-key + mount + every file's checksum against the source.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { krepro, qemuProcesses, results, runDir } from './helpers.js';

t.test('raw-send integrity: passed, checksums compared and scrub result recorded', async (t) => {
  const dir = t.testdir();
  const r = await krepro(['run', 'scenarios/zfs/raw-send-integrity.yaml', '--results', dir]);
  const res = (await results(dir)).get('zfs-raw-send-integrity')!;
  t.equal(r.exitCode, 0, 'exit code', { output: r.all });
  t.equal(res.verdict, 'passed', res.message);
  const last = res.steps.at(-1)!;
  const out = await readFile(join(await runDir(dir), 'zfs-raw-send-integrity', last.output!), 'utf8');
  t.match(out, /checksums: [1-9]\d* OK, 0 bad; scrub: scrub repaired 0B .* with 0 errors/, 'checksum verdict next to the scrub result');
  t.comment(out.trim().split('\n').pop()!);
  t.comment(`total ${(res.timings.totalMs! / 1000).toFixed(0)}s`);
  t.same(await qemuProcesses(dir), [], 'no QEMU left');
});
