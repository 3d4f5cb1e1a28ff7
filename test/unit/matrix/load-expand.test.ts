// A matrix file read like a scenario (file:line:col problems) and expanded
// into cells by GitHub Actions' rules; the shipped nightly.yaml validates.
import t from 'tap';
import type tap from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadMatrix } from '../../../harness/matrix/load.js';
import { expandMatrix } from '../../../harness/matrix/expand.js';
import { matrixJsonSchema } from '../../../harness/matrix/spec.js';
import { ScenarioError } from '../../../harness/scenario/load.js';

const boot = 'kernel: { debian: 6.1.0-56-amd64 }\nimage: base\nsteps: [{ run: uname -a }]\n';
const zfs = 'image: { name: zfs, zfs: 2.3.2 }\nmachine: { memory: 2G }\nsteps: [{ run: zpool status }]\n';

function dir(t: { testdir: typeof tap.testdir }, matrix: string): string {
  return t.testdir({
    'm.yaml': matrix,
    smoke: { 'boot.yaml': boot, 'other.yaml': boot },
    zfs: { 'a.yaml': zfs, 'b.yaml': zfs },
  });
}

async function problems(file: string): Promise<string[]> {
  try {
    await loadMatrix(file);
  } catch (e) {
    if (e instanceof ScenarioError) return e.problems.map((p) => `${path.basename(p.file)}:${p.line}:${p.col}: ${p.message}`);
    throw e;
  }
  return [];
}

t.test('axes multiply; zfs applies only where the image takes it, said once per scenario', async (t) => {
  const d = dir(t, `scenarios: [smoke/boot.yaml, zfs/*.yaml]
axes:
  kernel: [{ debian: 6.1.0-56-amd64 }, { debian: 6.12.57+deb12-amd64 }]
  zfs: [2.3.2, 2.1.11]
  cmdline: [[], [spl.spl_panic_halt=1]]
`);
  const m = await loadMatrix(path.join(d, 'm.yaml'));
  const { cells, impossible } = expandMatrix(m);
  t.equal(cells.length, 2 * 2 + 2 * (2 * 2 * 2), 'boot: 2 kernels × 2 cmdlines; each zfs scenario: 2 × 2 × 2');
  t.same(cells.slice(0, 3).map((c) => c.id), [
    'smoke/boot/kernel=6.1.0-56-amd64/cmdline=none',
    'smoke/boot/kernel=6.1.0-56-amd64/cmdline=spl.spl_panic_halt=1',
    'smoke/boot/kernel=6.12.57+deb12-amd64/cmdline=none',
  ]);
  t.same(impossible, [{ scenario: 'smoke/boot', axis: 'zfs', values: ['2.3.2', '2.1.11'], reason: "image 'base' takes no zfs parameter: one cell without a zfs value" }]);
  const c = cells.find((x) => x.id === 'zfs/b/kernel=6.12.57+deb12-amd64/zfs=2.1.11/cmdline=spl.spl_panic_halt=1')!;
  t.ok(c, 'a zfs cell');
  t.same(c.scenario.image.params, { zfs: '2.1.11' }, 'zfs axis replaces the image parameter');
  t.same(c.scenario.kernel, { kind: 'debian', abi: '6.12.57+deb12-amd64', pos: c.scenario.kernel.pos });
  t.same(c.scenario.cmdline, ['spl.spl_panic_halt=1']);
  t.same(cells.map((x) => x.index), cells.map((_, i) => i), 'indexes in order');
});

t.test('exclude, then include: extend matching cells, or add a cell of its own (the scenario as written)', async (t) => {
  const d = dir(t, `scenarios: [smoke/*.yaml, zfs/a.yaml]
axes:
  kernel: [{ debian: 6.1.0-56-amd64 }]
  zfs: [2.3.2, 2.1.11]
  repeat: 2
exclude:
  - { scenario: smoke/other }
  - { scenario: zfs/a, zfs: 2.1.11 }
  - { scenario: nothing/* }
include:
  - { scenario: zfs/*, repeat: 5 }
  - { scenario: smoke/other }
  - { scenario: smoke/boot, zfs: 2.3.2 }
`);
  const { cells, impossible, notes } = expandMatrix(await loadMatrix(path.join(d, 'm.yaml')));
  t.same(cells.map((c) => [c.id, c.scenario.repeat]), [
    ['smoke/boot/kernel=6.1.0-56-amd64', 2],
    ['zfs/a/kernel=6.1.0-56-amd64/zfs=2.3.2', 5],
    ['smoke/other', 2],
  ]);
  t.equal(impossible.length, 3, 'two scenarios without ZFS under a zfs axis, and the include that gives boot a zfs');
  t.match(impossible[2], { scenario: 'smoke/boot', values: ['2.3.2'], reason: /include entry at line 13 is not a cell/ });
  t.match(notes, [/m\.yaml:9:5: exclude entry matches no cell/]);
});

t.test('ids do not depend on the order of the file', async (t) => {
  const a = dir(t, 'scenarios: [smoke/boot.yaml, zfs/a.yaml]\naxes: { zfs: [2.3.2, 2.1.11], cmdline: [[a=1], [b=2]] }\n');
  const b = dir(t, 'scenarios: [zfs/a.yaml, smoke/boot.yaml]\naxes: { cmdline: [[b=2], [a=1]], zfs: [2.1.11, 2.3.2] }\n');
  const ids = async (d: string) => expandMatrix(await loadMatrix(path.join(d, 'm.yaml'))).cells.map((c) => c.id).sort();
  t.same(await ids(a), await ids(b));
});

t.test('bad input is reported at its place in the matrix file, scenario problems at theirs', async (t) => {
  const d = dir(t, `scenarios: [smoke/boot.yaml, missing/*.yaml, nope.yaml]
axes:
  kernal: []
  zfs: [2.3.2, 2.3.2]
  cmdline: [spl.x=1]
known:
  - { cell: zfs/**, title: "(", link: https://example.org/1 }
  - { cell: x, title: y, link: not-a-url }
  - { cell: x, title: y, link: https://example.org/2, expires: 2026-13-45 }
`);
  t.same(await problems(path.join(d, 'm.yaml')), [
    "m.yaml:1:30: 'missing/*.yaml' matches no file",
    'm.yaml:1:46: no such scenario file: ' + path.join(d, 'nope.yaml'),
    "m.yaml:3:3: unknown key 'kernal' (did you mean 'kernel'?)",
    'm.yaml:5:13: cmdline: expected a list of kernel parameters (may be empty), got a string',
    "m.yaml:7:28: title: invalid regex '(': Unterminated group",
    "m.yaml:8:32: link: 'not-a-url' is not valid (an http(s) URL)",
    "m.yaml:9:64: expires: '2026-13-45' is not a date",
  ]);
  const dup = dir(t, 'scenarios: [smoke/boot.yaml]\naxes:\n  zfs: [2.3.2, 2.3.2]\n');
  t.same(await problems(path.join(dup, 'm.yaml')), ['m.yaml:3:16: zfs: 2.3.2 is listed twice']);
  const bad = t.testdir({ 'm.yaml': 'scenarios: [s.yaml]\n', 's.yaml': 'steps: [{ runn: x }]\n' });
  t.match((await problems(path.join(bad, 'm.yaml')))[0], /^s\.yaml:1:11: unknown step kind 'runn'/, 'a scenario problem names the scenario file');
});

t.test('the shipped nightly.yaml loads and expands: every shipped scenario, CFI on its own kernel', async (t) => {
  const m = await loadMatrix('scenarios/nightly.yaml');
  const { cells, impossible, notes } = expandMatrix(m);
  t.same(notes, [], 'no entry matches nothing');
  const ids = cells.map((c) => c.id);
  t.ok(ids.includes('smoke/boot/kernel=6.1.0-56-amd64'));
  t.ok(ids.includes('zfs/raw-send-usb-replug/kernel=6.1.0-56-amd64/zfs=2.1.11'));
  t.ok(ids.includes('cfi/zfs-module-load'), 'the CFI scenario keeps its own built kernel');
  t.equal(cells.find((c) => c.id === 'cfi/zfs-module-load')!.scenario.kernel.kind, 'build');
  t.notOk(ids.some((i) => i.startsWith('cfi/') && i.includes('kernel=')), 'no CFI scenario on the Debian kernel');
  const files = new Set(cells.map((c) => c.scenario.file));
  for (const sub of ['smoke', 'zfs', 'btrfs', 'cfi']) {
    for (const f of (await import('node:fs')).readdirSync(`scenarios/${sub}`).filter((x) => x.endsWith('.yaml'))) {
      t.ok(files.has(path.resolve('scenarios', sub, f)), `${sub}/${f} is in the matrix`);
    }
  }
  t.same(impossible.map((i) => i.scenario), ['smoke/boot', 'smoke/usb-replug', 'btrfs/send-during-balance-faulty', 'btrfs/send-during-balance']);
  t.equal(m.known.length, 2);
  t.comment(`${cells.length} cells`);
});

t.test('docs/matrix.schema.json is the schema krepro generates (krepro schema --matrix --out …)', async (t) => {
  t.equal(readFileSync('docs/matrix.schema.json', 'utf8'), `${JSON.stringify(matrixJsonSchema(), null, 2)}\n`);
});
