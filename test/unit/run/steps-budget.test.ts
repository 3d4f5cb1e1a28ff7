import t from 'tap';
import { stepsBudgetMs } from '../../../harness/run/step-loop.js';

t.test('the scenario timeout counts boot and steps, not artifact builds', async (t) => {
  // A 20 min timeout, an attempt 45 min old of which 40 min built ZFS: 15 min left, not a hang at once.
  t.equal(stepsBudgetMs(20 * 60_000, 45 * 60_000, 40 * 60_000), 15 * 60_000);
  t.equal(stepsBudgetMs(60_000, 10_000), 50_000, 'no artifacts recorded: the whole attempt counts');
  t.equal(stepsBudgetMs(60_000, 90_000, 5_000), 0, 'boot alone used it up: nothing left');
});
