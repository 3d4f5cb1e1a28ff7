// fault:, parallel: and wait: { jobs } resolve to the steps the runner expects.
import path from 'node:path';
import t from 'tap';
import { parseScenario } from '../../../harness/scenario/load.js';

const imagesDir = path.resolve('test/fixtures/scenarios/images');
const MiB = 2 ** 20;
const strip = <T extends object>(steps: T[]) => steps.map((s) => { const { pos: _p, ...rest } = s as T & { pos: unknown }; return rest; });

t.test('fault steps: disk io-error/throttle/clear, machine pause, link down', async (t) => {
  const sc = await parseScenario(`
disks: [{ id: tank, size: 1G }, { id: stick, size: 1G, bus: usb }]
steps:
  - fault: { disk: tank, io-error: write, after: 100, for: 5s }
  - fault: { disk: tank, io-error: all, errno: 28 }
  - fault: { disk: stick, throttle: { bps-write: 4M, iops-read: 50 } }
  - fault: { disk: tank, clear: true }
  - fault: { machine: pause, for: 3s }
  - fault: { link: down, for: 1500ms }
`, '/x/f.yaml', { imagesDir });
  t.same(strip(sc.steps), [
    { index: 1, kind: 'fault', label: 'fault: tank io-error write after 100 for 5s', fault: { kind: 'io-error', disk: 'tank', io: 'write', after: 100, errno: 5, forMs: 5000 } },
    { index: 2, kind: 'fault', label: 'fault: tank io-error all errno 28', fault: { kind: 'io-error', disk: 'tank', io: 'all', after: 0, errno: 28 } },
    {
      index: 3, kind: 'fault', label: 'fault: stick throttle bps_wr=4194304 iops_rd=50',
      fault: { kind: 'throttle', disk: 'stick', limits: { bps: 0, bps_rd: 0, bps_wr: 4 * MiB, iops: 0, iops_rd: 50, iops_wr: 0 } },
    },
    { index: 4, kind: 'fault', label: 'fault: tank clear', fault: { kind: 'clear', disk: 'tank' } },
    { index: 5, kind: 'fault', label: 'fault: machine pause for 3s', fault: { kind: 'pause', forMs: 3000 } },
    { index: 6, kind: 'fault', label: 'fault: link down for 1s500ms', fault: { kind: 'link-down', forMs: 1500 } },
  ]);
});

t.test('parallel: short and long job forms, join policies, defaults from the scenario', async (t) => {
  const sc = await parseScenario(`
timeout: 20m
expect: { exit: 0 }
steps:
  - parallel:
      send: btrfs send /a | btrfs receive /b
      balance: { run: "while :; do btrfs balance start /a; done", expect-exit: any, timeout: 10m }
    join: send
  - parallel: { x: "true", y: "false" }
    join: first
    timeout: 1m
  - parallel: { z: "true" }
`, '/x/p.yaml', { imagesDir });
  t.same(strip(sc.steps), [
    {
      index: 1, kind: 'parallel', label: 'parallel: send + balance (join: send ends)', join: { job: 'send' }, timeoutMs: 20 * 60_000,
      jobs: [
        { name: 'send', command: 'btrfs send /a | btrfs receive /b', expectExit: 0 },
        { name: 'balance', command: 'while :; do btrfs balance start /a; done', expectExit: 'any', timeoutMs: 600_000 },
      ],
    },
    {
      index: 2, kind: 'parallel', label: 'parallel: x + y (join: first)', join: 'first', timeoutMs: 60_000,
      jobs: [{ name: 'x', command: 'true', expectExit: 0 }, { name: 'y', command: 'false', expectExit: 0 }],
    },
    { index: 3, kind: 'parallel', label: 'parallel: z (join: all)', join: 'all', timeoutMs: 20 * 60_000, jobs: [{ name: 'z', command: 'true', expectExit: 0 }] },
  ]);
});

t.test('wait for all or any of several jobs; any leaves them waitable', async (t) => {
  const sc = await parseScenario(`
steps:
  - run: sleep 1
    background: a
  - run: sleep 2
    background: b
  - wait: { jobs: [a, b], for: any, timeout: 1m }
  - wait: { jobs: [a, b] }
`, '/x/w.yaml', { imagesDir });
  const [, , any, all] = strip(sc.steps);
  t.same(any, { index: 3, kind: 'wait', on: 'jobs', label: 'wait: any of a, b', timeoutMs: 60_000, jobs: ['a', 'b'], waitFor: 'any' });
  t.same(all, { index: 4, kind: 'wait', on: 'jobs', label: 'wait: all of a, b', timeoutMs: 30 * 60_000, jobs: ['a', 'b'], waitFor: 'all' });
});

t.test('a job wait with progress + stall carries the watchdog; without them it has none', async (t) => {
  const sc = await parseScenario(`
steps:
  - run: cat /tmp/fifo
    background: r
  - wait: { job: r, progress: "wc -c < /tmp/out", stall: 20s, every: 2s, timeout: 5m }
  - run: true
    background: q
  - wait: { job: q, progress: "cat /tmp/n", stall: 1m }
  - run: true
    background: s
  - wait: { job: s }
`, '/x/wd.yaml', { imagesDir });
  const [, wd, , wdDefault, , plain] = strip(sc.steps);
  t.same(wd, {
    index: 2, kind: 'wait', on: 'job', label: 'wait: job r (watchdog)', timeoutMs: 5 * 60_000, job: 'r',
    watchdog: { progress: 'wc -c < /tmp/out', stallMs: 20_000, everyMs: 2000 },
  });
  t.same(wdDefault, { index: 4, kind: 'wait', on: 'job', label: 'wait: job q (watchdog)', timeoutMs: 30 * 60_000, job: 'q', watchdog: { progress: 'cat /tmp/n', stallMs: 60_000, everyMs: 5000 } });
  t.same(plain, { index: 6, kind: 'wait', on: 'job', label: 'wait: job s', timeoutMs: 30 * 60_000, job: 's' });
});
