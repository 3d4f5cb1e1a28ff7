// Seed 003 on Debian's 6.1: send + receive while balance relocates the source
// in a loop passes (the fix is in); the variant whose receiving disk fails
// writes on purpose must end `failed`, so the scenario's checks can fail.
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { krepro, leftoverQemu, results, ROOT, runDir } from './helpers.js';

t.test('scenarios/btrfs/send-during-balance.yaml passes on 6.1, booted and restored', async (t) => {
  const dir = t.testdir();
  // Two attempts keep CI short (the second restored from the first's snapshot); the shipped file's
  // `repeat: 3` is exercised by hand (see the README).
  const text = await readFile(join(ROOT, 'scenarios/btrfs/send-during-balance.yaml'), 'utf8');
  t.match(text, /^repeat: [2-9]/m, 'the shipped scenario repeats for a reproduction rate');
  const copy = join(dir, 'send-during-balance.yaml');
  await writeFile(copy, text.replace(/^repeat: \d+$/m, 'repeat: 2'));
  const r = await krepro(['run', copy, '--results', join(dir, 'results')]);
  const all = await results(join(dir, 'results'));
  t.equal(all.get('btrfs-send-during-balance-2')?.boot?.mode, 'restored', 'attempt 2 was restored from a snapshot');
  for (const name of ['btrfs-send-during-balance-1', 'btrfs-send-during-balance-2']) {
    const res = all.get(name)!;
    t.equal(res.verdict, 'passed', `${name}: ${res.message}`, { output: r.all });
    t.same(res.crashes, [], 'no BTRFS error/critical, transid, backref or BUG report');
    const base = join(await runDir(join(dir, 'results')), name);
    const par = res.steps.find((s) => s.kind === 'parallel')!;
    t.match(par.message, /send exit 0 .*balance exit 0/, 'send succeeded; the balance loop stopped between balances when it ended');
    const balances = await readFile(join(base, `steps/${String(par.index).padStart(2, '0')}-run-balance.out`), 'utf8');
    t.match(balances, /balance 1 done/, 'at least one full balance completed while send ran');
    const verify = await readFile(join(base, res.steps[par.index + 1]!.output!), 'utf8');
    t.match(verify, /snap1: names, sizes, modes, mtimes match[\s\S]*snap1: \d+ file checksums match/);
    t.match(verify, /snap2: names, sizes, modes, mtimes match[\s\S]*snap2: \d+ file checksums match/);
    t.comment(`${name} (${res.boot?.mode}) took ${(res.timings.totalMs! / 1000).toFixed(0)}s; ${balances.trim().split('\n').length} balance(s) during send`);
  }
  t.same(await leftoverQemu(join(dir, 'results')), [], 'no QEMU left behind');
});

t.test('scenarios/btrfs/send-during-balance-faulty.yaml fails: write errors on the receiver', async (t) => {
  const dir = t.testdir();
  const r = await krepro(['run', 'scenarios/btrfs/send-during-balance-faulty.yaml', '--results', dir]);
  t.equal(r.exitCode, 1, 'krepro exits 1 (failed)', { output: r.all });
  const res = (await results(dir)).get('btrfs-send-during-balance-faulty')!;
  t.equal(res.verdict, 'failed');
  t.equal(res.reason, 'crash', res.message);
  // The same kernel, image, machine and disk layout as the scenario above: its snapshot, with
  // the fault switched on the restored guest's receiving disk.
  t.equal(res.boot?.mode, 'restored', 'restored from the snapshot the passing scenario saved');
  const par = res.steps.find((s) => s.kind === 'parallel')!;
  const crash = res.crashes[0]!;
  t.match(crash.kind, /^(io-errors|btrfs-)/, `${crash.kind}: ${crash.title}`);
  t.match(crash.title, /vdb/, 'on the receiving disk');
  t.equal(crash.step, par.index, 'while send and balance ran');
  t.ok(res.timeline.some((e) => e.event === 'fault-start' && (e.detail as { disk: string }).disk === 'dst'));
  t.same(await leftoverQemu(dir), [], 'no QEMU left behind');
});
