// The whole VM paused, the NIC's link down, and the job machinery (wait for any,
// parallel joined by `first` and by a named job) — on a real guest under QEMU.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { krepro, leftoverQemu, results, runDir } from './helpers.js';

t.test('test/e2e/scenarios/fault-machine.yaml', async (t) => {
  const dir = t.testdir();
  const r = await krepro(['run', 'test/e2e/scenarios/fault-machine.yaml', '--results', dir]);
  const res = (await results(dir)).get('fault-machine')!;
  t.equal(res.verdict, 'passed', res.message, { output: r.all });
  const base = join(await runDir(dir), 'fault-machine');
  const out = (i: number) => readFile(join(base, res.steps[i - 1]!.output!), 'utf8');

  t.test('a 5 s pause: QMP STOP/RESUME, the guest sees the jump and carries on', async (t) => {
    const end = res.timeline.find((e) => e.event === 'fault-end' && (e.detail as { kind: string }).kind === 'pause');
    const pausedMs = (end?.detail as { pausedMs: number }).pausedMs;
    t.ok(pausedMs >= 5000 && pausedMs < 6000, `STOP → RESUME ${pausedMs} ms`);
    const clocks = async (i: number) => {
      const m = /CLOCKS realtime=(\d+) rtc=(\d+) uptime=([\d.]+)/.exec(await out(i))!;
      return { realtime: Number(m[1]), rtc: Number(m[2]), uptime: Number(m[3]) };
    };
    const [before, after] = [await clocks(4), await clocks(6)];
    // The guest's clocks run on QEMU's virtual clock, which stops with the VM; the RTC reads host time.
    const jump = (after.rtc - before.rtc) - (after.uptime - before.uptime);
    t.comment(`paused ${pausedMs} ms; guest uptime advanced ${(after.uptime - before.uptime).toFixed(2)} s, RTC ${after.rtc - before.rtc} s: jump ${jump.toFixed(2)} s`);
    t.ok(Math.abs(jump - pausedMs / 1000) <= 1.2, 'guest-observed jump ≈ pause (RTC has 1 s resolution)');
    // Between the two reads the guest also runs two SSH steps (about 1 s under a loaded TCG host), never the pause.
    t.ok(after.uptime - before.uptime < pausedMs / 2000, 'guest monotonic time stood still during the pause');
    t.equal(res.steps[5]!.status, 'ok', 'the next step ran');
    const qmp = await readFile(join(base, 'qmp.jsonl'), 'utf8');
    t.match(qmp, /"event":"STOP"[\s\S]*"event":"RESUME"/);
  });

  t.test('link down for 3 s: the guest sees no carrier, SSH comes back', async (t) => {
    const changes = [...(await out(7)).matchAll(/^([\d.]+) ([01])$/gm)].map((m) => ({ at: Number(m[1]), carrier: m[2] }));
    t.same(changes.map((s) => s.carrier), ['1', '0', '1'], 'carrier 1 → 0 → 1');
    const down = changes[2]!.at - changes[1]!.at;
    t.ok(down >= 2.5 && down <= 6, `no carrier for ${down.toFixed(1)} s (link down for 3 s)`);
    t.equal(res.steps[9]!.status, 'ok');
  });

  t.test('jobs: wait for any, parallel joined by first and by a named job', async (t) => {
    t.match(res.steps[2]!.message, /slow still running, quick exit 0/);
    t.match(res.steps[10]!.message, /loop stopped after .*, brief exit 0/);
    t.match(res.steps[11]!.message, /leader exit 0 .*, follower stopped after .*, helper exit 0/);
    t.equal((await out(13)).trim(), '0', 'no stopped loop is left in the guest');
  });
  t.same(await leftoverQemu(dir), [], 'no QEMU left behind');
});
