// Progress where stderr is not a terminal (CI logs, `| tee`): an important task
// prints a "still running" line with its current detail every heartbeat and its
// final line once; an ordinary task prints nothing. Run in a child process, whose
// stderr is a pipe, with a short heartbeat, on the built module (npm test builds first).
import t from 'tap';
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

const progress = fileURLToPath(new URL('../../../dist/harness/util/progress.js', import.meta.url));

async function stderrOf(script: string, env: Record<string, string> = {}): Promise<string> {
  const r = await execa(process.execPath, ['--input-type=module', '-e', script], {
    env: { KREPRO_HEARTBEAT_MS: '100', KREPRO_QUIET: '', ...env },
  });
  return r.stderr;
}

const run = (important: boolean) => `
import { task } from ${JSON.stringify(progress)};
const t = task('build kernel x', { important: ${important} });
t.update('build 0s: CC init/main.o');
await new Promise((r) => setTimeout(r, 350));
t.update('build 1s: LTO vmlinux.a');
await new Promise((r) => setTimeout(r, 250));
t.done('6.12.118');
`;

t.test('an important task: heartbeats with its detail, then its final line', async (t) => {
  const lines = (await stderrOf(run(true))).split('\n').filter(Boolean);
  const beats = lines.filter((l) => l.endsWith('(still running)'));
  t.ok(beats.length >= 3, `heartbeats: ${beats.length}`);
  t.match(beats[0], /^ {2}build kernel x — build 0s: CC init\/main\.o … \d+\.\ds \(still running\)$/);
  t.match(beats.at(-1), /LTO vmlinux\.a/, 'the latest detail');
  t.match(lines.at(-1), /^ {2}build kernel x — build 1s: LTO vmlinux\.a: 6\.12\.118 \(\d+\.\ds\)$/);
  t.equal(lines.filter((l) => !l.endsWith('(still running)')).length, 1, 'one final line');
});

t.test('an ordinary task prints nothing off a terminal; KREPRO_HEARTBEAT_MS=0 turns heartbeats off', async (t) => {
  t.equal(await stderrOf(run(false)), '');
  const lines = (await stderrOf(run(true), { KREPRO_HEARTBEAT_MS: '0' })).split('\n').filter(Boolean);
  t.equal(lines.length, 1, 'only the final line');
});
