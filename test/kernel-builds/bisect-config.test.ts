// krepro bisect --good-config/--bad-config end to end, kept small: the 6.12
// tinyconfig + qemu-virt gcc build (which has IKCONFIG and IKCONFIG_PROC) as the
// bad config, and the same with both turned off as the good one; the scenario
// fails when /proc/config.gz exists. IKCONFIG_PROC depends on IKCONFIG: the
// candidate with it alone is dropped by olddefconfig and is the good config again
// (no build); IKCONFIG alone builds and passes; the answer is both, checked both
// ways (the bad config without them is the good config: no build either). Three
// kernel builds that differ only in kernel/configs.c, so ccache serves the rest.
// Real builds and boots (a private cache for configs, builds, images and
// snapshots; ccache shared). ddmin's narrowing is covered by the unit tests.
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BisectState } from '../../harness/bisect/types.js';
import { krepro, leftoverQemu, privateCache } from '../e2e/helpers.js';

t.test('bisect two kernel configs: IKCONFIG + IKCONFIG_PROC (one depends on the other), checked both ways', async (t) => {
  const dir = t.testdir();
  await writeFile(join(dir, 'no-ikconfig.config'), '# no /proc/config.gz\n# CONFIG_IKCONFIG is not set\n# CONFIG_IKCONFIG_PROC is not set\n');
  const scenario = join(dir, 'bisect-config.yaml');
  await writeFile(scenario, [
    'name: bisect-config',
    'kernel:',
    '  build:',
    '    source: linux-source-6.12',
    '    base: tinyconfig',
    '    fragments: [qemu-virt]',
    'machine: { memory: 512M, cpus: 2 }',
    'timeout: 5m',
    'steps:',
    '  - run: "! test -e /proc/config.gz"',
    '',
  ].join('\n'));
  const cache = await privateCache(join(dir, 'cache'), ['kernel-config', 'kernel-build', 'kernel-pvh', 'image', 'snapshot']);
  const resultsDir = join(dir, 'results');
  const started = Date.now();
  const r = await krepro(['bisect', scenario, '--good-config', `qemu-virt,${join(dir, 'no-ikconfig.config')}`, '--bad-config', 'qemu-virt', '--runs', '1', '--results', resultsDir],
    { env: { KREPRO_CACHE: cache }, cwd: dir });
  const wallMs = Date.now() - started;
  t.equal(r.exitCode, 0, 'culprit options found', { output: r.all?.slice(-4000) });
  t.match(r.all, /CONFIG_IKCONFIG CONFIG_IKCONFIG_PROC are the culprit options\n/, 'both named on stdout');
  const bisectDir = join(resultsDir, String(r.all?.match(/(bisect-[\w-]+)\/bisect\.md/)?.[1]));
  const s = JSON.parse(await readFile(join(bisectDir, 'bisect.json'), 'utf8')) as BisectState;
  t.same(s.config?.changes, [{ symbol: 'IKCONFIG', good: 'n', bad: 'y' }, { symbol: 'IKCONFIG_PROC', good: 'n', bad: 'y' }], 'the two options that differ after olddefconfig');
  t.match(s.reference, { reason: 'step-failed', step: 'run: ! test -e /proc/config.gz' }, 'the reference failure from the bad end');
  t.same(s.points.slice(0, 2).map((p) => [p.role, p.verdict]), [['bad-end', 'bad'], ['good-end', 'good']], 'both ends verified first');
  const step = (req: string[]) => s.points.find((p) => p.role === 'step' && p.config?.requested.join() === req.join());
  t.match(step(['IKCONFIG']), { verdict: 'good', config: { effective: ['IKCONFIG'] } }, 'IKCONFIG alone: built, passes');
  t.ok((step(['IKCONFIG'])?.attempts.length ?? 0) > 0, 'and was booted');
  t.match(step(['IKCONFIG_PROC']), { verdict: 'good', config: { effective: [] }, attempts: [], why: /the same \.config as point cfg-\w+ \(good-end\)/ },
    'IKCONFIG_PROC alone: dropped by olddefconfig, the good config again — nothing built');
  t.match(s.configCulprit, { verified: true, roots: [], changes: [{ symbol: 'IKCONFIG' }, { symbol: 'IKCONFIG_PROC' }], withoutThem: { verdict: 'good', effective: [] } }, 'checked both ways');
  t.equal(s.configCulprit?.failsWith, s.points[0]!.commit, 'good + both = the bad config');
  const built = s.points.filter((p) => p.attempts.length > 0);
  t.equal(built.length, 3, 'three kernels built and booted: the ends and IKCONFIG alone');
  t.equal(new Set(built.map((p) => p.build?.kernel.hash)).size, built.length, 'a kernel build per distinct .config');
  for (const p of built) t.equal(p.build?.builder, 'kernel-config', `${p.commit}: a config point`);
  const md = await readFile(join(bisectDir, 'bisect.md'), 'utf8');
  t.match(md, /\*\*Culprit options \(2\):\*\*\n\n- `CONFIG_IKCONFIG`: n \(good\) → y \(bad\)\n- `CONFIG_IKCONFIG_PROC`: n \(good\) → y \(bad\)/);
  t.comment(`${s.points.length} points, ${built.length} built (${built.map((p) => `${p.commit} build ${(p.buildMs / 1000).toFixed(0)}s`).join(', ')}), ${(wallMs / 1000).toFixed(0)} s`);
  t.same(await leftoverQemu(resultsDir), [], 'no QEMU left');
});
