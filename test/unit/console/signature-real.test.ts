// The same trigger crashed twice, in two separate boots of the same kernel
// (test/fixtures/crashmod/capture.sh --runs 2): time stamps, PIDs, stack and
// object addresses differ, and the signature must not.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CrashDetector } from '../../../harness/console/detector.js';

const DIR = join(import.meta.dirname, '../../fixtures/console');

function triage(name: string) {
  const d = new CrashDetector();
  d.feed(readFileSync(join(DIR, name)));
  return d.flush(true);
}

/** The values that make two boots' reports differ: hex words of 12+ digits and [T]imestamps. */
function volatiles(name: string): Set<string> {
  return new Set(readFileSync(join(DIR, name), 'utf8').match(/\b[0-9a-f]{12,16}\b|\[ *\d+\.\d+\]/g) ?? []);
}

for (const trigger of ['null', 'uaf', 'badpage']) {
  t.test(`crashmod ${trigger}, two boots: one signature`, async (t) => {
    const a = triage(`real-6.1-${trigger}.log`);
    const b = triage(`real-6.1-${trigger}-2.log`);
    t.equal(a.length, 1, 'one report in the first capture');
    t.equal(b.length, 1, 'one report in the second capture');
    const only = [...volatiles(`real-6.1-${trigger}-2.log`)].filter((v) => !volatiles(`real-6.1-${trigger}.log`).has(v));
    t.ok(only.length > 10, `the captures really differ (${only.length} addresses/time stamps only in the second)`);
    t.equal(b[0]!.title, a[0]!.title, 'same title');
    t.equal(b[0]!.signature, a[0]!.signature, 'same signature');
    t.same(b[0]!.frames, a[0]!.frames, 'same frames');
  });
}

// Several triggers in one boot (crashmod scenario extra.yaml), the boot repeated: every report
// keeps its title and signature, in the same order.
for (const [name, kinds] of [['extra', 3], ['copyoverflow', 4], ['kobject', 2]] as const) {
  t.test(`crashmod ${name}, ${kinds} reports per boot, two boots: the same signatures`, async (t) => {
    const a = triage(`real-6.1-${name}.log`);
    const b = triage(`real-6.1-${name}-2.log`);
    t.equal(a.length, kinds);
    t.same(b.map((r) => r.title), a.map((r) => r.title), 'same titles');
    t.same(b.map((r) => r.signature), a.map((r) => r.signature), 'same signatures');
    t.equal(new Set(a.map((r) => r.signature)).size, kinds, 'different bugs, different signatures');
  });
}

// The 6.12 debug kernel (capture.sh --build qemu-virt,debug,kasan,sanitizers --runs 2): lockdep, KASAN,
// KFENCE, UBSAN, kmemleak, debugobjects… reports, each scenario booted twice.
for (const name of ['faults', 'heldfree', 'interleave', 'irqlock', 'irqorder', 'irqinversion', 'lockdestroy', 'locking', 'lockreturn', 'nonstatic', 'rcu', 'recursive', 'spinmagic', 'ubsan', 'waitctx']) {
  t.test(`6.12 debug kernel, scenario debug-${name}, two boots: the same titles and signatures`, async (t) => {
    // Two CPUs racing (interleave) report in either order: compared as sets there, in order elsewhere.
    const order = (xs: string[]) => (name === 'interleave' ? [...xs].sort() : xs);
    const a = triage(`real-6.12-debug-${name}.log`);
    const b = triage(`real-6.12-debug-${name}-2.log`);
    t.ok(a.length > 0, 'reports found');
    t.same(order(b.map((r) => r.title)), order(a.map((r) => r.title)), 'same titles');
    t.same(order(b.map((r) => r.signature)), order(a.map((r) => r.signature)), 'same signatures');
  });
}
