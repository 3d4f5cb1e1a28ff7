// The no-progress watchdog on its own, deterministically: a background writer
// whose filesystem another job freezes stops advancing its counter, with the
// writer stuck in D state. The wait must end as a hang because of the
// watchdog (not its 10-minute timeout, not the scenario timeout), with the
// writer's kernel stack recorded.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { leftoverQemu, runScenario } from './helpers.js';

const WAIT_TIMEOUT_MS = 10 * 60_000; // the wait step's `timeout:` in watchdog-stall.yaml
const HUNG_TASK_MS = 120_000; // Debian's hung_task_timeout_secs

t.test('a writer on a frozen filesystem: failed/hang from the watchdog, with its stuck stack, long before the timeout', async (t) => {
  const { exitCode, output, res, dir } = await runScenario(t, 'test/e2e/scenarios/watchdog-stall.yaml', 'watchdog-stall');
  t.equal(exitCode, 1, 'exit code', { output });
  t.equal(res.verdict, 'failed', res.message);
  t.equal(res.reason, 'hang');
  t.match(res.message, /step 4 .*job writer: no progress for \d+s \(`cat \/tmp\/progress` stuck at \d+\)/, 'the watchdog named the stall');
  t.same(res.steps.map((s) => s.status), ['ok', 'ok', 'ok', 'timeout', 'skipped']);
  t.same(res.crashes.map((c) => c.title), [], 'no kernel report: the watchdog acted before the hung-task detector could');

  const wait = res.steps[3]!;
  t.comment(`wait ended after ${(wait.durationMs / 1000).toFixed(1)}s (stall 15s, timeout ${WAIT_TIMEOUT_MS / 1000}s)`);
  // Fired by the poller (~25 s here): well before the wait's timeout, and before the guest kernel's own
  // hung-task detector (120 s), which ends a run whose watchdog is broken as failed/crash instead.
  t.ok(wait.durationMs < Math.min(WAIT_TIMEOUT_MS / 4, HUNG_TASK_MS - 30_000), `the wait ended long before its timeout (${wait.durationMs} ms)`);
  t.ok(wait.durationMs >= 15_000, 'and not before the stall period');
  t.ok(res.timeline.some((e) => e.event === 'watchdog-stall' && (e.detail as { step: number }).step === 4), 'watchdog-stall in the timeline');

  // The poller's own record: it saw the counter grow, then stay flat until it called the stall.
  t.ok(wait.output, 'the poller kept a record');
  const polls = wait.output ? await readFile(join(dir, wait.output), 'utf8') : '';
  const grew = [...polls.matchAll(/(\d+) → growing/g)].map((m) => Number(m[1]));
  t.ok(grew.length >= 2 && grew.at(-1)! > grew[0]!, `the counter grew while the filesystem was thawed (${grew.join(', ')})`);
  t.match(polls.trim().split('\n').at(-1), /→ stalled \(max \d+\)$/, 'the last poll called the stall');

  // The writer is stuck in the kernel on the frozen filesystem, and its stack says where.
  const stacks = res.diagnostics?.stuckTasks ?? '';
  t.match(stacks, /== pid \d+ \(dd\) state D/, 'the writer is in D state');
  // busybox runs dd in a forked shell without exec: the comm is dd, the cmdline the writer loop's.
  t.match(stacks, /\(dd\) state D.*\ncmdline: .*dd if=\/dev\/zero of=\/mnt\/s\/f/);
  t.match(stacks, /\] (?:percpu_rwsem_wait|__percpu_down_read|percpu_down_read|__sb_start_write|mnt_want_write)\+/, 'a kernel stack through the frozen superblock');
  t.match(await readFile(join(dir, 'steps', '04-hang-diagnostics.out'), 'utf8'), /\(dd\) state D/, 'the stacks are also in the step folder');
  t.same(await leftoverQemu(join(dir, '..', '..')), [], 'no QEMU left');
});
