import t, { type Test } from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { resolveAccel, type AccelDeps } from '../../../harness/vm/accel.js';
import type { ProbeResult } from '../../../harness/vm/probe.js';

/** Deps with a fake /dev/kvm (a plain file), a private cache and a counting fake probe. */
function fakeHost(t: Test, probeResult: ProbeResult, version = 'QEMU emulator version 7.2.22') {
  const dir = t.testdir({ kvm: '' });
  const calls: string[] = [];
  const deps: AccelDeps = {
    kvmDevice: join(dir, 'kvm'),
    cacheFile: join(dir, 'cache', 'accel.json'),
    qemuVersion: async () => version,
    probe: async (_q, accel) => {
      calls.push(accel);
      return probeResult;
    },
  };
  return { dir, deps, calls };
}

t.test('tcg requested: no probe at all', async (t) => {
  const { deps, calls } = fakeHost(t, { ok: true, ms: 1, detail: '' });
  t.same(await resolveAccel('tcg', 'qemu', deps), { accel: 'tcg', reason: 'tcg requested' });
  t.same(calls, []);
});

t.test('no /dev/kvm: auto falls back to TCG, kvm is an error', async (t) => {
  const { dir, deps, calls } = fakeHost(t, { ok: true, ms: 1, detail: '' });
  deps.kvmDevice = join(dir, 'missing-kvm');
  const r = await resolveAccel('auto', 'qemu', deps);
  t.equal(r.accel, 'tcg');
  t.match(r.reason, /does not exist/);
  await t.rejects(resolveAccel('kvm', 'qemu', deps), /KVM was requested.*does not exist/);
  t.same(calls, [], 'nothing to probe without the device');
});

t.test('working KVM is probed once, then served from the cache', async (t) => {
  const { deps, calls } = fakeHost(t, { ok: true, ms: 42, detail: '' });
  const first = await resolveAccel('auto', 'qemu', deps);
  t.same(first.accel, 'kvm');
  t.match(first.reason, /42 ms/);
  t.same((await resolveAccel('kvm', 'qemu', deps)).accel, 'kvm');
  t.same(calls, ['kvm'], 'one real probe for two resolutions');
  const cache = JSON.parse(await readFile(deps.cacheFile!, 'utf8'));
  const [key] = Object.keys(cache);
  t.match(JSON.parse(key!), { qemu: 'QEMU emulator version 7.2.22', kvm: true, kernel: String });
  t.equal(cache[key!].kvmWorks, true);
});

t.test('broken KVM: auto uses TCG with the probe detail, kvm throws', async (t) => {
  const { deps, calls } = fakeHost(t, { ok: false, ms: 50, detail: 'QEMU killed by SIGABRT: kvm_buf_set_msrs: Assertion' });
  const r = await resolveAccel('auto', 'qemu', deps);
  t.equal(r.accel, 'tcg');
  t.match(r.reason, /SIGABRT/);
  await t.rejects(resolveAccel('kvm', 'qemu', deps), /KVM was requested.*SIGABRT/);
  t.same(calls, ['kvm'], 'the failure is cached too');
});

t.test('a new QEMU version is probed again; other keys are kept', async (t) => {
  const a = fakeHost(t, { ok: false, ms: 50, detail: 'hung' });
  await resolveAccel('auto', 'qemu', a.deps);
  const b = { ...a.deps, qemuVersion: async () => 'QEMU emulator version 8.2.0' };
  await resolveAccel('auto', 'qemu', b);
  t.same(a.calls, ['kvm', 'kvm']);
  t.equal(Object.keys(JSON.parse(await readFile(a.deps.cacheFile!, 'utf8'))).length, 2);
});

t.test('a probe cut short by Ctrl-C is not cached: the next run probes again', async (t) => {
  const { deps, calls } = fakeHost(t, { ok: false, ms: 30, detail: 'QEMU killed by SIGINT' });
  const stop = new AbortController();
  const probe = deps.probe!;
  deps.probe = async (q, a, ms) => {
    stop.abort(new Error('interrupted by SIGINT'));
    return probe(q, a, ms);
  };
  await t.rejects(resolveAccel('auto', 'qemu', { ...deps, stop: stop.signal }), /interrupted by SIGINT/);
  await t.rejects(readFile(deps.cacheFile!, 'utf8'), { code: 'ENOENT' }, 'nothing cached');
  deps.probe = probe;
  await resolveAccel('auto', 'qemu', deps);
  t.same(calls, ['kvm', 'kvm'], 'probed again');
});

t.test('a corrupt cache file means probing again, not failing', async (t) => {
  const { deps, calls } = fakeHost(t, { ok: true, ms: 1, detail: '' });
  await resolveAccel('auto', 'qemu', deps);
  await writeFile(deps.cacheFile!, '{not json');
  t.equal((await resolveAccel('auto', 'qemu', deps)).accel, 'kvm');
  t.same(calls, ['kvm', 'kvm']);
});

t.test('the "KVM unusable" note is printed by the first run only, for the same host and QEMU', async (t) => {
  const dir = t.testdir({ kvm: '' });
  const script = join(dir, 'run.mjs');
  const accelUrl = new URL('../../../harness/vm/accel.ts', import.meta.url).href;
  // One "krepro run" resolving the accelerator: a broken KVM (fake device, failing probe), cache in dir.
  await writeFile(script, `
    import { resolveAccel } from ${JSON.stringify(accelUrl)};
    const [version, device] = process.argv.slice(2);
    const r = await resolveAccel('auto', 'qemu', {
      kvmDevice: ${JSON.stringify(dir)} + '/' + device, cacheFile: ${JSON.stringify(join(dir, 'cache', 'accel.json'))},
      qemuVersion: async () => version,
      probe: async () => ({ ok: false, ms: 5, detail: 'QEMU killed by SIGABRT' }),
    });
    await resolveAccel('auto', 'qemu', { kvmDevice: ${JSON.stringify(dir)} + '/' + device, cacheFile: ${JSON.stringify(join(dir, 'cache', 'accel.json'))}, qemuVersion: async () => version });
    process.stdout.write(r.accel);
  `);
  const loader = 'data:text/javascript,import { register } from "node:module"; import { pathToFileURL } from "node:url"; register("@isaacs/ts-node-temp-fork-for-pr-2009/esm", pathToFileURL("./"));';
  const cwd = fileURLToPath(new URL('../../..', import.meta.url));
  const run = async (version: string, device = 'kvm') => {
    const r = await execa(process.execPath, ['--no-warnings', '--import', loader, script, version, device], { cwd, env: { TS_NODE_TRANSPILE_ONLY: '1', KREPRO_QUIET: '', KREPRO_PROGRESS: 'plain' } });
    t.equal(r.stdout, 'tcg');
    return r.stderr.split('\n').filter((l) => /KVM unusable/.test(l)).length;
  };
  t.equal(await run('QEMU 7.2.22'), 1, 'first run on this host: told once (two resolutions in it)');
  t.equal(await run('QEMU 7.2.22'), 0, 'second run: not told again');
  t.equal(await run('QEMU 8.2.0'), 1, 'another QEMU version: probed and told again');
  t.equal(await run('QEMU 8.2.0'), 0, 'then quiet');
  t.equal(await run('QEMU 8.2.0', 'missing-kvm'), 1, 'no /dev/kvm any more: a new reason, told once');
  t.equal(await run('QEMU 8.2.0', 'missing-kvm'), 0, 'then quiet');
});
