import t from 'tap';
import { readdir, readFile } from 'node:fs/promises';
import { junitXml } from '../../../harness/results/junit.js';
import { writeJsonAtomic } from '../../../harness/results/atomic.js';
import { exitCodeFor, newRunId } from '../../../harness/results/summary.js';
import type { ScenarioResult } from '../../../harness/results/types.js';

const result = (verdict: ScenarioResult['verdict'], message: string): ScenarioResult => ({
  scenario: 'smoke <boot>', file: '/x.yaml', attempt: 1, verdict, message, crashes: [], steps: [],
  timings: { totalMs: 1500 }, artifacts: {}, host: {}, timeline: [], startedAt: '', finishedAt: '',
});

t.test('exit codes follow DESIGN.md', async (t) => {
  t.equal(exitCodeFor(['passed', 'passed']), 0);
  t.equal(exitCodeFor(['passed', 'error']), 3);
  t.equal(exitCodeFor(['error', 'failed']), 1);
});

t.test('junit has one case per attempt, escapes text and strips control bytes', async (t) => {
  const xml = junitXml([result('passed', 'ok'), result('failed', 'crash: "x" & <y>\u0007')]);
  t.match(xml, /tests="2" failures="1" errors="0"/);
  t.match(xml, /name="smoke &lt;boot&gt;"/);
  t.match(xml, /<failure type="" message="crash: &quot;x&quot; &amp; &lt;y&gt;"/);
  t.notMatch(xml, /\u0007/);
});

t.test('atomic writes leave no temp files behind', async (t) => {
  const dir = t.testdir();
  await writeJsonAtomic(`${dir}/a/result.json`, { verdict: 'passed' });
  t.same(JSON.parse(await readFile(`${dir}/a/result.json`, 'utf8')), { verdict: 'passed' });
  t.same(await readdir(`${dir}/a`), ['result.json']);
});

t.test('run ids sort by time and do not collide', async (t) => {
  const d = new Date('2026-11-21T15:40:02.123Z');
  t.match(newRunId(d), /^2026-11-21T15-40-02-[0-9a-f]{4}$/);
  t.not(newRunId(d), newRunId(d));
});
