// A USB stick pulled and put back through QMP: the guest sees it go and come back
// under the same by-id name, and the data written before survives.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runScenario } from './helpers.js';

t.test('scenarios/smoke/usb-replug passes with real device_del/device_add', async (t) => {
  const { exitCode, output, res, dir } = await runScenario(t, 'scenarios/smoke/usb-replug.yaml', 'smoke-usb-replug');
  t.equal(exitCode, 0, 'exit code', { output });
  t.equal(res.verdict, 'passed', res.message);
  t.same(res.steps.map((s) => s.status), Array(8).fill('ok'));
  const qmp = (await readFile(join(dir, 'qmp.jsonl'), 'utf8'))
    .trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const text = qmp.map((e) => JSON.stringify(e));
  const del = text.findIndex((l) => l.includes('"device_del"'));
  const deleted = text.findIndex((l, i) => i > del && l.includes('DEVICE_DELETED') && l.includes('"device":"stick"'));
  const add = text.findIndex((l) => l.includes('"device_add"'));
  t.ok(del >= 0 && deleted > del && add > deleted, 'device_del → DEVICE_DELETED(stick) → device_add, in that order');
  t.ok(res.timeline.some((e) => e.event === 'unplugged') && res.timeline.some((e) => e.event === 'plugged'));
  const check = await readFile(join(dir, res.steps[7]!.output!), 'utf8');
  t.match(check, /\/mnt\/stick\/data: OK/, 'data checks out after the replug');
});
