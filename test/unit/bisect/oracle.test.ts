// The point oracle's arithmetic: which failure counts as the bug, what a point's
// attempts add up to, the exit codes git bisect run reads, and the confidence.
import t from 'tap';
import { bisectExitCode, classifyAttempt, confidence, failureOf, isReference, pointSettled, pointVerdict } from '../../../harness/bisect/oracle.js';
import type { PointRecord, Reference } from '../../../harness/bisect/types.js';
import type { Crash, ScenarioResult } from '../../../harness/results/types.js';
import type { Expectations } from '../../../harness/scenario/types.js';

const expect: Expectations = { crashes: 'none', allow: [{ kind: '^io-errors$' }], exit: 0 } as unknown as Expectations;

function crash(kind: string, title: string, signature = `sig-${title}`): Crash {
  return { kind, title, signature, guilty: '', frames: [], start: 1, end: 2, excerpt: `${title}\n`, step: 1 };
}

function result(verdict: ScenarioResult['verdict'], crashes: Crash[] = [], reason?: ScenarioResult['reason']): ScenarioResult {
  return {
    scenario: 's', file: 'f', attempt: 1, verdict, reason: reason ?? (verdict === 'failed' ? 'crash' : verdict === 'error' ? 'build-failed' : undefined),
    message: '', crashes, steps: [], timings: {}, artifacts: {}, host: {}, timeline: [], startedAt: '', finishedAt: '',
  };
}

const ref: Reference = { reason: 'crash', kind: 'kernel-bug', title: 'kernel BUG in crashmod_culprit', signature: 'sig-kernel BUG in crashmod_culprit', dir: 'x' };

t.test('run --bisect-exit maps verdicts to git bisect run codes', async (t) => {
  t.equal(bisectExitCode(['passed']), 0, 'passed: good');
  t.equal(bisectExitCode(['failed']), 1, 'the failure: bad');
  t.equal(bisectExitCode(['error']), 125, 'error: skip');
  t.equal(bisectExitCode(['passed', 'error']), 125, 'any error without a failure: skip');
  t.equal(bisectExitCode(['error', 'failed']), 1, 'a failure outranks an error');
  t.equal(bisectExitCode([]), 125, 'nothing ran: skip, never good');
});

t.test('the reference failure is the first unexpected crash; allowed reports are not it', async (t) => {
  const r = result('failed', [crash('io-errors', 'I/O errors on sda'), crash('kernel-bug', 'kernel BUG in crashmod_culprit')]);
  t.match(failureOf(r, expect, 'p/a1'), { reason: 'crash', kind: 'kernel-bug', title: 'kernel BUG in crashmod_culprit', dir: 'p/a1' });
  t.equal(failureOf(result('passed'), expect, 'd'), undefined, 'a pass has no failure');
});

t.test('the same bug: same kind and the title or the signature', async (t) => {
  t.ok(isReference({ ...ref, dir: 'y' }, ref));
  t.ok(isReference({ ...ref, title: 'kernel BUG in crashmod_culprit+0x10', dir: 'y' }, ref), 'same signature, title printed differently');
  t.notOk(isReference({ ...ref, title: 'kernel BUG in crashmod_other', signature: 'other', dir: 'y' }, ref), 'another function');
  t.notOk(isReference({ ...ref, kind: 'warning', dir: 'y' }, ref), 'another kind');
  t.notOk(isReference({ reason: 'hang', step: 'run: x', dir: 'y' }, ref), 'a hang is not a crash');
});

t.test('attempts: clean, reproduced, another bug, error', async (t) => {
  t.equal(classifyAttempt(result('passed'), expect, ref), 'clean');
  t.equal(classifyAttempt(result('failed', [crash('kernel-bug', 'kernel BUG in crashmod_culprit')]), expect, ref), 'reproduced');
  t.equal(classifyAttempt(result('failed', [crash('kernel-bug', 'kernel BUG in crashmod_other')]), expect, ref), 'other');
  t.equal(classifyAttempt(result('error'), expect, ref), 'error');
  t.equal(classifyAttempt(result('failed', [], 'hang'), expect, ref), 'other', 'a hang while bisecting a crash');
});

t.test('a point: bad on one reproduction, good only after N clean runs, else skip', async (t) => {
  t.equal(pointVerdict(['clean', 'reproduced'], 3), 'bad');
  t.equal(pointVerdict(['clean', 'clean', 'clean'], 3), 'good');
  t.equal(pointVerdict(['clean', 'clean'], 3), 'skip', 'too few runs are not good');
  t.equal(pointVerdict(['other'], 3), 'skip', 'another bug is never bad');
  t.equal(pointVerdict(['clean', 'error'], 3), 'skip');
  t.ok(pointSettled(['other'], 3, 'step'), 'a step stops at the first non-clean attempt');
  t.notOk(pointSettled(['reproduced'], 3, 'bad-end'), 'the bad end keeps going to measure the rate');
  t.ok(pointSettled(['reproduced', 'error'], 3, 'bad-end'));
  t.ok(pointSettled(['clean', 'clean', 'clean'], 3, 'good-end'));
});

function point(commit: string, verdict: PointRecord['verdict'], clean: number, reproduced: number): PointRecord {
  return { commit, subject: commit, role: 'step', verdict, why: '', counts: { clean, reproduced, other: 0, error: 0 }, attempts: Array(clean + reproduced).fill({}), buildMs: 0, durationMs: 0, startedAt: '' };
}

t.test('confidence: every good point could be a missed reproduction', async (t) => {
  const pts = [point('b', 'bad', 1, 1), point('g1', 'good', 2, 0), point('g2', 'good', 2, 0), point('k', 'bad', 0, 1)];
  const c = confidence(pts, 'k', () => 'g2');
  t.equal(c.rate, 2 / 3, 'rate from the attempts at bad points');
  t.ok(Math.abs(c.value - (1 - (1 / 3) ** 2) ** 2) < 1e-12, `value ${c.value}`);
  t.same(c.decidedBy, ['g2 good (0/2 reproduced)', 'k bad (1/1 reproduced)']);
  t.equal(confidence([point('b', 'bad', 0, 2), point('g', 'good', 1, 0)], 'b', () => 'g').value, 1, 'always reproducing: certain');
});
