import t from 'tap';
import { PROBE_MARKER, probeBootSector, runProbe } from '../../../harness/vm/probe.js';
import { liveCount } from '../../../harness/vm/reaper.js';

t.test('the boot sector is a valid 512-byte MBR carrying the marker', async (t) => {
  const s = probeBootSector();
  t.equal(s.length, 512);
  t.equal(s[510], 0x55);
  t.equal(s[511], 0xaa);
  t.ok(s.includes(Buffer.from(PROBE_MARKER)), 'marker text inside');
});

// Real QEMU: under TCG the probe must print its marker, which proves that the
// machine code works and that a KVM failure means KVM, not the probe.
t.test('the probe boots under TCG and prints the marker', async (t) => {
  const r = await runProbe('qemu-system-x86_64', 'tcg', 20_000);
  t.ok(r.ok, `probe ok (${r.detail})`);
  t.comment(`TCG probe took ${r.ms} ms`);
});

t.test('a missing QEMU binary is a failed probe, not a crash', async (t) => {
  const r = await runProbe('/nonexistent/qemu-system-x86_64', 'tcg', 5000);
  t.notOk(r.ok);
  t.match(r.detail, /qemu|No such file|ENOENT|exit code/i);
});

t.test('a probe that overruns its deadline is killed (the hung-KVM case)', async (t) => {
  const r = await runProbe('qemu-system-x86_64', 'tcg', 1);
  t.notOk(r.ok);
  t.match(r.detail, /no marker within 1 ms/);
  t.equal(liveCount(), 0, 'the reaper no longer tracks it: it was killed and reaped');
});
