import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { literalsSource } from '../../../harness/console/literals.js';
import { KINDS } from '../../../harness/console/kinds.js';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const alternation = (ws: string[]): RegExp => new RegExp(ws.map(escape).join('|'));

t.test('the trie matches exactly where the alternation does: every console line of the fixtures, with the real hints', async (t) => {
  const hints = [...new Set(KINDS.map((k) => k.hint))];
  const [trie, alt] = [new RegExp(literalsSource(hints)), alternation(hints)];
  const dir = join(import.meta.dirname, '../../fixtures/console');
  let lines = 0;
  let hits = 0;
  const differ: string[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.log'))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      lines++;
      const [a, b] = [trie.test(line), alt.test(line)];
      if (a) hits++;
      if (a !== b) differ.push(`${f}: ${line}`);
    }
  }
  t.same(differ.slice(0, 5), [], `${lines} lines, ${hits} hinted`);
  t.ok(hits > 100 && hits < lines / 2, 'some lines hinted, most not');
  // Each hint is found on its own, in the middle of a line.
  for (const h of hints) t.ok(trie.test(`xx ${h} yy`), h);
});

t.test('prefixes, shared stems, metacharacters', async (t) => {
  const ws = ['BUG ', 'BUG: ', 'BUG: Bad page', 'stack', 'stack-protector', '[ INFO: ', 'a.b', 'x|y', '(z)'];
  const re = new RegExp(literalsSource(ws));
  for (const s of ['BUG x', 'BUG: y', 'a stack z', '[ INFO: q', 'a.b', 'x|y', '(z)']) t.ok(re.test(s), s);
  for (const s of ['BUG', 'BUGx', 'stac', '[ INFO:', 'axb', 'x', 'z)', '']) t.notOk(re.test(s), JSON.stringify(s));
  t.throws(() => literalsSource(['ok', '']), /empty literal/);
});
