// Which attempts may start from a snapshot, and what a snapshot depends on:
// every input changes the key, nothing else does.
import t from 'tap';
import { parseScenario } from '../../../harness/scenario/load.js';
import { snapshotInputs, snapshotOptOut } from '../../../harness/run/snapshot.js';
import { shellQuote, snapshotKey } from '../../../harness/vm/snapshot.js';

const file = '/nowhere/snap.yaml';
const scenario = (text: string) => parseScenario(text, file);
const artifacts = { entry: 'pvh' as const, kernelHash: 'k1', imageHash: 'i1', accel: 'tcg' as const, qemuVersion: 'QEMU emulator version 7.2.22' };

t.test('a plain scenario may restore; the rule says when every attempt boots', async (t) => {
  t.equal(snapshotOptOut(await scenario('steps: [{ run: uname -a }]\n')), undefined);
  t.equal(snapshotOptOut(await scenario('snapshot: false\nsteps: [{ run: uname -a }]\n')), 'snapshot: false');
  t.match(snapshotOptOut(await scenario('expect: { crashes: [{ kind: oops }] }\nsteps: [{ run: uname -a }]\n')), /expect\.crashes/,
    'an expected crash may be the boot\'s own');
  t.match(snapshotOptOut(await scenario('steps: [{ wait: { console: "zfs: module loaded" } }, { run: true }]\n')), /console line/,
    'a first step reading the console reads the boot');
  t.equal(snapshotOptOut(await scenario('steps: [{ run: true }, { wait: { console: x } }]\n')), undefined,
    'a later console wait reads only what follows the previous step');
  t.equal(snapshotOptOut(await scenario('expect: { allow: [{ kind: io-errors }] }\nsteps: [{ run: true }]\n')), undefined,
    'tolerated reports do not opt out (a boot that prints one is not saved)');
});

t.test('the key changes with each input, and only with them', async (t) => {
  const base = await scenario('machine: { memory: 1G, cpus: 2 }\nsteps: [{ run: uname -a }]\n');
  const key = snapshotKey(snapshotInputs(base, artifacts));
  t.match(key, /^[0-9a-f]{64}$/);
  const other = await scenario('machine: { memory: 1G, cpus: 2 }\nsteps: [{ run: true }, { sleep: 1s }]\ntimeout: 1h\nrepeat: 5\n');
  t.equal(snapshotKey(snapshotInputs(other, artifacts)), key, 'steps, timeouts and repeat are not inputs');
  const variants: Array<[string, string]> = [
    ['cmdline', 'cmdline: [spl.spl_panic_halt=1]\n'],
    ['memory', 'machine: { memory: 2G, cpus: 2 }\n'],
    ['cpus', 'machine: { memory: 1G, cpus: 1 }\n'],
    ['a disk', 'disks: [{ id: tank, size: 1G }]\n'],
  ];
  for (const [what, yaml] of variants) {
    t.not(snapshotKey(snapshotInputs(await scenario(`${yaml}steps: [{ run: true }]\n`), artifacts)), key, what);
  }
  const d1 = await scenario('disks: [{ id: tank, size: 1G }]\n');
  const d2 = await scenario('disks: [{ id: tank, size: 2G }]\n');
  const d3 = await scenario('disks: [{ id: tank, size: 1G, bus: usb }]\n');
  const keys = [d1, d2, d3].map((s) => snapshotKey(snapshotInputs(s, artifacts)));
  t.equal(new Set(keys).size, 3, 'a disk\'s size and bus are inputs');
  for (const [what, change] of [['kernel', { kernelHash: 'k2' }], ['image', { imageHash: 'i2' }], ['accel', { accel: 'kvm' as const }],
    ['QEMU version', { qemuVersion: 'QEMU emulator version 8.2.0' }], ['kernel entry', { entry: 'bzimage' as const }]] as const) {
    t.not(snapshotKey(snapshotInputs(base, { ...artifacts, ...change })), key, what);
  }
  const kvm = snapshotInputs(base, { ...artifacts, accel: 'kvm' });
  t.not(snapshotKey(kvm, 'Intel Xeon'), snapshotKey(kvm, 'AMD EPYC'), 'under KVM (-cpu host) the host CPU is an input');
});

t.test('paths in exec: migration URIs are quoted for /bin/sh', async (t) => {
  t.equal(shellQuote('/c/snapshot/ab/state'), "'/c/snapshot/ab/state'");
  t.equal(shellQuote("/it's here/state"), "'/it'\\''s here/state'");
});
