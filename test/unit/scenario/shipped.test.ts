// Every scenario the project ships loads against the real images/ and passes the schema.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { loadScenario, scenarioJsonSchema } from '../../../harness/scenario/load.js';
import { validate, type Schema } from './json-schema-lite.js';

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? yamlFiles(p) : f.endsWith('.yaml') ? [p] : [];
  });
}

for (const file of yamlFiles(path.resolve('scenarios'))) {
  t.test(path.relative(process.cwd(), file), async (t) => {
    const sc = await loadScenario(file);
    t.ok(sc.name);
    t.same(validate(scenarioJsonSchema() as Schema, parse(readFileSync(file, 'utf8'))), []);
  });
}
