// A version search's order and its binary search, on real Debian kernel
// names and versions (apt-cache madison in krepro's private apt, 2026-12-03).
import t from 'tap';
import { abiFlavour, kernelsFromMadison, parseMadison, sortAsync, compareDebianVersions } from '../../../harness/artifacts/kernel/debian-versions.js';
import { nextVersion, versionRange } from '../../../harness/bisect/versions.js';
import type { PointRecord, PointVerdict } from '../../../harness/bisect/types.js';
import { confidence } from '../../../harness/bisect/oracle.js';
import type { Scenario } from '../../../harness/scenario/types.js';
import { InputError } from '../../../harness/util/errors.js';

const MADISON = `linux-image-6.12.118+deb13-amd64 | 6.12.118-1 | http://deb.debian.org/debian-security trixie-security/main amd64 Packages
linux-image-5.10.0-32-amd64 | 5.10.223-1 | http://deb.debian.org/debian bullseye/main amd64 Packages
linux-image-6.1.0-0.deb11.48-amd64 | 6.1.172-1~deb11u1 | http://deb.debian.org/debian-security bullseye-security/main amd64 Packages
linux-image-6.1.0-56-amd64 |  6.1.192-2 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-6.1.0-56-amd64 |  6.1.192-1 | http://deb.debian.org/debian bookworm/main amd64 Packages
linux-image-6.12.118+deb12-amd64 | 6.12.118-1~deb12u1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-6.12.90+deb12.1-amd64 | 6.12.90-2~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main amd64 Packages
linux-image-6.12.117+deb13-amd64 | 6.12.117-1 | http://deb.debian.org/debian trixie/main amd64 Packages
linux-image-5.10.0-30-amd64 | 5.10.218-1 | http://deb.debian.org/debian bullseye/main amd64 Packages
`;

/** Oldest first, as dpkg orders their package versions. */
const ORDER = ['5.10.0-30-amd64', '5.10.0-32-amd64', '6.1.0-0.deb11.48-amd64', '6.1.0-56-amd64', '6.12.90+deb12.1-amd64', '6.12.117+deb13-amd64', '6.12.118+deb12-amd64', '6.12.118+deb13-amd64'];

t.test('the flavour of a kernel ABI, across the releases', async (t) => {
  t.equal(abiFlavour('5.10.0-32-amd64'), 'amd64');
  t.equal(abiFlavour('6.1.0-0.deb11.48-amd64'), 'amd64');
  t.equal(abiFlavour('6.12.118+deb13-amd64'), 'amd64');
  t.equal(abiFlavour('6.12.90+deb12.1-amd64'), 'amd64');
  t.equal(abiFlavour('6.12.118+deb13-cloud-amd64'), 'cloud-amd64');
  t.equal(abiFlavour('6.1.0-47-rt-amd64'), 'rt-amd64');
  t.equal(abiFlavour('5.10.0-32-amd64-unsigned'), 'amd64-unsigned', 'never taken for amd64');
  t.equal(abiFlavour('6.12-amd64'), undefined, 'a meta package is no ABI');
});

t.test("madison's rows, the newest version per ABI, in dpkg's order (6.12.90 before 6.12.118, ~deb12u1 before its trixie build)", async (t) => {
  const rows = parseMadison(MADISON);
  t.equal(rows.length, 9);
  t.same(rows[3], { package: 'linux-image-6.1.0-56-amd64', version: '6.1.192-2', suite: 'bookworm-security' });
  const kernels = await kernelsFromMadison(rows);
  t.same(kernels.map((k) => k.abi), ORDER);
  t.same(kernels.find((k) => k.abi === '6.1.0-56-amd64'), { abi: '6.1.0-56-amd64', package: 'linux-image-6.1.0-56-amd64', version: '6.1.192-2', suite: 'bookworm-security' }, 'the newest of two versions of one ABI');
});

t.test("dpkg's comparison and the stable sort", async (t) => {
  t.equal(await compareDebianVersions('6.12.90-2~bpo12+1', '6.12.118-1~deb12u1'), -1);
  t.equal(await compareDebianVersions('6.12.118-1', '6.12.118-1~deb12u1'), 1);
  t.equal(await compareDebianVersions('1:1.30.1-6', '1.37.0-6'), 1, 'the epoch first');
  t.equal(await compareDebianVersions('2.3.2-2~bpo12+2', '2.3.2-2~bpo12+2'), 0);
  t.same(await sortAsync([3, 1, 2, 1], async (a, b) => a - b), [1, 1, 2, 3]);
});

/** Run the search against a bug that appears at `firstBad` (and versions `skip` that cannot be judged). */
function search(list: string[], firstBad: number, skip: Set<number> = new Set()): { answer: ReturnType<typeof nextVersion>; visited: string[] } {
  const verdicts = new Map<string, PointVerdict>([[list[0]!, 'good'], [list.at(-1)!, 'bad']]);
  const visited: string[] = [];
  let step = nextVersion(list, verdicts);
  while (step.kind === 'next') {
    const i = list.indexOf(step.version);
    visited.push(step.version);
    verdicts.set(step.version, skip.has(i) ? 'skip' : i >= firstBad ? 'bad' : 'good');
    step = nextVersion(list, verdicts);
    if (visited.length > list.length) throw new Error('the search does not end');
  }
  return { answer: step, visited };
}

t.test('binary search finds the first bad version wherever it is, in ⌈log2⌉ points', async (t) => {
  for (let k = 1; k < ORDER.length; k++) {
    const { answer, visited } = search(ORDER, k);
    t.same(answer, { kind: 'found', version: ORDER[k], lastGood: ORDER[k - 1] }, `bug from ${ORDER[k]}`);
    t.ok(visited.length <= Math.ceil(Math.log2(ORDER.length - 1)), `${visited.length} points: ${visited.join(' ')}`);
  }
});

t.test('a skipped version is never the answer: its neighbour is tried, and only-skipped leaves candidates', async (t) => {
  const first = nextVersion(ORDER, new Map([[ORDER[0]!, 'good'], [ORDER[7]!, 'bad']]));
  t.same(first, { kind: 'next', version: ORDER[3], left: 5, steps: 3 }, 'the middle of 0..7, lower on a tie');
  const after = nextVersion(ORDER, new Map<string, PointVerdict>([[ORDER[0]!, 'good'], [ORDER[7]!, 'bad'], [ORDER[3]!, 'skip']]));
  t.same(after.kind === 'next' && after.version, ORDER[4], 'the untested version nearest the skipped middle');
  const { answer, visited } = search(ORDER, 5, new Set([3]));
  t.same(answer, { kind: 'found', version: ORDER[5], lastGood: ORDER[4] }, 'found past a skip');
  t.same(visited, [ORDER[3], ORDER[4], ORDER[5]]);
  t.same(search(ORDER, 4, new Set([3])).answer, { kind: 'only-skipped', candidates: [ORDER[3], ORDER[4]] }, 'the skipped one may be the first bad: both are candidates');
  t.same(search(ORDER, 4, new Set([2, 3])).answer, { kind: 'only-skipped', candidates: [ORDER[2], ORDER[3], ORDER[4]] });
  t.same(search(['a', 'b'], 1).answer, { kind: 'found', version: 'b', lastGood: 'a' }, 'adjacent ends: the bad end');
});

const sc = { file: '/s/boot.yaml', kernel: { kind: 'debian', abi: '6.1.0-56-amd64', pos: { line: 7, col: 9 } } } as unknown as Scenario;
const archive = async () => kernelsFromMadison(parseMadison(MADISON));

t.test('the range: archive order from good to bad, backwards for a fix, or as --versions gives it', async (t) => {
  t.same((await versionRange(sc, '5.10.0-32-amd64', '6.1.0-56-amd64', 'auto', archive)).map((v) => v.version), ORDER.slice(1, 4));
  t.same((await versionRange(sc, '6.12.118+deb13-amd64', '6.12.90+deb12.1-amd64', 'auto', archive)).map((v) => v.version), ORDER.slice(4).reverse(), 'good after bad: a fix search');
  const given = await versionRange(sc, '5.10.0-30-amd64', '6.12.118+deb13-amd64', ['5.10.0-30-amd64', '6.1.0-56-amd64', '6.12.118+deb13-amd64'], archive);
  t.same(given.map((v) => v.version), ['5.10.0-30-amd64', '6.1.0-56-amd64', '6.12.118+deb13-amd64']);
  t.same(given[2], { version: '6.12.118+deb13-amd64', package: 'linux-image-6.12.118+deb13-amd64', debVersion: '6.12.118-1', suite: 'trixie-security' });
});

t.test('bad input names what the archive has', async (t) => {
  await t.rejects(versionRange(sc, '5.10.0-31-amd64', '6.1.0-56-amd64', 'auto', archive), { constructor: InputError, message: /not in Debian's archive: 5.10.0-31-amd64; the amd64 kernels it has, oldest first: 5.10.0-30-amd64, 5.10.0-32-amd64, /});
  await t.rejects(versionRange(sc, '5.10.0-32-amd64', '6.1.0-56-amd64', ['5.10.0-32-amd64', '6.1.0-57-amd64', '6.1.0-56-amd64'], archive), /not in Debian's archive: 6.1.0-57-amd64/);
  await t.rejects(versionRange(sc, '5.10.0-32-cloud-amd64', '6.1.0-56-amd64', 'auto', archive), /not a amd64 kernel ABI/);
  await t.rejects(versionRange(sc, '5.10.0-32-amd64', '6.1.0-56-amd64', ['5.10.0-32-amd64', '6.12.118+deb13-amd64'], archive), /must both be in --versions/);
  await t.rejects(versionRange({ ...sc, kernel: { kind: 'path', bzImage: '/b', pos: sc.kernel.pos } } as Scenario, 'a', 'b', 'auto', archive), /kernel: \{ debian: ABI \}, but this scenario's kernel is a path/);
});

t.test('the answer is decided by the first bad version and the last good one, named in full', async (t) => {
  const point = (commit: string, verdict: PointVerdict, reproduced: number, clean: number) => ({ commit, verdict, counts: { reproduced, clean, other: 0, error: 0 }, attempts: Array(reproduced + clean).fill({}) }) as unknown as PointRecord;
  const c = confidence([point(ORDER[7]!, 'bad', 1, 0), point(ORDER[0]!, 'good', 0, 1), point(ORDER[3]!, 'good', 0, 1), point(ORDER[6]!, 'bad', 1, 0)], ORDER[6], () => ORDER[3]);
  t.same(c.decidedBy, ['6.1.0-56-amd64 good (0/1 reproduced)', '6.12.118+deb12-amd64 bad (1/1 reproduced)']);
});
