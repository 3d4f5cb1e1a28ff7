// Faults injected from QEMU under a running guest's disks: a write that fails
// with EIO after exactly N requests (console + exit code), a read fault that
// ends on its own, and throttles that measurably slow dd — on virtio and on a
// USB stick whose throttle must survive unplug/plug.
import t, { type Test } from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ScenarioResult } from '../../harness/results/types.js';
import { krepro, leftoverQemu, results, runDir } from './helpers.js';

const MiB = 2 ** 20;

// Two attempts (the scenario's repeat: 2): the second starts from the snapshot of a
// booted guest, and every fault must act on it exactly as on the booted one.
t.test('test/e2e/scenarios/fault-disk.yaml, booted and restored', async (t) => {
  const dir = t.testdir();
  const r = await krepro(['run', 'test/e2e/scenarios/fault-disk.yaml', '--results', dir]);
  t.equal(r.exitCode, 0, 'exit code', { output: r.all });
  const all = await results(dir);
  t.equal(all.get('fault-disk-2')?.boot?.mode, 'restored', 'attempt 2 was restored from a snapshot');
  for (const attempt of ['fault-disk-1', 'fault-disk-2']) await t.test(attempt, (t) => checkAttempt(t, dir, attempt, all.get(attempt)!));
  t.same(await leftoverQemu(dir), [], 'no QEMU left behind');
});

async function checkAttempt(t: Test, dir: string, name: string, res: ScenarioResult): Promise<void> {
  t.equal(res.verdict, 'passed', res.message);
  const base = join(await runDir(dir), name);
  const out = (i: number) => readFile(join(base, res.steps[i - 1]!.output!), 'utf8');
  const consoleLog = await readFile(join(base, 'console.log'), 'utf8');

  t.test('write errors after exactly 4 requests: EIO to dd, I/O error on the console', async (t) => {
    t.equal(res.steps[1]!.exitCode, 1, 'dd exits 1');
    t.match(await out(2), /Input\/output error[\s\S]*4\+0 records out/, 'the 5th write failed with EIO, 4 went through');
    t.match(consoleLog, /I\/O error, dev vda, sector 32 op 0x1:\(WRITE\)/, 'kernel logs the failed write at 4 × 4 KiB');
  });

  t.test('a read fault for 3s ends by itself; clear removes an io-error', async (t) => {
    t.equal(res.steps[3]!.exitCode, 1, 'read fails while the fault is on');
    t.match(consoleLog, /I\/O error, dev vda, sector 0 op 0x0:\(READ\)/);
    t.equal(res.steps[5]!.status, 'ok', 'read and write work after the 3s');
    const ends = res.timeline.filter((e) => e.event === 'fault-end').map((e) => (e.detail as { why: string }).why);
    t.same(ends.slice(0, 3), ['replaced by step 3', 'for 3000ms elapsed', 'cleared by step 8']);
  });

  t.test('throttling slows dd to the limit; a replugged stick keeps its throttle', async (t) => {
    const rates = new Map<string, number>();
    for (const m of (await Promise.all(res.steps.filter((s) => s.output).map((s) => readFile(join(base, s.output!), 'utf8')))).join('')
      .matchAll(/^RATE (\S+) (\d+) ([\d.]+) ([\d.]+)$/gm)) {
      rates.set(m[1]!, Number(m[2]) / (Number(m[4]) - Number(m[3])));
    }
    const mib = (k: string) => rates.get(k)! / MiB;
    t.comment(`MiB/s: ${[...rates.keys()].map((k) => `${k} ${mib(k).toFixed(2)}`).join(', ')}`);
    // The limit is an average; QEMU lets a burst of a tenth of it through first, hence 5% over.
    t.ok(mib('tank-throttled') <= 2 * 1.05 && mib('tank-throttled') >= 2 * 0.5, 'virtio: throttled to ~2 MiB/s');
    t.ok(mib('tank-free') > 3 * mib('tank-throttled'), 'virtio: free rate well above the throttled one');
    t.ok(mib('tank-cleared') > 3 * mib('tank-throttled'), 'virtio: clear lifts the throttle');
    t.ok(mib('stick-throttled-replugged') <= 1 * 1.05 && mib('stick-throttled-replugged') >= 0.5, 'usb: still ~1 MiB/s after replug');
    t.ok(mib('stick-free') > 2 * mib('stick-throttled-replugged'), 'usb: free rate well above the throttled one');
    t.ok(res.timeline.some((e) => e.event === 'fault-reapplied'), 'throttle re-applied after plug');
  });

  t.test('every fault went through QMP and is in qmp.jsonl', async (t) => {
    const qmp = await readFile(join(base, 'qmp.jsonl'), 'utf8');
    for (const cmd of ['blockdev-add', 'blockdev-reopen', 'blockdev-del', 'block_set_io_throttle']) t.match(qmp, `"execute":"${cmd}"`);
    t.notMatch(qmp, /"error"/, 'QEMU accepted every command');
  });
}
