// Every console log in test/fixtures/console/ is triaged and compared with the answer
// next to it (NAME.expected.json). New logs (from kernels we crash under QEMU) are
// picked up by dropping the pair into the folder.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CrashDetector } from '../../../harness/console/detector.js';
import type { CrashReport } from '../../../harness/console/types.js';

const DIR = join(import.meta.dirname, '../../fixtures/console');

interface Expected {
  crashes: Array<Partial<Pick<CrashReport, 'kind' | 'title' | 'guilty' | 'start' | 'end' | 'frames' | 'truncated' | 'chained' | 'corrupted'>>>;
  notes?: string[];
}

const logs = readdirSync(DIR).filter((f) => f.endsWith('.log')).sort();
t.ok(logs.length >= 10, 'fixture folder holds the logs');

for (const log of logs) {
  t.test(log, async (t) => {
    const expected = JSON.parse(readFileSync(join(DIR, log.replace(/\.log$/, '.expected.json')), 'utf8')) as Expected;
    const d = new CrashDetector();
    d.feed(readFileSync(join(DIR, log)));
    const got = d.flush(true);
    t.same(got.map((c) => c.title), expected.crashes.map((c) => c.title), 'titles');
    got.forEach((c, i) => {
      const want = expected.crashes[i];
      if (!want) return;
      // Only the fields the answer states are compared (excerpts are not).
      const picked = Object.fromEntries(Object.keys(want).map((k) => [k, c[k as keyof CrashReport]]));
      t.same(picked, want, `crash ${i + 1}: ${c.title}`);
      // A clean report must not be called corrupted: every answer says whether it is.
      t.equal(c.corrupted !== undefined, want.corrupted !== undefined, `crash ${i + 1}: corrupted ${c.corrupted ?? 'no'}`);
      t.ok(c.excerpt.split('\n').length <= c.end - c.start + 1, 'excerpt within its line range');
    });
    t.same(d.notes.map((n) => n.title), expected.notes ?? [], 'notes');
  });
}
