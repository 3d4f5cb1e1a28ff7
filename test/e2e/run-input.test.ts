// Bad input is reported with a position and exit 2, before anything is fetched or booted;
// Ctrl-C during a boot leaves no QEMU behind.
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { krepro, qemuProcesses, results } from './helpers.js';

t.test('malformed scenarios exit 2 with file:line:col, and nothing boots', async (t) => {
  const dir = t.testdir({ 'syntax.yaml': 'name: x\nsteps:\n  - run: [unclosed\n' });
  const r = await krepro(['run', 'test/e2e/scenarios/bad-unknown-key.yaml', 'test/e2e/scenarios/bad-unknown-disk.yaml', join(dir, 'syntax.yaml'), '--results', dir]);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /bad-unknown-key\.yaml:6:5: .*tiemout.*timeout/);
  t.match(r.stderr, /bad-unknown-disk\.yaml:5:\d+: .*stik/);
  t.match(r.stderr, /syntax\.yaml:\d+:\d+: /);
  t.notMatch(r.all, /boot /, 'nothing was booted');
});

t.test('a missing scenario file is an input error', async (t) => {
  const r = await krepro(['run', 'no/such/scenario.yaml']);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /scenario\.yaml:1:1: /);
});

t.test('schema prints a JSON Schema', async (t) => {
  const r = await krepro(['schema']);
  t.equal(r.exitCode, 0);
  const schema = JSON.parse(r.stdout);
  t.ok(schema.properties.steps, 'describes steps');
});

t.test('SIGINT during boot leaves no QEMU process', async (t) => {
  const dir = t.testdir();
  const scenario = join(dir, 'long.yaml');
  await writeFile(scenario, 'name: interrupted\nsteps:\n  - run: sleep 600\n');
  const child = krepro(['run', scenario, '--results', dir]);
  // Wait for krepro's own QEMU child to exist.
  let qemu: number[] = [];
  for (let i = 0; i < 600 && qemu.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const kids = await execa('pgrep', ['-P', String(child.pid)], { reject: false });
    const pids = kids.stdout.split('\n').filter(Boolean).map(Number);
    const all = new Set(await qemuProcesses());
    qemu = pids.filter((p) => all.has(p));
  }
  t.equal(qemu.length, 1, 'QEMU started');
  child.kill('SIGINT');
  const r = await child;
  t.equal(r.exitCode ?? 128 + 2, 130, 'exit status of an interrupted run');
  for (const pid of qemu) {
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    t.notOk(alive, `QEMU ${pid} is gone`);
  }
  const res = (await results(dir)).get('interrupted');
  t.equal(res?.verdict, 'error', 'the interrupted attempt is recorded as an error');
  t.match(res?.message, /interrupted by SIGINT/);
});

t.test('doctor reports the host tools and the accelerator it would use', async (t) => {
  const r = await krepro(['doctor']);
  t.match(r.stdout, /host tools: all present|missing /);
  t.match(r.stdout, /accelerator: (kvm|tcg) \(.+\)/, 'accelerator reported even when optional build tools are missing');
  t.equal(r.exitCode, /missing /.test(r.stdout) ? 1 : 0, 'exit code follows what is missing', { output: r.all });
});

t.test('doctor names the packages when tools are missing', async (t) => {
  const r = await krepro(['doctor'], { env: { PATH: '/nonexistent' } });
  t.equal(r.exitCode, 1);
  t.match(r.stdout, /missing\s+qemu-system-x86_64 .*package qemu-system-x86/);
});
