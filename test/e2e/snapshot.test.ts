// Boot once, run many (run/snapshot.ts, vm/snapshot.ts): the first attempt boots
// and saves the ready guest, later ones restore it — and must end exactly as a
// booted attempt would. Real QEMU; a cache of the test's own for snapshots only.
import t from 'tap';
import { open, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { krepro, leftoverQemu, privateCache, results, runDir } from './helpers.js';
import type { ScenarioResult } from '../../harness/results/types.js';

const work = t.testdir();
const cache = await privateCache(join(work, 'cache'), ['snapshot']);
const env = { KREPRO_CACHE: cache };

/** Run one scenario file; its result.json (by scenario directory name) and the attempt's directory. */
async function run(file: string, name: string): Promise<{ res: ScenarioResult; dir: string; code: number | undefined; output: string }> {
  const out = join(work, 'results', `${name}-${Date.now()}`);
  const r = await krepro(['run', file, '--results', out], { env });
  const res = (await results(out)).get(name);
  if (!res) throw new Error(`no result.json for ${name}:\n${r.all}`);
  t.same(await leftoverQemu(out), [], `${name}: no QEMU left`);
  return { res, dir: join(await runDir(out), name), code: r.exitCode, output: r.all ?? '' };
}

let smokeKey = '';

t.test('the smoke scenario boots and saves a snapshot, then runs restored with the same verdict', async (t) => {
  const first = await run('scenarios/smoke/boot.yaml', 'smoke-boot');
  t.equal(first.res.verdict, 'passed', first.res.message, { output: first.output });
  t.match(first.res.boot, { mode: 'booted', saved: true });
  smokeKey = first.res.boot!.snapshot!;
  const entry = join(cache, 'snapshot', smokeKey);
  t.equal((await stat(entry)).mode & 0o777, 0o700, 'the entry (guest RAM, client key) is private');
  t.equal((await stat(join(entry, 'client.key'))).mode & 0o777, 0o600);
  const second = await run('scenarios/smoke/boot.yaml', 'smoke-boot');
  t.equal(second.res.verdict, 'passed', second.res.message, { output: second.output });
  t.same(second.res.boot, { mode: 'restored', snapshot: smokeKey });
  t.match(await readFile(join(second.dir, second.res.steps[0]!.output!), 'utf8'), /^Linux \S+ 6\.1\.0-56-amd64 /);
  const log = await readFile(join(second.dir, 'console.log'), 'utf8');
  t.match(log, /krepro-ready[\s\S]*crng reseeded due to virtual machine fork[\s\S]*krepro: step 1: run: uname -a/,
    'console.log: the saved boot, then the restored guest (reseeded by vmgenid), then the step marker');
  t.ok(second.res.timings.restoreMs! > 0, 'restore time recorded');
  t.comment(`booted: ready in ${(first.res.timings.bootToSshMs! / 1000).toFixed(1)}s, save ${first.res.timings.snapshotSaveMs}ms; restored: SSH in ${(second.res.timings.bootToSshMs! / 1000).toFixed(1)}s`);
});

t.test('a restored guest gets the host clock, its own random numbers and no stale SSH session', async (t) => {
  const a = await run('test/e2e/scenarios/snapshot-cmdline.yaml', 'snapshot-cmdline');
  t.equal(a.res.verdict, 'passed', a.res.message, { output: a.output });
  t.match(a.res.boot, { mode: 'booted', saved: true }, 'one kernel argument more: a snapshot of its own');
  t.not(a.res.boot!.snapshot, smokeKey, 'another key than the smoke scenario');
  const b = await run('test/e2e/scenarios/snapshot-cmdline.yaml', 'snapshot-cmdline');
  t.same(b.res.boot, { mode: 'restored', snapshot: a.res.boot!.snapshot });
  t.equal(b.res.verdict, 'passed', b.res.message);
  const facts = async (r: typeof a) => (await readFile(join(r.dir, r.res.steps[1]!.output!), 'utf8')).trim().split('\n');
  const [clockA, sshdA, randA] = await facts(a);
  const [clockB, sshdB, randB] = await facts(b);
  const stepAt = (r: typeof a) => (Date.parse(r.res.startedAt) + r.res.steps[1]!.startedAt) / 1000;
  t.ok(Math.abs(Number(clockB) - stepAt(b)) < 5, `restored guest clock ${clockB} within 5 s of the host's ${stepAt(b).toFixed(0)}`);
  t.ok(Math.abs(Number(clockA) - stepAt(a)) < 5, 'and so is the booted one');
  t.equal(sshdB, sshdA, 'as many dropbear processes as after a boot (listener + this session)');
  const c = await run('test/e2e/scenarios/snapshot-cmdline.yaml', 'snapshot-cmdline');
  t.equal(c.res.boot?.mode, 'restored');
  const [, , randC] = await facts(c);
  t.ok(randA && randB && randC && new Set([randA, randB, randC]).size === 3, `three guests, three random streams (${randA}, ${randB}, ${randC})`);
});

t.test('sysrq-c in a restored guest: failed/crash, mapped to its step', async (t) => {
  const { res, code, output } = await run('test/e2e/scenarios/sysrq-crash.yaml', 'sysrq-crash');
  t.same(res.boot, { mode: 'restored', snapshot: smokeKey }, 'same kernel, image, machine and cmdline as the smoke scenario');
  t.equal(code, 1, 'exit code', { output });
  t.equal(res.verdict, 'failed');
  t.equal(res.reason, 'crash');
  t.equal(res.crashes[0]!.step, 2, 'crash mapped to the step that wrote to sysrq-trigger');
  t.match(res.crashes[0]!.title, /sysrq|panic/i);
  t.equal(res.steps[1]!.status, 'interrupted');
});

t.test('a corrupt snapshot falls back to a boot, recorded, and a good one is saved again', async (t) => {
  const state = join(cache, 'snapshot', smokeKey, 'state');
  const fh = await open(state, 'r+');
  await fh.write(Buffer.from('not a migration stream'), 0, undefined, 0); // same size: only QEMU can tell
  await fh.close();
  const { res, output } = await run('scenarios/smoke/boot.yaml', 'smoke-boot');
  t.equal(res.verdict, 'passed', res.message, { output });
  t.equal(res.boot?.mode, 'booted');
  t.match(res.boot?.fallback, /restore of snapshot \w+ failed: /, 'why it booted');
  t.equal(res.boot?.saved, true, 'the boot saved a good snapshot in its place');
  t.ok(res.timeline.some((e) => e.event === 'snapshot-fallback'));
  const again = await run('scenarios/smoke/boot.yaml', 'smoke-boot');
  t.same(again.res.boot, { mode: 'restored', snapshot: smokeKey });
  t.equal(again.res.verdict, 'passed', again.res.message);
  // A truncated stream is caught before QEMU starts.
  const fh2 = await open(state, 'r+');
  await fh2.truncate(4096);
  await fh2.close();
  const cut = await run('scenarios/smoke/boot.yaml', 'smoke-boot');
  t.match(cut.res.boot, { mode: 'booted', fallback: /unreadable: state is 4096 bytes/, saved: true });
  t.equal(cut.res.verdict, 'passed');
  t.notOk((await readdir(join(cache, 'snapshot'))).some((n) => n.startsWith('.tmp-')), 'no discarded entry left behind');
});

t.test('the USB replug scenario passes restored', async (t) => {
  const first = await run('scenarios/smoke/usb-replug.yaml', 'smoke-usb-replug');
  t.equal(first.res.verdict, 'passed', first.res.message, { output: first.output });
  t.match(first.res.boot, { mode: 'booted', saved: true }, 'a stick is a snapshot input: its own snapshot');
  const second = await run('scenarios/smoke/usb-replug.yaml', 'smoke-usb-replug');
  t.same(second.res.boot, { mode: 'restored', snapshot: first.res.boot!.snapshot });
  t.equal(second.res.verdict, 'passed', second.res.message, { output: second.output });
  t.same(second.res.steps.map((s) => s.status), first.res.steps.map((s) => s.status));
});
