// The failure paths users hit before any step runs: each ends with a clear
// message and the right verdict, and leaves no QEMU behind (checked by the pid
// krepro recorded, or for a QEMU that never got going, by its QMP socket path).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { krepro, leftoverQemu, qemuExitRecorded, qemuPids, runScenario } from './helpers.js';

/** The results dir a runScenario() scenario dir lives in (results/<run-id>/<scenario>). */
const resultsOf = (dir: string): string => dirname(dirname(dir));

t.test('QEMU that will not start: error/infra with its stderr', async (t) => {
  const { exitCode, output, res } = await runScenario(t, 'test/e2e/scenarios/qemu-wont-start.yaml', 'qemu-wont-start');
  t.equal(exitCode, 3, 'exit code', { output });
  t.equal(res.verdict, 'error');
  t.equal(res.reason, 'infra');
  t.match(res.message, /QEMU would not start: .*memory/is);
  t.notOk(res.timeline.some((e) => e.event === 'qemu-started'), 'QEMU never got as far as QMP');
  // The argv in the message names this attempt's private QMP socket: no live QEMU may carry it.
  const socket = /path=(\S+\/qmp\.sock)/.exec(res.message)?.[1];
  t.ok(socket, 'the message carries the argv');
  t.same(qemuPids({ arg: socket! }), [], 'no QEMU left');
});

t.test('a guest that never becomes ready: error/boot-failed with the console tail', async (t) => {
  const { exitCode, output, res, dir } = await runScenario(t, 'test/e2e/scenarios/never-ready.yaml', 'never-ready');
  t.equal(exitCode, 3, 'exit code', { output });
  t.equal(res.verdict, 'error');
  t.equal(res.reason, 'boot-failed');
  t.match(res.message, /not ready within 20s/);
  t.match(res.message, /last console lines/);
  t.equal(res.steps.length, 0, 'no step ran');
  t.ok(qemuExitRecorded(res), 'the attempt stopped QEMU before it wrote its result');
  t.same(await leftoverQemu(resultsOf(dir)), [], 'no QEMU left');
});

t.test('a kernel that panics during boot: failed/crash mapped to step 0', async (t) => {
  const { exitCode, output, res, dir } = await runScenario(t, 'test/e2e/scenarios/init-dies.yaml', 'init-dies');
  t.equal(exitCode, 1, 'exit code', { output });
  t.equal(res.verdict, 'failed');
  t.equal(res.reason, 'crash');
  t.equal(res.crashes[0]?.step, 0);
  t.match(res.crashes[0]?.title, /Attempted to kill init/);
  t.ok(qemuExitRecorded(res), 'the attempt stopped QEMU before it wrote its result');
  t.same(await leftoverQemu(resultsOf(dir)), [], 'no QEMU left');
});

t.test('missing host tools: exit 3 naming the package to install', async (t) => {
  const r = await krepro(['run', 'scenarios/smoke/boot.yaml'], { env: { PATH: '/nonexistent' } });
  t.equal(r.exitCode, 3, 'exit code', { output: r.all });
  t.match(r.stderr, /qemu-system-x86_64.*apt-get install .*qemu-system-x86/s);
});

t.test('a QMP command QEMU refuses: error/infra naming the step, later steps skipped', async (t) => {
  const { exitCode, output, res, dir } = await runScenario(t, 'test/e2e/scenarios/qmp-refused.yaml', 'qmp-refused');
  t.equal(exitCode, 3, 'exit code', { output });
  t.equal(res.verdict, 'error');
  t.equal(res.reason, 'infra');
  t.match(res.message, /step 1 .*no-such-command/);
  t.same(res.steps.map((s) => s.status), ['error', 'skipped']);
  t.ok(qemuExitRecorded(res), 'the attempt stopped QEMU before it wrote its result');
  t.same(await leftoverQemu(resultsOf(dir)), [], 'no QEMU left');
});

t.test('a session that dies while the guest lives: failed/lost-connection, the guest state from a second session', async (t) => {
  const { exitCode, output, res, dir } = await runScenario(t, 'test/e2e/scenarios/lost-session.yaml', 'lost-session');
  t.equal(exitCode, 1, 'exit code', { output });
  t.equal(res.verdict, 'failed');
  t.equal(res.reason, 'lost-connection');
  t.match(res.message, /during step 1: SSH connection lost/);
  t.same(res.steps.map((s) => s.status), ['lost', 'skipped']);
  const diag = res.diagnostics?.lostSession ?? '';
  t.match(diag, /VM status \(QMP query-status\): running/);
  t.match(diag, /a fresh SSH session was accepted/);
  // Only a shell on the second session can have read these from the guest.
  t.match(diag, /== memory\n.*Mem/s);
  t.match(diag, /== dropbear\n\d+ S/);
  t.equal(readFileSync(join(dir, 'steps', '01-lost-diagnostics.out'), 'utf8'), diag);
  t.same(await leftoverQemu(resultsOf(dir)), [], 'no QEMU left');
});
