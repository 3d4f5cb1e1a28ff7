// The detector on a live console: bytes cut anywhere, CRLF, broken UTF-8, huge lines,
// quiet consoles that are flushed mid-report.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CrashDetector, triage } from '../../../harness/console/detector.js';
import { MAX_LINE } from '../../../harness/console/lines.js';

const FIX = join(import.meta.dirname, '../../fixtures/console');
const log = (name: string) => readFileSync(join(FIX, name));

/** Deterministic pseudo-random chunk sizes (no flaky tests). */
function chunks(buf: Buffer, seed: number): Buffer[] {
  const out: Buffer[] = [];
  let x = seed;
  for (let i = 0; i < buf.length; ) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const n = 1 + (x % 97);
    out.push(buf.subarray(i, i + n));
    i += n;
  }
  return out;
}

function feedAll(parts: Array<Buffer | string>) {
  const d = new CrashDetector();
  for (const p of parts) d.feed(p);
  return d.flush(true);
}

for (const name of ['seed000-qemu-spl-panic-halt.log', 'real-6.12-debug-irqlock.log', 'synthetic-hung-task-zfs-txg.log', 'synthetic-btrfs-transaction-abort.log', 'real-6.1-rcustall.log', 'real-6.1-uaf.log']) {
  t.test(`${name}: same reports whatever the chunking`, async (t) => {
    const buf = log(name);
    const whole = triage(buf);
    t.ok(whole.length > 0);
    const bytes = [...buf].map((b) => Buffer.from([b]));
    t.same(feedAll(bytes), whole, 'one byte at a time');
    for (const seed of [1, 7, 42]) t.same(feedAll(chunks(buf, seed)), whole, `random chunks, seed ${seed}`);
    t.same(feedAll([buf.toString('utf8').replace(/\n/g, '\r\n')]).map((r) => [r.title, r.start, r.end]),
      whole.map((r) => [r.title, r.start, r.end]), 'CRLF line ends');
  });
}

t.test('invalid UTF-8 and a split multi-byte character do not break a report', async (t) => {
  const head = Buffer.from('[    1.000000] garbage \xff\xfe here \u00e9\n', 'latin1');
  const body = log('real-6.1-gpf.log');
  const euro = Buffer.from('[    1.000001] price \u20ac\n');
  const r = feedAll([head, euro.subarray(0, 22), euro.subarray(22), body]);
  t.equal(r.length, 1);
  t.equal(r[0]!.title, 'general protection fault in crashmod_gpf');
  t.equal(r[0]!.start, feedAll([body])[0]!.start + 2, 'line numbers count the damaged lines');
});

t.test('a very long line is cut, not kept whole, and numbering holds', async (t) => {
  const long = `[    1.000000] ${'x'.repeat(MAX_LINE * 3)}\n`;
  const r = feedAll([long.slice(0, 5000), long.slice(5000), log('real-6.1-gpf.log')]);
  t.equal(r[0]!.start, feedAll([log('real-6.1-gpf.log')])[0]!.start + 1);
});

t.test('onReportStart fires on the header line, before the report is complete', async (t) => {
  const starts: Array<[string, number]> = [];
  const d = new CrashDetector({ onReportStart: (kind, line) => starts.push([kind, line]) });
  const lines = log('real-6.1-null.log').toString().split('\n');
  const header = lines.findIndex((l) => l.includes('BUG: kernel NULL pointer dereference')) + 1;
  d.feed(`${lines.slice(0, header).join('\n')}\n`);
  t.same(starts, [['null-deref', header]], `fired on line ${header} as soon as it arrived`);
  t.equal(d.reports.length, 0, 'nothing closed yet');
});

t.test('flush closes an open report as truncated and is idempotent', async (t) => {
  const reports: string[] = [];
  const d = new CrashDetector({ onReport: (r) => reports.push(r.title) });
  const lines = log('real-6.1-softlockup.log').toString().split('\n');
  // Up to the first line naming the spinning function (its RIP or its frame), well before the trace ends.
  d.feed(`${lines.slice(0, lines.findIndex((l) => l.includes('crashmod_softlockup+')) + 1).join('\n')}\n`);
  const first = d.flush();
  t.equal(first.length, 1);
  t.equal(first[0]!.truncated, true);
  t.equal(first[0]!.title, 'BUG: soft lockup in crashmod_softlockup', 'RIP was already seen');
  t.same(d.flush(), first, 'second flush returns the same');
  t.same(reports, [first[0]!.title], 'onReport fired once');
});

t.test('a partial last line waits for its end unless the flush is final', async (t) => {
  const d = new CrashDetector();
  d.feed('[    1.000000] Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b');
  t.same(d.flush(), []);
  t.equal(d.flush(true)[0]!.title, 'panic: Attempted to kill init! exitcode=0x0000000b');
});

t.test('printk prefixes: log level, caller id, syslog, shell junk', async (t) => {
  const variants = [
    '<4>[   12.345678] BUG: kernel NULL pointer dereference, address: 0000000000000000',
    '[   12.345678][ T402] BUG: kernel NULL pointer dereference, address: 0000000000000000',
    '[ T402] BUG: kernel NULL pointer dereference, address: 0000000000000000',
    'Mar  1 12:00:00 guest kernel: [   12.345678] BUG: kernel NULL pointer dereference, address: 0000000000000000',
    '/ # \x1b[6n[   12.345678] BUG: kernel NULL pointer dereference, address: 0000000000000000',
    'BUG: kernel NULL pointer dereference, address: 0000000000000000',
  ];
  for (const v of variants) {
    const r = triage(`${v}\nRIP: 0010:foo_bar+0x5/0x10 [m]\n`);
    t.same(r.map((x) => x.title), ['BUG: kernel NULL pointer dereference in foo_bar'], JSON.stringify(v.slice(0, 30)));
  }
});
