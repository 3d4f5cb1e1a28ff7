// The JSON Schema editors use must accept what the loader accepts and reject
// what it rejects for shape reasons (cross-references are loader-only).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { parseScenario, scenarioJsonSchema } from '../../../harness/scenario/load.js';
import { lintSchema, validate, type Schema } from './json-schema-lite.js';

const fixtures = path.resolve('test/fixtures/scenarios');
const schema = scenarioJsonSchema() as Schema;
const yamlOf = (dir: string, name: string): unknown => parse(readFileSync(path.join(fixtures, dir, name), 'utf8'));

t.test('is a draft 2020-12 schema using only known keywords, with valid patterns and defaults', async (t) => {
  t.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  t.same(JSON.parse(JSON.stringify(schema)), schema, 'plain JSON');
  t.same(lintSchema(schema), []);
  t.same(Object.keys(schema.properties as object).sort(),
    ['boot-timeout', 'cmdline', 'description', 'disks', 'expect', 'image', 'kernel', 'machine', 'name', 'repeat', 'snapshot', 'steps', 'timeout']);
  t.equal(schema.additionalProperties, false);
});

t.test('accepts every valid fixture', async (t) => {
  for (const f of readdirSync(path.join(fixtures, 'valid'))) t.same(validate(schema, yamlOf('valid', f)), [], f);
});

t.test('rejects the bad fixtures whose problem is their shape', async (t) => {
  const shape = ['unknown-key', 'wrong-type', 'enums', 'step-kind', 'missing-required', 'bad-duration', 'bad-until',
    'not-a-mapping', 'memory'];
  for (const f of shape) t.not(validate(schema, yamlOf('bad', `${f}.yaml`)).length, 0, f);
});

t.test('accepts bad fixtures whose problem only the loader can see', async (t) => {
  const loaderOnly = ['unknown-disk', 'unknown-job', 'duplicates', 'plug-order', 'kernel-path', 'kernel-dir', 'unknown-image', 'unknown-image-params', 'image-param', 'kernel-build'];
  for (const f of loaderOnly) t.same(validate(schema, yamlOf('bad', `${f}.yaml`)), [], f);
});

t.test('step variants are exclusive', async (t) => {
  const steps = (schema.properties as Record<string, Schema>).steps!.items as Schema;
  t.same(validate(steps, { run: 'ls', background: 'x', timeout: '5m', 'expect-exit': 'any', stdin: 'y' }), []);
  t.not(validate(steps, { run: 'ls', sleep: '1s' }).length, 0);
  t.not(validate(steps, { sleep: '1s', background: 'x' }).length, 0);
  t.same(validate(steps, { wait: { run: 'x', until: '>= 1G', every: 1 } }), []);
  t.not(validate(steps, { wait: { job: 'x', until: '>= 1G' } }).length, 0);
});

t.test('durations, sizes and until: the schema accepts exactly what the loader accepts', async (t) => {
  const props = schema.properties as Record<string, Schema>;
  const machine = props.machine!.properties as Record<string, Schema>;
  const waitRun = (((props.steps!.items as Schema).oneOf as Schema[])[1]!.properties as Record<string, Schema>).wait!;
  const loads = (text: string) => parseScenario(text, '/x/s.yaml', { imagesDir: path.join(fixtures, 'images') }).then(() => true, () => false);
  const cases: Array<[Schema, (v: unknown) => Promise<boolean>, unknown[]]> = [
    [props.timeout!, (v) => loads(`timeout: ${JSON.stringify(v)}\n`), ['500ms', '2s', '1m30s', '1.5h', '90', 90, '90x', '1 s', '-2s', '', 'ms', '10M']],
    [machine.memory!, (v) => loads(`machine: { memory: ${JSON.stringify(v)} }\n`), ['2G', '2g', '1.5G', '2GiB', '512mb', '2X', '1.5.G', 'G', 2 ** 30]],
    [waitRun, (v) => loads(`steps: [{ wait: { run: x, until: ${JSON.stringify(v)} } }]\n`), ['>= 100M', '<1.5G', '!= 0', '/ONLINE/', 'about', '= 3', '/', '>= lots', '> 1.5 G', '> -1', '>= 1.5.G']],
  ];
  for (const [sub, loader, inputs] of cases) {
    for (const v of inputs) {
      const value = sub === waitRun ? { run: 'x', until: v } : v;
      t.equal(validate(sub, value).length === 0, await loader(v), `${JSON.stringify(v)}: schema and loader agree`);
    }
  }
});
