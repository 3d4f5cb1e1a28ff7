// Seed 001 under TCG: full + incremental raw sends, scrub on the receiver,
// then load-key + mount + every file's checksum against the source.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { leftoverQemu, runScenario } from './helpers.js';

t.test('raw-send integrity: passed, checksums compared and scrub result recorded', async (t) => {
  const { exitCode, output, res, dir } = await runScenario(t, 'scenarios/zfs/raw-send-integrity.yaml', 'zfs-raw-send-integrity');
  t.equal(exitCode, 0, 'exit code', { output });
  t.equal(res.verdict, 'passed', res.message);
  const last = res.steps.at(-1)!;
  const out = await readFile(join(dir, last.output!), 'utf8');
  t.match(out, /checksums: [1-9]\d* OK, 0 bad; scrub: scrub repaired 0B .* with 0 errors/, 'checksum verdict next to the scrub result');
  t.comment(out.trim().split('\n').pop()!);
  t.comment(`total ${(res.timings.totalMs! / 1000).toFixed(0)}s`);
  t.same(await leftoverQemu(dir), [], 'no QEMU left');
});
