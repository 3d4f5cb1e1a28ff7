// Nothing krepro starts outlives it: a child's whole process group (make -j's
// compilers, both halves of a pipeline) dies when krepro exits, is SIGKILLed,
// or when the child itself ends; and every harness file spawns through
// util/children.ts, so no child escapes the mechanism.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupMembers, waitFor } from './procs.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const childrenUrl = new URL('../../../harness/util/children.ts', import.meta.url).href;
const loader = 'data:text/javascript,import { register } from "node:module"; import { pathToFileURL } from "node:url"; register("@isaacs/ts-node-temp-fork-for-pr-2009/esm", pathToFileURL("./"));';

/**
 * Run a node script that starts `sh -c 'sleep & sleep & wait'` (a leader with
 * two grandchildren) through children.ts, prints the group id, then does `then`.
 */
async function krepro(t: Test, then: string): Promise<{ pgid: number; keeper: number; exited: Promise<unknown>; pid: number }> {
  const dir = t.testdir();
  const script = join(dir, 'k.mjs');
  await writeFile(script, `
    import { spawn, keeperPid } from ${JSON.stringify(childrenUrl)};
    const c = spawn('sh', ['-c', 'sleep 300 & sleep 300 & wait'], { stdio: 'ignore' });
    process.stdout.write(c.pid + ' ' + keeperPid() + '\\n');
    setTimeout(() => { ${then} }, 300);
    setInterval(() => {}, 1000);
  `);
  const k = spawn(process.execPath, ['--no-warnings', '--import', loader, script], { cwd: ROOT, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => k.once('exit', r));
  const line = await new Promise<string>((resolve) => {
    let out = '';
    k.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve(out);
    });
  });
  const [pgid, keeper] = line.trim().split(' ').map(Number) as [number, number];
  return { pgid, keeper, exited, pid: k.pid! };
}

t.test('krepro SIGKILLed: the keeper kills the whole group, grandchildren included', async (t) => {
  const k = await krepro(t, '');
  await waitFor(() => groupMembers(k.pgid).length === 3, 5000);
  t.equal(groupMembers(k.pgid).length, 3, 'sh and its two sleeps share the child\'s group');
  t.not(k.pgid, k.pid, 'the child leads its own group, not krepro\'s');
  process.kill(k.pid, 'SIGKILL');
  await k.exited;
  t.ok(await waitFor(() => groupMembers(k.pgid).length === 0, 5000), 'no process left in the group');
  t.ok(await waitFor(() => groupMembers(k.keeper).length === 0, 5000), 'the keeper is gone too');
});

t.test('krepro exits normally with a child still running: the group dies', async (t) => {
  const k = await krepro(t, 'process.exit(0)');
  await k.exited;
  t.ok(await waitFor(() => groupMembers(k.pgid).length === 0, 5000), 'no process left in the group');
});

t.test('krepro dies of an unhandled SIGTERM: the group dies', async (t) => {
  const k = await krepro(t, '');
  process.kill(k.pid, 'SIGTERM');
  await k.exited;
  t.ok(await waitFor(() => groupMembers(k.pgid).length === 0, 5000), 'no process left in the group');
});

t.test('the leader ends: its stragglers go with it, krepro lives on', async (t) => {
  const k = await krepro(t, '');
  // Kill only the leader (sh): its sleeps would be orphans.
  process.kill(k.pgid, 'SIGKILL');
  t.ok(await waitFor(() => groupMembers(k.pgid).length === 0, 5000), 'the sleeps are gone');
  t.ok(existsSync(`/proc/${k.pid}`), 'krepro still runs');
  process.kill(k.pid, 'SIGKILL');
  await k.exited;
});

t.test('^C to krepro reaches its children\'s groups (the CLI passes the signal on), not the keeper', async (t) => {
  const interruptUrl = new URL('../../../harness/util/interrupt.ts', import.meta.url).href;
  const k = await krepro(t, `import(${JSON.stringify(interruptUrl)}).then((m) => { m.watchInterrupts(); process.stdout.write('watching\\n'); })`);
  await waitFor(() => groupMembers(k.pgid).length === 3, 5000);
  await new Promise((r) => setTimeout(r, 1000)); // the watcher is installed 300 ms after the child starts
  process.kill(k.pid, 'SIGINT');
  t.ok(await waitFor(() => groupMembers(k.pgid).length === 0, 5000), 'the child\'s group got SIGINT and is gone');
  t.ok(existsSync(`/proc/${k.pid}`), 'krepro decides when to exit (it records the interrupted attempt first)');
  t.ok(groupMembers(k.keeper).length > 0, 'the keeper ignores the signal and stays on watch');
  process.kill(k.pid, 'SIGKILL');
  await k.exited;
  t.ok(await waitFor(() => groupMembers(k.keeper).length === 0, 5000), 'and leaves with krepro');
});

t.test('every harness file starts processes through util/children.ts', async (t) => {
  const harness = join(ROOT, 'harness');
  const files = (readdirSync(harness, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  const bad = files
    .filter((f) => !f.endsWith(join('util', 'children.ts')))
    .filter((f) => /^import (?!type)[^;]*from '(execa|node:child_process|child_process)'/m.test(readFileSync(join(harness, f), 'utf8')))
    .map((f) => relative(ROOT, join(harness, f)));
  t.same(bad, [], 'import execa/spawn from util/children.ts instead');
});
