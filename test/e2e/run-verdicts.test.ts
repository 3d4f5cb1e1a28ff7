// Real boots under QEMU (TCG here): the three verdict paths users meet first.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runScenario } from './helpers.js';

t.test('the smoke scenario passes and leaves its evidence', async (t) => {
  const { exitCode, output, res, dir } = await runScenario(t, 'scenarios/smoke/boot.yaml', 'smoke-boot');
  t.equal(exitCode, 0, 'exit code', { output });
  t.equal(res.verdict, 'passed', res.message);
  t.equal(res.steps.length, 1);
  t.equal(res.steps[0]!.exitCode, 0);
  const out = await readFile(join(dir, res.steps[0]!.output!), 'utf8');
  t.match(out, /^Linux \S+ 6\.1\.0-56-amd64 /, 'uname output saved');
  t.match(res.qemu?.argv.join(' '), /-machine q35/);
  t.ok(res.timings.bootToSshMs! > 0, 'boot-to-ssh recorded');
  t.comment(`boot to SSH ${(res.timings.bootToSshMs! / 1000).toFixed(1)}s, total ${(res.timings.totalMs! / 1000).toFixed(1)}s (${res.qemu?.accel})`);
  const console = await readFile(join(dir, 'console.log'), 'utf8');
  t.match(console, /krepro: step 1: run: uname -a/, 'step marker written into the guest kmsg');
  const qmp = (await readFile(join(dir, 'qmp.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  t.ok(qmp.some((e) => JSON.stringify(e).includes('quit')), 'QMP quit recorded');
  const summary = JSON.parse(await readFile(join(dir, '..', 'summary.json'), 'utf8'));
  t.equal(summary.scenarios[0].verdict, 'passed');
  t.match(await readFile(join(dir, '..', 'junit.xml'), 'utf8'), /tests="1" failures="0" errors="0"/);
});

t.test('sysrq-c gives failed/crash from the console, mapped to its step, long before the step timeout', async (t) => {
  const { exitCode, output, res, dir } = await runScenario(t, 'test/e2e/scenarios/sysrq-crash.yaml', 'sysrq-crash');
  t.equal(exitCode, 1, 'exit code', { output });
  t.equal(res.verdict, 'failed');
  t.equal(res.reason, 'crash');
  t.ok(res.crashes.length >= 1);
  t.equal(res.crashes[0]!.step, 2, 'crash mapped to the step that wrote to sysrq-trigger');
  t.match(res.crashes[0]!.title, /sysrq|panic/i);
  t.equal(res.steps[0]!.status, 'ok');
  t.equal(res.steps[1]!.status, 'interrupted');
  t.equal(res.steps[2]!.status, 'skipped');
  const crashAt = res.timeline.find((e) => e.event === 'crash-detected')!.t;
  const stepAt = res.timeline.find((e) => e.event === 'step-start' && (e.detail as { step: number }).step === 2)!.t;
  const done = res.timeline.find((e) => e.event === 'qemu-stopped')!.t;
  t.comment(`crash seen ${((crashAt - stepAt) / 1000).toFixed(1)}s after the step began; VM stopped ${((done - crashAt) / 1000).toFixed(1)}s later`);
  // The step's timeout is 10 min; the crash ends it in seconds. A fifth of the timeout leaves room for a busy host
  // and still fails if the verdict waited for the timeout, or for anything near it.
  t.ok(done - stepAt < 120_000, `ended by the crash (${((done - stepAt) / 1000).toFixed(1)}s), long before the 10 min step timeout`);
});

t.test('a step that never returns gives failed/hang with diagnostics', async (t) => {
  const { exitCode, output, res, dir } = await runScenario(t, 'test/e2e/scenarios/hang.yaml', 'step-hang');
  t.equal(exitCode, 1, 'exit code', { output });
  t.equal(res.verdict, 'failed');
  t.equal(res.reason, 'hang');
  t.equal(res.steps[0]!.status, 'timeout');
  t.equal(res.steps[1]!.status, 'skipped');
  t.match(res.diagnostics?.stuckTasks ?? '', /== ps/);
});
