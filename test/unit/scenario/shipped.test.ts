// Every scenario the project ships loads against the real images/, passes the
// schema, names itself (result directories and summaries are keyed by name, so
// two shipped scenarios must not share one), and every editor pointer at the
// schema resolves to the shipped docs/scenario.schema.json. Matrix files
// (a top-level `scenarios:` list, e.g. nightly.yaml) point at and pass
// docs/matrix.schema.json instead; test/unit/matrix loads them.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { loadScenario, scenarioJsonSchema } from '../../../harness/scenario/load.js';
import { validate, type Schema } from './json-schema-lite.js';
import { matrixJsonSchema } from '../../../harness/matrix/spec.js';

const SCHEMA_FILE = path.resolve('docs/scenario.schema.json');
const SCHEMA_POINTER = /^# yaml-language-server: \$schema=(\S+)$/m;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? yamlFiles(p) : f.endsWith('.yaml') ? [p] : [];
  });
}

const MATRIX_SCHEMA_FILE = path.resolve('docs/matrix.schema.json');
const isMatrix = (f: string) => Array.isArray((parse(readFileSync(f, 'utf8')) as { scenarios?: unknown } | null)?.scenarios);
const matrices = yamlFiles(path.resolve('scenarios')).filter(isMatrix);
const shipped = yamlFiles(path.resolve('scenarios')).filter((f) => !isMatrix(f));
const names = new Map<string, string[]>();

for (const file of shipped) {
  t.test(path.relative(process.cwd(), file), async (t) => {
    const text = readFileSync(file, 'utf8');
    const raw = parse(text) as { name?: unknown };
    const sc = await loadScenario(file);
    t.type(raw.name, 'string', 'names itself (the file name is only a fallback)');
    t.equal(sc.name, raw.name, 'the loaded name is the one written');
    names.set(sc.name, [...(names.get(sc.name) ?? []), path.relative(process.cwd(), file)]);
    t.same(validate(scenarioJsonSchema() as Schema, raw), []);
  });
}

t.test('no two shipped scenarios share a name', async (t) => {
  t.equal(names.size > 0, true, 'scenarios were read');
  t.same([...names].filter(([, files]) => files.length > 1), []);
});

t.test('every $schema pointer in the repository resolves to docs/scenario.schema.json', async (t) => {
  const files = [...shipped, ...yamlFiles(path.resolve('test'))].filter((f) => SCHEMA_POINTER.test(readFileSync(f, 'utf8')));
  t.ok(files.length >= shipped.length / 2, `${files.length} files point editors at the schema`);
  for (const f of files) {
    const target = path.resolve(path.dirname(f), SCHEMA_POINTER.exec(readFileSync(f, 'utf8'))![1]!);
    t.equal(target, SCHEMA_FILE, path.relative(process.cwd(), f));
  }
  t.ok(existsSync(SCHEMA_FILE), 'the schema file ships');
});

t.test('shipped matrix files pass the matrix schema and point editors at it', async (t) => {
  t.ok(matrices.length >= 1, 'nightly.yaml is found');
  for (const f of matrices) {
    const text = readFileSync(f, 'utf8');
    t.same(validate(matrixJsonSchema() as Schema, parse(text)), [], path.relative(process.cwd(), f));
    t.equal(path.resolve(path.dirname(f), SCHEMA_POINTER.exec(text)?.[1] ?? ''), MATRIX_SCHEMA_FILE, 'its $schema pointer');
  }
});
