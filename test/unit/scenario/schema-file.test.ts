// docs/scenario.schema.json, the file shipped scenarios point editors at, is
// exactly what `krepro schema` prints now (cli.ts: two-space JSON plus a newline).
// When the scenario format changes, regenerate it:
//   npm run build && node dist/harness/cli.js schema --out docs/scenario.schema.json
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { scenarioJsonSchema } from '../../../harness/scenario/load.js';

t.test('docs/scenario.schema.json is the schema krepro generates', async (t) => {
  const shipped = readFileSync(path.resolve('docs/scenario.schema.json'), 'utf8');
  t.equal(shipped, `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`,
    'stale: regenerate with  node dist/harness/cli.js schema --out docs/scenario.schema.json');
});
