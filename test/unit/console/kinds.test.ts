// The kinds table: every row is exercised by a fixture log, and rows are well formed.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { KINDS } from '../../../harness/console/kinds.js';

const DIR = join(import.meta.dirname, '../../fixtures/console');

t.test('every kind has a fixture whose answer names it', async (t) => {
  const seen = new Set<string>();
  for (const f of readdirSync(DIR).filter((f) => f.endsWith('.expected.json'))) {
    const doc = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { crashes: Array<{ kind: string }> };
    for (const c of doc.crashes) seen.add(c.kind);
  }
  // Notes are asserted by title in the fixtures; their kinds are listed here.
  for (const k of KINDS.filter((k) => k.note)) seen.add(k.kind);
  for (const kind of new Set(KINDS.map((k) => k.kind))) t.ok(seen.has(kind), kind);
});

t.test('rows are well formed', async (t) => {
  for (const k of KINDS) {
    t.ok(k.start.source.startsWith('^'), `${k.kind}: start is anchored`);
    t.ok(k.end.maxLines > 0, `${k.kind}: bounded`);
    if (k.burst) t.ok(k.partOf?.includes(k.kind), `${k.kind}: later hits of a burst join it`);
  }
});
