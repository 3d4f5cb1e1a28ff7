import t from 'tap';
import { bisectJunit } from '../../../harness/bisect/junit.js';
import type { BisectState, PointRecord } from '../../../harness/bisect/types.js';

const point = (commit: string, role: PointRecord['role'], verdict: PointRecord['verdict'], why: string): PointRecord => ({
  commit, subject: `subject of ${commit}`, role, verdict, why, attempts: [], buildMs: 0, durationMs: 2000, startedAt: '',
  counts: { clean: verdict === 'good' ? 1 : 0, reproduced: verdict === 'bad' ? 1 : 0, other: 0, error: verdict === 'skip' ? 1 : 0 },
});
const base: BisectState = {
  version: 1, scenario: '/x/scenarios/bisect-kmod.yaml', recipe: '', good: 'g', bad: 'b', runs: 1, startedAt: '', status: 'done',
  points: [point('b', 'bad-end', 'bad', 'reproduced 1/1'), point('g', 'good-end', 'good', '1 clean run'), point('s', 'step', 'skip', 'build failed: x <y>')],
};

t.test('a point per case (passed, verdict as a property), and the answer', async (t) => {
  const found = bisectJunit({ ...base, culprit: { commit: 'c'.repeat(40), subject: 'fast path', author: 'a', date: 'd' } });
  t.match(found, /<testsuite name="krepro" tests="4" failures="0" errors="0"/);
  t.match(found, /<testcase classname="bisect\.bisect-kmod\.points" name="03 step s subject of s" time="2\.000">[\s\S]*<property name="verdict" value="skip"\/>[\s\S]*<property name="why" value="build failed: x &lt;y&gt;"\/>/);
  t.match(found, /<testcase classname="bisect\.bisect-kmod" name="answer"[^>]*>\n    <properties>/);
  t.notMatch(found, /<failure/);
  const doubted = bisectJunit({ ...base, culprit: { commit: 'c'.repeat(40), subject: 'fast path', author: 'a', date: 'd' },
    culpritCheck: { again: { point: 'c', reproduced: 0, attempts: 2 }, parent: { why: 'x' }, revert: { why: 'y' }, sameBuildAsParent: false, verified: false, doubts: ['the culprit did not fail again in 2 run(s)'] } });
  t.match(doubted, /failures="1"[\s\S]*<failure type="no-culprit" message="commit c{40} not confirmed: the culprit did not fail again in 2 run\(s\)">/);
  t.match(bisectJunit({ ...base, status: 'bisecting' }), /<error type="unfinished" message="no answer yet \(bisecting\)">/);
  t.match(bisectJunit({ ...base, status: 'stopped', stopped: 'the bad end did not fail' }), /<failure type="no-culprit" message="the bad end did not fail">/);
});
