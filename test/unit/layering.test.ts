// The layering written in docs/design.md, held: which harness folder may import
// which (Playwright's DEPS lists are the model), and no import cycle between files.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const harness = fileURLToPath(new URL('../../harness/', import.meta.url));

/** Folder → the folders its files may import (besides their own). Data flows down. */
export const DEPS: Record<string, string[]> = {
  '.': ['*'], // cli.ts: argument parsing only, may reach anything
  'bisect': ['run', 'results', 'scenario', 'artifacts/image', 'artifacts/kernel', 'artifacts/out-of-tree', 'artifacts/store', 'console', 'util'],
  'matrix': ['bisect', 'bundle', 'run', 'results', 'scenario', 'artifacts/store', 'console', 'util'], // a nightly bundles and bisects its new failures
  'bundle': ['run', 'results', 'scenario', 'artifacts/store', 'util'],
  'run': ['run/steps', 'artifacts/kernel', 'artifacts/image', 'artifacts/store', 'vm', 'guest', 'console', 'results', 'host', 'scenario', 'util'],
  'run/steps': ['run', 'vm', 'guest', 'console', 'results', 'scenario', 'util'],
  'results': ['console', 'scenario', 'util'],
  'host': ['vm', 'util'],
  'vm': ['artifacts/store', 'scenario', 'util'],
  'guest': ['util'],
  'artifacts/image': ['artifacts/out-of-tree', 'artifacts/kernel', 'artifacts/store', 'scenario', 'util'],
  'artifacts/out-of-tree': ['artifacts/kernel', 'artifacts/store', 'scenario', 'util'],
  'artifacts/kernel': ['artifacts/store', 'scenario', 'util'],
  'artifacts/store': ['util'],
  'console': ['util'],
  'scenario': ['util'],
  'util': [],
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : n.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports of one file, as harness-relative .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)]
    .map((m) => path.relative(harness, path.resolve(path.dirname(file), m[1]!)).replace(/\.js$/, '.ts'));
}

const files = sources(harness).map((f) => path.relative(harness, f));
const graph = new Map(files.map((f) => [f, importsOf(path.join(harness, f))]));
const folder = (f: string): string => path.dirname(f);

t.test('every harness folder is in the layering table', async (t) => {
  for (const f of files) t.ok(folder(f) in DEPS, `${folder(f)} (of ${f}) has a DEPS entry`);
});

t.test('no file imports a folder its layer may not reach', async (t) => {
  const bad: string[] = [];
  for (const [f, deps] of graph) {
    const allowed = DEPS[folder(f)] ?? [];
    for (const d of deps) {
      if (folder(d) === folder(f) || allowed.includes('*') || allowed.includes(folder(d))) continue;
      bad.push(`${f} imports ${d}`);
    }
  }
  t.same(bad, [], 'imports against the layering');
});

/** Every cycle in an import graph, as "a → b → a". */
function findCycles(g: Map<string, string[]>): string[] {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const walk = (f: string, trail: string[]): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...trail.slice(trail.indexOf(f)), f].join(' → '));
      return;
    }
    state.set(f, 'open');
    for (const d of g.get(f) ?? []) walk(d, [...trail, f]);
    state.set(f, 'done');
  };
  for (const f of g.keys()) walk(f, []);
  return cycles;
}

t.test('no import cycle between files', async (t) => {
  t.same(findCycles(graph), [], 'import cycles');
});

t.test('the checker judges real imports and finds a cycle where there is one', async (t) => {
  // Guards the tests above against passing on nothing (a broken regex finds no imports).
  t.ok([...graph.values()].reduce((n, d) => n + d.length, 0) > 100, 'imports were found');
  t.ok(graph.get('run/attempt.ts')?.includes('vm/machine.ts'), 'run/attempt.ts → vm/machine.ts is seen');
  t.same(findCycles(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts', 'a.ts']], ['c.ts', []]])), ['a.ts → b.ts → a.ts']);
});
