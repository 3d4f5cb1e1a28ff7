// Console waits during a run: `wait: { console: X }` must not be satisfied by the
// harness's own "krepro: step N: wait: console /X/" marker, which quotes X.
import t from 'tap';
import { join } from 'node:path';
import { ConsoleWatch } from '../../../harness/run/console-watch.js';

t.test('a console wait skips the step marker that announces it', async (t) => {
  const w = new ConsoleWatch(join(t.testdir(), 'console.log'));
  w.feed(Buffer.from('[    8.35] krepro: step 3: wait: console /blocked for more than/\n'));
  const got = w.waitFor(/blocked for more than/, 0);
  w.feed(Buffer.from('[   18.09] INFO: task sh:159 blocked for more than 5 seconds.\n'));
  t.equal(await got, '[   18.09] INFO: task sh:159 blocked for more than 5 seconds.');
  t.equal(await w.waitFor(/blocked for more than/, 0), '[   18.09] INFO: task sh:159 blocked for more than 5 seconds.',
    'lines already seen: the marker is skipped there too');
  await w.close();
});
