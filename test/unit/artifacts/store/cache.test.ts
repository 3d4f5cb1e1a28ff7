import t from 'tap';
import { execa } from 'execa';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cached, hashOf } from '../../../../harness/artifacts/store/cache.js';

const root = t.testdir({});
process.env.KREPRO_CACHE = root;

t.test('hashOf is stable across key order and sensitive to content', async (t) => {
  t.equal(hashOf([{ a: 1, b: [2, 'x'] }]), hashOf([{ b: [2, 'x'], a: 1 }]));
  t.not(hashOf([{ a: 1 }]), hashOf([{ a: 2 }]));
  t.not(hashOf(['ab', 'c']), hashOf(['a', 'bc']));
  t.equal(hashOf([Buffer.from('x')]), hashOf([Buffer.from('x')]));
  t.not(hashOf([Buffer.from('x')]), hashOf([Buffer.from('y')]));
  t.match(hashOf([]), /^[0-9a-f]{64}$/);
});

t.test('a build that throws leaves no entry and no temp dir', async (t) => {
  await t.rejects(cached('k', 'boom', async (dir) => {
    await writeFile(join(dir, 'half'), 'x');
    throw new Error('build failed');
  }), /build failed/);
  t.same(await readdir(join(root, 'k')), []);
  // The next call builds for real.
  const p = await cached('k', 'boom', async (dir) => writeFile(join(dir, 'ok'), 'y'));
  t.equal(await readFile(join(p, 'ok'), 'utf8'), 'y');
});

t.test('concurrent calls in one process build once', async (t) => {
  let builds = 0;
  const build = async (dir: string): Promise<void> => {
    builds++;
    await new Promise((r) => setTimeout(r, 50));
    await writeFile(join(dir, 'v'), 'v');
  };
  const [a, b, c] = await Promise.all([cached('k', 'once', build), cached('k', 'once', build), cached('k', 'once', build)]);
  t.equal(builds, 1);
  t.equal(a, b);
  t.equal(b, c);
  t.equal(await cached('k', 'once', build), a);
  t.equal(builds, 1);
});

t.test('a stale lock and temp dir from a dead process are cleared', async (t) => {
  await mkdir(join(root, 'k', '.tmp-stale-999999-deadbeef'), { recursive: true });
  await writeFile(join(root, 'k', 'stale.lock'), '999999');
  const p = await cached('k', 'stale', async (dir) => writeFile(join(dir, 'v'), 'v'));
  t.equal(await readFile(join(p, 'v'), 'utf8'), 'v');
  t.same((await readdir(join(root, 'k'))).filter((n) => n.includes('stale')), ['stale']);
});

t.test('two krepro processes build an entry once', async (t) => {
  const log = join(root, 'builds.log');
  const script = join(root, 'child.mjs');
  const cacheUrl = new URL('../../../../harness/artifacts/store/cache.ts', import.meta.url).href;
  await writeFile(script, `
    import { cached } from ${JSON.stringify(cacheUrl)};
    import { appendFile, writeFile } from 'node:fs/promises';
    import { join } from 'node:path';
    await cached('k', 'multi', async (dir) => {
      await appendFile(${JSON.stringify(log)}, 'built\\n');
      await new Promise((r) => setTimeout(r, 700));
      await writeFile(join(dir, 'v'), String(process.pid));
    });
  `);
  const loader = 'data:text/javascript,import { register } from "node:module"; import { pathToFileURL } from "node:url"; register("@isaacs/ts-node-temp-fork-for-pr-2009/esm", pathToFileURL("./"));';
  const cwd = fileURLToPath(new URL('../../../..', import.meta.url));
  const env = { KREPRO_CACHE: root, TS_NODE_TRANSPILE_ONLY: '1' };
  await Promise.all([1, 2].map(() => execa('node', ['--no-warnings', '--import', loader, script], { cwd, env })));
  t.equal(await readFile(log, 'utf8'), 'built\n');
  t.match(await readFile(join(root, 'k', 'multi', 'v'), 'utf8'), /^\d+$/);
});
