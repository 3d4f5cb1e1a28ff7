// How reports group and separate: CPUs interleaving, consequences folding in,
// and signatures that stay put across machines and runs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { triage } from '../../../harness/console/detector.js';
import { normaliseTitle, signature } from '../../../harness/console/title.js';

const FIX = join(import.meta.dirname, '../../fixtures/console');

t.test('two CPUs printing WARNINGs at once, told apart by printk caller ids', async (t) => {
  const a = (s: string) => `[    5.000100][ T100] ${s}`;
  const b = (s: string) => `[    5.000100][ T200] ${s}`;
  const log = [
    a('WARNING: CPU: 0 PID: 100 at drivers/a.c:10 alpha_check+0x1/0x2 [a]'),
    b('WARNING: CPU: 1 PID: 200 at drivers/b.c:20 beta_check+0x1/0x2 [b]'),
    a('CPU: 0 PID: 100 Comm: a Not tainted 6.1.0 #1'),
    b('CPU: 1 PID: 200 Comm: b Not tainted 6.1.0 #1'),
    a('Call Trace:'), b('Call Trace:'),
    a(' <TASK>'), b(' <TASK>'),
    a(' alpha_caller+0x10/0x20 [a]'), b(' beta_caller+0x10/0x20 [b]'),
    b(' beta_outer+0x10/0x20 [b]'), a(' alpha_outer+0x10/0x20 [a]'),
    a(' </TASK>'), b(' </TASK>'),
    a('---[ end trace 0000000000000000 ]---'), b('---[ end trace 0000000000000000 ]---'),
  ].join('\n');
  const r = triage(log);
  t.same(r.map((x) => [x.title, x.frames]), [
    ['WARNING in alpha_check', ['alpha_caller', 'alpha_outer']],
    ['WARNING in beta_check', ['beta_caller', 'beta_outer']],
  ]);
  t.same(r.map((x) => [x.start, x.end]), [[1, 15], [2, 16]]);
});

t.test('unrelated lines inside a trace (no caller ids) are tolerated', async (t) => {
  const log = [
    '[    5.0] BUG: kernel NULL pointer dereference, address: 0000000000000000',
    '[    5.0] RIP: 0010:gamma+0x5/0x10',
    '[    5.0] Call Trace:',
    '[    5.0]  <TASK>',
    '[    5.0]  gamma_caller+0x1/0x2',
    '[    5.0] usb 1-1: new high-speed USB device number 2 using xhci_hcd',
    '[    5.0]  gamma_outer+0x1/0x2',
    '[    5.0]  </TASK>',
    '[    5.0] ---[ end trace 0000000000000000 ]---',
  ].join('\n');
  const [r] = triage(log);
  t.same(r!.frames, ['gamma_caller', 'gamma_outer']);
  t.equal(r!.end, 9);
});

t.test('a second, unrelated crash after the fold window is its own report', async (t) => {
  const oops = readFileSync(join(FIX, 'real-6.1-gpf.log'), 'utf8');
  const noise = Array.from({ length: 150 }, (_, i) => `[    9.${String(i).padStart(6, '0')}] systemd[1]: tick ${i}`).join('\n');
  const r = triage(`${oops}${noise}\n[   10.000000] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009\n`);
  t.same(r.map((x) => x.kind), ['gpf', 'panic']);
  t.equal(r[0]!.chained, undefined);
});

t.test('a panic right after an oops folds into it', async (t) => {
  const oops = readFileSync(join(FIX, 'real-6.1-gpf.log'), 'utf8');
  const r = triage(`${oops}[    9.000000] Kernel panic - not syncing: Fatal exception in interrupt\n`);
  t.equal(r.length, 1);
  t.same(r[0]!.chained, ['panic: Fatal exception in interrupt']);
});

t.test('single I/O errors are not a crash; three within seconds are', async (t) => {
  const err = (s: number, dev = 'vdb') => `[ ${s.toFixed(6)}] I/O error, dev ${dev}, sector ${s * 8} op 0x0:(READ) flags 0x0 phys_seg 1 prio class 2`;
  t.same(triage([err(10), err(20), err(30), err(40)].join('\n')), [], 'spread over 30 s');
  t.same(triage([err(10), err(10.5), err(11)].join('\n')).map((r) => r.title), ['I/O error burst on vdb']);
});

t.test('signatures ignore addresses, PIDs, CPUs, time stamps and device names', async (t) => {
  const base = readFileSync(join(FIX, 'real-6.1-null.log'), 'utf8');
  const other = base
    .replace(/\[ +[\d.]+\]/g, (m) => `[${(Number(m.slice(1, -1)) + 1234.5).toFixed(6).padStart(12)}]`)
    .replace(/ffff[0-9a-f]{12}/g, 'ffff8f00deadbeef')
    .replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+/g, '+0x42/0x99')
    .replace(/PID: \d+/g, 'PID: 9999').replace(/CPU: \d+/g, 'CPU: 3');
  const [a] = triage(base);
  const [b] = triage(other);
  t.equal(a!.title, b!.title);
  t.equal(a!.signature, b!.signature);
  t.equal(signature('I/O error burst on sda'), signature('I/O error burst on nvme0n1p2'));
  t.equal(signature('BUG: soft lockup - CPU#0 stuck for 22s! [a:1]'), signature('BUG: soft lockup - CPU#3 stuck for 27s! [a:99]'));
  t.not(signature('WARNING in foo'), signature('WARNING in bar'));
  t.not(signature('WARNING in zfs_blake3_sse2'), signature('WARNING in zfs_blake3_sse41'), 'digits inside names are kept');
  t.equal(normaliseTitle('kernel BUG in read_node_slot'), 'kernel BUG in read_node_slot');
});

t.test('build-specific clone suffixes do not change titles', async (t) => {
  const mk = (fn: string) => `[ 1.0] BUG: kernel NULL pointer dereference, address: 0000000000000008\n[ 1.0] RIP: 0010:${fn}+0x5/0x10 [m]\n`;
  t.equal(triage(mk('delta.isra.0'))[0]!.title, triage(mk('delta.constprop.0'))[0]!.title);
});

t.test('a kernel BUG in mm/usercopy.c is a bad usercopy, whatever source path the build printed', async (t) => {
  // Real capture (6.12 debug kernel built out of tree): "kernel BUG at ../../../kernel-src/…/linux-source-6.12/mm/usercopy.c:102!".
  // Without the "usercopy:" line before it (lost, or interleaved away) the BUG alone still says what it is.
  const log = readFileSync(join(FIX, 'real-6.12-debug-faults.log'), 'utf8').split('\n').filter((l) => !l.includes('usercopy: Kernel memory exposure')).join('\n');
  const r = triage(log).find((x) => x.kind === 'kernel-bug');
  t.ok(r?.excerpt.includes('linux-source-6.12/mm/usercopy.c'), 'the build path is in the report');
  t.equal(r?.title, 'BUG: bad usercopy in crashmod_usercopy');
});
