import t from 'tap';
import { decide } from '../../../harness/run/verdict.js';
import type { Crash, StepResult } from '../../../harness/results/types.js';

const step = (index: number, status: StepResult['status'], message?: string): StepResult =>
  ({ index, kind: 'run', label: `run: step${index}`, status, startedAt: 0, durationMs: 1, message });

const crash = (kind: string, title: string, stepIndex: number): Crash => ({
  kind, title, guilty: '', frames: [], signature: 'x', start: 1, end: 2, excerpt: '', step: stepIndex,
});

t.test('all steps ok and no crash passes', async (t) => {
  const d = decide({ crashes: [], steps: [step(1, 'ok'), step(2, 'ok')] }, { crashes: 'none', allow: [] });
  t.equal(d.verdict, 'passed');
  t.equal(d.reason, undefined);
});

t.test('an unexpected crash fails with reason crash and names the step', async (t) => {
  const d = decide({ crashes: [crash('panic', 'SPL PANIC in zio_encrypt', 7)], steps: [step(7, 'interrupted')] }, { crashes: 'none', allow: [] });
  t.equal(d.verdict, 'failed');
  t.equal(d.reason, 'crash');
  t.match(d.message, /SPL PANIC in zio_encrypt.*step 7/);
});

t.test('a crash outranks a boot failure: the kernel is what failed', async (t) => {
  const d = decide({ harnessError: { reason: 'boot-failed', message: 'not ready' }, crashes: [crash('oops', 'BUG: unable to handle page fault in f', 0)], steps: [] }, { crashes: 'none', allow: [] });
  t.equal(d.verdict, 'failed');
  t.match(d.message, /during boot/);
});

t.test('build failures are errors, not failures (bisection skips them)', async (t) => {
  const d = decide({ harnessError: { reason: 'build-failed', message: 'make: *** Error 2' }, crashes: [], steps: [] }, { crashes: 'none', allow: [] });
  t.equal(d.verdict, 'error');
  t.equal(d.reason, 'build-failed');
});

t.test('hang beats the step failure it caused', async (t) => {
  const d = decide({ crashes: [], steps: [step(1, 'timeout', 'did not finish')], hang: { step: 1, message: 'step 1 timed out' } }, { crashes: 'none', allow: [] });
  t.equal(d.reason, 'hang');
});

t.test('a non-zero exit fails the step', async (t) => {
  const d = decide({ crashes: [], steps: [step(1, 'ok'), step(2, 'failed', 'exited 1, expected 0')] }, { crashes: 'none', allow: [] });
  t.equal(d.verdict, 'failed');
  t.equal(d.reason, 'step-failed');
  t.match(d.message, /step 2 .*exited 1/);
});

t.test('expected crashes pass when seen and fail when missing', async (t) => {
  const expect = { crashes: [{ kind: 'oops', title: 'blake3' }], allow: [] };
  const seen = decide({ crashes: [crash('oops', 'BUG: unable to handle page fault in zfs_blake3_compress_in_place_sse2', 2)], steps: [step(2, 'interrupted')] }, expect);
  t.equal(seen.verdict, 'passed');
  const missing = decide({ crashes: [], steps: [step(2, 'ok')] }, expect);
  t.equal(missing.verdict, 'failed');
  t.match(missing.message, /did not appear/);
  const other = decide({ crashes: [crash('warning', 'WARNING in foo', 1)], steps: [] }, expect);
  t.equal(other.reason, 'crash');
});

t.test('lost connection without a crash is its own reason', async (t) => {
  const d = decide({ crashes: [], steps: [step(1, 'lost')], lost: { step: 1, message: 'QEMU exited unexpectedly' } }, { crashes: 'none', allow: [] });
  t.equal(d.reason, 'lost-connection');
});

t.test('an expected panic that ends the VM (QEMU exits, no pvpanic yet) passes', async (t) => {
  const boot = crash('panic', 'panic: VFS: Unable to mount root fs on unknown-block(0,0)', 0);
  const lost = { step: 0, message: 'QEMU exited unexpectedly (code 0, signal null)' };
  const d = decide({ crashes: [boot], steps: [], lost }, { crashes: [{ kind: '^panic$', title: 'Unable to mount root fs' }], allow: [] });
  t.equal(d.verdict, 'passed', d.message);
  const other = decide({ crashes: [], steps: [], lost }, { crashes: [{ kind: '^panic$' }], allow: [] });
  t.equal(other.reason, 'lost-connection', 'not when the wanted crash is missing');
});

t.test('allowed reports are recorded but do not fail the run', async (t) => {
  const io = crash('io-errors', 'I/O errors on sdX', 3);
  const d = decide({ crashes: [io], steps: [step(3, 'ok')] }, { crashes: 'none', allow: [{ kind: 'io-errors' }] });
  t.equal(d.verdict, 'passed');
  t.match(d.message, /1 allowed report/);
  const panic = crash('spl-panic', 'SPL PANIC in zio_encrypt', 6);
  const f = decide({ crashes: [io, panic], steps: [step(6, 'interrupted')] }, { crashes: 'none', allow: [{ kind: 'io-errors' }] });
  t.equal(f.reason, 'crash');
  t.match(f.message, /zio_encrypt/);
});
