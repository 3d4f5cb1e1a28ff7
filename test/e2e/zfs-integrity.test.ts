// Seed 001 under TCG: full + incremental raw sends, scrub on the receiver,
// then load-key + mount + every file's checksum against the source. Two
// attempts: the second restores the first's booted guest and must pass the same way.
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { krepro, leftoverQemu, results, ROOT, runDir } from './helpers.js';

t.test('raw-send integrity: passed, checksums compared and scrub result recorded, booted and restored', async (t) => {
  const dir = t.testdir();
  const text = await readFile(join(ROOT, 'scenarios/zfs/raw-send-integrity.yaml'), 'utf8');
  const copy = join(dir, 'raw-send-integrity.yaml');
  await writeFile(copy, text.replace(/^timeout: (.*)$/m, 'timeout: $1\nrepeat: 2'));
  const r = await krepro(['run', copy, '--results', join(dir, 'results')]);
  t.equal(r.exitCode, 0, 'exit code', { output: r.all });
  const all = await results(join(dir, 'results'));
  t.equal(all.get('zfs-raw-send-integrity-2')?.boot?.mode, 'restored', 'attempt 2 was restored from a snapshot');
  for (const attempt of ['zfs-raw-send-integrity-1', 'zfs-raw-send-integrity-2']) {
    const res = all.get(attempt)!;
    t.equal(res.verdict, 'passed', `${attempt}: ${res.message}`);
    const out = await readFile(join(await runDir(join(dir, 'results')), attempt, res.steps.at(-1)!.output!), 'utf8');
    t.match(out, /checksums: [1-9]\d* OK, 0 bad; scrub: scrub repaired 0B .* with 0 errors/, `${attempt}: checksum verdict next to the scrub result`);
    t.comment(`${attempt} (${res.boot?.mode}): ${out.trim().split('\n').pop()!}; total ${(res.timings.totalMs! / 1000).toFixed(0)}s`);
  }
  t.same(await leftoverQemu(join(dir, 'results')), [], 'no QEMU left');
});
