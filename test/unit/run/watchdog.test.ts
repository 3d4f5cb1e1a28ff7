import t from 'tap';
import { lastNumber, StallWatch } from '../../../harness/run/watchdog.js';

t.test('progress values: last line, binary suffixes, nothing for text', async (t) => {
  t.equal(lastNumber('1024\n'), 1024);
  t.equal(lastNumber('header\n1.5M'), 1.5 * 1024 ** 2);
  t.equal(lastNumber('-'), undefined);
  t.equal(lastNumber(''), undefined);
});

t.test('a job whose number keeps growing is never stalled', async (t) => {
  const w = new StallWatch(60_000, 0);
  for (let s = 0; s <= 600; s += 5) t.equal(w.observe(s * 1000, s * 1000), 'growing');
});

t.test('a flat number becomes a stall after exactly stall ms', async (t) => {
  const w = new StallWatch(60_000, 0);
  t.equal(w.observe(100, 0), 'growing');
  t.equal(w.observe(100, 30_000), 'flat');
  t.equal(w.observe(100, 59_999), 'flat');
  t.equal(w.observe(100, 60_000), 'stalled');
  t.equal(w.value, 100);
});

t.test('going down or failing polls is not progress; growing again resets the clock', async (t) => {
  const w = new StallWatch(10_000, 0);
  w.observe(500, 0);
  t.equal(w.observe(400, 5_000), 'flat');
  t.equal(w.observe(undefined, 9_000), 'flat');
  t.equal(w.observe(501, 9_500), 'growing');
  t.equal(w.observe(undefined, 19_000), 'flat');
  t.equal(w.observe(undefined, 19_500), 'stalled');
  t.equal(w.flatFor(19_500), 10_000);
});

t.test('no reading at all since the start stalls too (progress command hung from the outset)', async (t) => {
  const w = new StallWatch(10_000, 1_000);
  t.equal(w.observe(undefined, 5_000), 'flat');
  t.equal(w.observe(undefined, 11_000), 'stalled');
  t.equal(w.value, undefined);
});
