// git bisect's wording as krepro reads it, the guest's srcversion lines, and the
// point scenario (the identity step first, the scenario's steps after it).
import t from 'tap';
import { parseBisectOutput } from '../../../harness/bisect/git.js';
import { parseIdentities, parseSrcversions, pointScenario, releaseMismatch, srcversionMismatch } from '../../../harness/bisect/point.js';
import type { Scenario } from '../../../harness/scenario/types.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

t.test("git bisect's answers", async (t) => {
  t.same(parseBisectOutput('Bisecting: 3 revisions left to test after this (roughly 2 steps)\n[cd5f] c4\n', A), { kind: 'next', commit: A, left: 3, steps: 2 });
  t.same(parseBisectOutput('Bisecting: 0 revisions left to test after this (roughly 0 steps)\n', A), { kind: 'next', commit: A, left: 0, steps: 0 });
  t.same(parseBisectOutput(`${B} is the first bad commit\ncommit ${B}\nAuthor: x\n`, A), { kind: 'found', commit: B });
  t.same(parseBisectOutput(`There are only 'skip'ped commits left to test.\nThe first bad commit could be any of:\n${A}\n${B}\nWe cannot bisect more!\n`, A),
    { kind: 'only-skipped', candidates: [A, B] });
});

t.test('srcversions: read from the guest, compared with the build', async (t) => {
  const guest = parseSrcversions('crashmod 1A2B3C\nzfs -\n\n');
  t.same(guest, { crashmod: '1A2B3C', zfs: '-' });
  t.equal(srcversionMismatch({ crashmod: '1A2B3C' }, guest), undefined, 'the loaded module is the built one');
  t.match(srcversionMismatch({ crashmod: 'FFFF' }, guest), /crashmod: the guest loaded srcversion 1A2B3C, the build made FFFF/, 'a stale module');
  t.match(srcversionMismatch({ zfs: 'ABC' }, guest), /not loaded/, 'built but not loaded');
  t.match(srcversionMismatch({ zfs: '' }, guest), /zfs: not loaded in the guest/, 'no srcversion built, and not loaded: still an error');
  t.equal(srcversionMismatch({ spl: 'ABC' }, guest), undefined, 'the step never ran (crash during boot)');
});

// A tinyconfig kernel has no MODULE_SRCVERSION_ALL: only the module's GNU build ID tells two builds apart.
t.test('build IDs: compared when srcversion cannot tell', async (t) => {
  const ID = '3f0c2a9d7be1c4e5a6f70812934a5b6c7d8e9f01';
  const OTHER = '0000000000000000000000000000000000000001';
  const ids = parseIdentities(`uname-r 6.12.118\ncrashmod ? ${ID}\nzfs - -\nspl ABC ?\n`);
  t.same(ids, { srcversions: { 'uname-r': '6.12.118', crashmod: '?', zfs: '-', spl: 'ABC' }, buildIds: { crashmod: ID, zfs: '-', spl: '?' } });
  t.equal(srcversionMismatch({ crashmod: '' }, ids.srcversions, { crashmod: ID }, ids.buildIds), undefined, 'no srcversion, same build ID: the built module');
  t.match(srcversionMismatch({ crashmod: '' }, ids.srcversions, { crashmod: OTHER }, ids.buildIds), `crashmod: the guest loaded build ID ${ID}, the build made ${OTHER}`, 'no srcversion, another build ID: stale');
  t.match(srcversionMismatch({ crashmod: 'ABC' }, ids.srcversions, { crashmod: ID }, ids.buildIds), /guest loaded srcversion \(none\), the build made ABC/, 'the build has a srcversion the loaded module lacks');
  t.equal(srcversionMismatch({ spl: 'ABC' }, ids.srcversions, { spl: OTHER }, ids.buildIds), undefined, 'no notes in sysfs (no KALLSYMS): srcversion decides');
  t.match(srcversionMismatch({ zfs: '' }, ids.srcversions, { zfs: OTHER }, ids.buildIds), `zfs: not loaded in the guest (no /sys/module/zfs), the build made build ID ${OTHER}`);
});

t.test('the point scenario reads the loaded modules first, then runs the scenario', async (t) => {
  const sc = {
    name: 's', image: { name: 'crashmod', recipe: '/images/crashmod.yaml', params: {}, pos: { line: 1, col: 1 } }, repeat: 3,
    steps: [{ kind: 'run', index: 1, label: 'run: echo go', command: 'echo go', expectExit: 0 }],
  } as unknown as Scenario;
  const p = pointScenario(sc, '/bisect/recipe-kmod.yaml', ['crashmod']);
  t.equal(p.image.recipe, '/bisect/recipe-kmod.yaml');
  t.equal(p.repeat, 1, 'the oracle counts attempts itself');
  t.match(p.steps, [{ index: 1, expectExit: 'any', command: /\/sys\/module\/crashmod\/srcversion/ }, { index: 2, label: 'run: echo go' }]);
});

t.test('the identity step reads the booted kernel too: a point that booted another kernel is an error', async (t) => {
  const sc = {
    name: 's', kernel: { kind: 'debian', abi: '6.1.0-56-amd64' }, image: { name: 'base', recipe: '/images/base.yaml', params: {}, pos: { line: 1, col: 1 } }, repeat: 1,
    steps: [{ kind: 'run', index: 1, label: 'run: uname -r', command: 'uname -r', expectExit: 0 }],
  } as unknown as Scenario;
  const p = pointScenario(sc, undefined, []);
  t.equal(p.image.recipe, '/images/base.yaml', 'a version point keeps the recipe');
  t.match(p.steps[0], { command: /^echo "uname-r \$\(uname -r\)"$/ });
  const guest = parseSrcversions('uname-r 6.12.118+deb13-amd64\n');
  t.equal(releaseMismatch('6.12.118+deb13-amd64', guest), undefined);
  t.equal(releaseMismatch('6.1.0-56-amd64', guest), 'the guest booted kernel 6.12.118+deb13-amd64, the point is 6.1.0-56-amd64');
  t.equal(releaseMismatch('6.1.0-56-amd64', {}), undefined, 'the step never ran');
});
