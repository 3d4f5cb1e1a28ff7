// Phases: teardowns last-first whatever failed; once the stop signal is
// aborted no further phase starts (Ctrl-C during an early phase must not boot).
import t from 'tap';
import { Phases } from '../../../harness/run/phases.js';

t.test('teardowns run last first, and a failed one does not stop the rest', async (t) => {
  const events: string[] = [];
  const p = new Phases({ event: (k, d) => events.push(`${k}:${JSON.stringify(d)}`) });
  await p.run('a', async () => 1, () => void events.push('down a'));
  await p.run('b', async () => 2, () => {
    throw new Error('boom');
  });
  await p.run('c', async () => 3, () => void events.push('down c'));
  await p.teardownAll();
  t.same(events, ['down c', 'teardown-failed:{"phase":"b","error":"boom"}', 'down a']);
});

t.test('after the stop signal, no phase starts; those already set up are still torn down', async (t) => {
  const stop = new AbortController();
  const ran: string[] = [];
  const p = new Phases({ event: () => {} }, stop.signal);
  await p.run('artifacts', async () => ran.push('artifacts'), () => void ran.push('down artifacts'));
  stop.abort(new Error('interrupted by SIGINT'));
  await t.rejects(p.run('machine', async () => ran.push('machine')), /interrupted by SIGINT/);
  await p.teardownAll();
  t.same(ran, ['artifacts', 'down artifacts'], 'the machine phase never ran');
});
