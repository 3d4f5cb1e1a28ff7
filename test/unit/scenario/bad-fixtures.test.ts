// Every file in test/fixtures/scenarios/bad/ names the problems it must produce
// in `# expect: LINE:COL: MESSAGE` header lines (MESSAGE may be a prefix or a
// fragment). All of them, and nothing else, must be reported: the loader
// collects every problem in a file, not just the first.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { loadScenario, ScenarioError, type Problem } from '../../../harness/scenario/load.js';

const dir = path.resolve('test/fixtures/scenarios/bad');
const imagesDir = path.resolve('test/fixtures/scenarios/images');

interface Expected { line: number; col: number; message: string }

function expectations(file: string): Expected[] {
  return [...readFileSync(file, 'utf8').matchAll(/^# expect: (\d+):(\d+): (.*)$/gm)]
    .map((m) => ({ line: Number(m[1]), col: Number(m[2]), message: m[3]! }));
}

const byPos = (a: { line: number; col: number }, b: { line: number; col: number }) => a.line - b.line || a.col - b.col;

for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
  t.test(name, async (t) => {
    const file = path.join(dir, name);
    const want = expectations(file).sort(byPos);
    t.ok(want.length > 0, 'fixture declares its expected problems');
    const err = await loadScenario(file, { imagesDir }).then(() => undefined, (e: unknown) => e);
    t.ok(err instanceof ScenarioError, 'throws ScenarioError');
    const got: Problem[] = [...(err as ScenarioError).problems].sort(byPos);
    t.same(got.map((p) => `${p.line}:${p.col}`), want.map((w) => `${w.line}:${w.col}`), 'positions');
    for (const [i, w] of want.entries()) {
      const p = got[i];
      t.ok(p?.message.includes(w.message), `${w.line}:${w.col} says "${w.message}"`, { got: p?.message });
      t.equal(p?.file, file);
    }
    // The thrown message is one `file:line:col: message` per problem.
    t.equal((err as Error).message.split('\n').length, got.length);
    t.match((err as Error).message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
  });
}
