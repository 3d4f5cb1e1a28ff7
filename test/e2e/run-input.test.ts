// Bad input is reported with a position and exit 2, before anything is fetched or booted;
// Ctrl-C during a boot leaves no QEMU behind.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { krepro, qemuPids, results, ROOT } from './helpers.js';

t.test('every scenario is validated before any runs: a valid one first, bad ones after, exit 2 and nothing fetched or booted', async (t) => {
  const dir = t.testdir({ 'syntax.yaml': 'name: x\nsteps:\n  - run: [unclosed\n' });
  const resultsDir = join(dir, 'results');
  // An empty private cache: running the valid scenario would have to fetch its kernel into it first.
  const cache = join(dir, 'cache');
  await mkdir(cache);
  const r = await krepro(['run', 'scenarios/smoke/boot.yaml', 'test/e2e/scenarios/bad-unknown-key.yaml', 'test/e2e/scenarios/bad-unknown-disk.yaml',
    join(dir, 'syntax.yaml'), '--results', resultsDir], { env: { KREPRO_CACHE: cache } });
  t.equal(r.exitCode, 2, 'exit code', { output: r.all });
  t.match(r.stderr, /bad-unknown-key\.yaml:6:5: .*tiemout.*timeout/);
  t.match(r.stderr, /bad-unknown-disk\.yaml:5:\d+: .*stik/);
  t.match(r.stderr, /syntax\.yaml:\d+:\d+: /);
  t.notMatch(r.stderr, /boot\.yaml/, 'the valid scenario is not reported');
  t.notOk(existsSync(resultsDir), 'no results directory: no attempt began, so no QEMU was started');
  t.same(await readdir(cache), [], 'nothing fetched: the private cache is still empty');
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
  // execa strips the final newline that `schema` prints.
  t.equal(`${r.stdout}\n`, readFileSync(join(ROOT, 'docs', 'scenario.schema.json'), 'utf8'), 'the shipped docs/scenario.schema.json is what it prints');
});

// Twice: once the machine's QEMU is booting, and as soon as any QEMU child exists —
// that may be a short `qemu -version` before the machine (CI once caught that one;
// the attempt then booted anyway and ran its 600 s step). Nothing may start after the signal.
for (const when of [{ what: 'while the machine boots', arg: 'qmp' }, { what: 'at the first QEMU child, whatever it is', arg: undefined }]) {
  t.test(`SIGINT ${when.what}: no QEMU left, none started after`, async (t) => {
    const dir = t.testdir();
    const scenario = join(dir, 'long.yaml');
    await writeFile(scenario, 'name: interrupted\nsteps:\n  - run: sleep 600\n');
    const child = krepro(['run', scenario, '--results', dir]);
    let qemu: number[] = [];
    for (let i = 0; i < 30_000 && qemu.length === 0 && child.exitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 10));
      qemu = qemuPids({ parent: child.pid!, arg: when.arg });
    }
    t.equal(qemu.length, 1, 'QEMU started');
    child.kill('SIGINT');
    const r = await child;
    t.equal(r.signal, undefined, 'krepro exits by itself, not killed by the signal');
    t.equal(r.exitCode, 130, 'exit status of an interrupted run');
    for (const pid of qemu) t.notOk(existsSync(`/proc/${pid}`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('qemu-system'), `QEMU ${pid} is gone`);
    const res = (await results(dir)).get('interrupted');
    t.equal(res?.verdict, 'error', 'the interrupted attempt is recorded as an error');
    t.match(res?.message, /interrupted by SIGINT/);
    // The signal may land before QMP answered (no qemu-started yet); what was recorded is what was seen.
    const recorded = res?.timeline.filter((e) => e.event === 'qemu-started').map((e) => (e.detail as { pid: number }).pid) ?? [];
    t.ok(recorded.every((pid) => qemu.includes(pid)), `recorded QEMU ${recorded.join(', ') || 'none'} is the one seen (${qemu.join(', ')})`);
  });
}

// doctor's answer is decided here, never read back from its output. npm test runs
// on a host prepared by README's first command (`doctor --install`), so every
// requirement is met: exit 0. The same host seen through a PATH without clang-16
// must name clang-16 alone: exit 1.
t.test('doctor on a host prepared by doctor --install: exit 0, nothing missing, the accelerator named', async (t) => {
  const r = await krepro(['doctor']);
  t.equal(r.exitCode, 0, 'exit code (run `krepro doctor --install` first)', { output: r.all });
  t.same(r.stdout.split('\n').filter((l) => /^missing/.test(l)), []);
  t.match(r.stdout, /^accelerator: (kvm|tcg) \(.+\)$/m);
});

/** A PATH of one dir holding a link to every program on this process's PATH except `hidden`. */
async function pathWithout(dir: string, hidden: string): Promise<string> {
  const bin = join(dir, 'bin');
  await mkdir(bin);
  let seen = false;
  for (const d of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of await readdir(d).catch(() => [] as string[])) {
      if (name === hidden) seen = true;
      else await symlink(join(d, name), join(bin, name)).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'EEXIST') throw e; });
    }
  }
  if (!seen) throw new Error(`${hidden} is not on PATH: nothing to hide`);
  return bin;
}

t.test('doctor with one build tool hidden: exit 1 naming it alone, the accelerator still reported', async (t) => {
  const r = await krepro(['doctor'], { env: { PATH: await pathWithout(t.testdir(), 'clang-16') } });
  t.equal(r.exitCode, 1, 'exit code', { output: r.all });
  // One line per missing requirement ("missing  TOOL … package PKG …"), then a summary line.
  const missing = r.stdout.split('\n').filter((l) => /^missing\s+\S+\s.*\bpackage\s/.test(l));
  t.equal(missing.length, 1, 'one requirement missing', { missing });
  t.match(missing[0], /\bclang-16\b.*package clang-16\b/);
  t.match(r.stdout, /^accelerator: (kvm|tcg) \(.+\)$/m, 'accelerator reported even when optional build tools are missing');
});

t.test('doctor names the packages when tools are missing', async (t) => {
  const r = await krepro(['doctor'], { env: { PATH: '/nonexistent' } });
  t.equal(r.exitCode, 1);
  t.match(r.stdout, /missing\s+qemu-system-x86_64 .*package qemu-system-x86/);
});
