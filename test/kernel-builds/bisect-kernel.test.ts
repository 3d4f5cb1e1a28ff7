// krepro bisect over kernel commits, end to end, on a repository this test
// makes from Debian's linux-source-6.12 (the tree the CFI tests build): the
// import, then four commits — a Documentation file, a comment in
// fs/proc/version.c, a panic in its initcall proc_version_init (the culprit:
// the kernel panics at boot), another comment (the bad end). `--path fs/proc`
// keeps the Documentation commit out of the search. The answer is checked:
// the culprit again, its parent (the comment), the bad end with it reverted.
// Every point is a real gcc tinyconfig + qemu-virt kernel built from `git
// archive` of that commit (a private cache: sources, builds and snapshots go
// with the test dir; ccache is shared) and booted with the crashmod module built
// against it. Each commit's tree sits at its own path, yet only the first point
// compiles cold: builds run in an O= dir inside the tree, so every path Kbuild
// passes is relative and ccache hits across trees (checked from its counters).
import t from 'tap';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { resolveSource } from '../../harness/artifacts/kernel/source.js';
import { cacheRoot } from '../../harness/artifacts/store/root.js';
import type { BisectState } from '../../harness/bisect/types.js';
import { krepro, leftoverQemu, privateCache } from '../e2e/helpers.js';

const VERSION_C = 'fs/proc/version.c';

/** ccache's hit counters (direct + preprocessed) in the shared cache every point compiles through. */
async function ccacheHits(): Promise<{ hits: number; misses: number }> {
  const r = await execa('ccache', ['--print-stats'], { env: { CCACHE_DIR: join(cacheRoot(), 'ccache') } });
  const stat = (k: string) => Number(new RegExp(`^${k}\\t(\\d+)$`, 'm').exec(String(r.stdout))?.[1] ?? 0);
  return { hits: stat('direct_cache_hit') + stat('preprocessed_cache_hit'), misses: stat('cache_miss') };
}

async function makeRepo(repo: string, tree: string): Promise<string[]> {
  // Fixed names and dates: the same commit hashes on every run.
  let n = 0;
  const env = () => ({
    GIT_AUTHOR_NAME: 'Ada Kernel', GIT_AUTHOR_EMAIL: 'ada@example.org', GIT_COMMITTER_NAME: 'Ada Kernel', GIT_COMMITTER_EMAIL: 'ada@example.org',
    GIT_AUTHOR_DATE: `2026-02-0${n + 1}T10:00:00Z`, GIT_COMMITTER_DATE: `2026-02-0${n + 1}T10:00:00Z`,
  });
  const git = (args: string[], input?: string) => execa('git', ['-C', repo, '-c', 'core.looseCompression=1', ...args], { env: env(), ...(input === undefined ? {} : { input }) });
  await execa('git', ['init', '--quiet', repo]);
  // The unpacked tree is the import's work tree, read only: later commits write blobs into the
  // index directly, so the cached source is never touched and nothing is copied.
  await git(['--work-tree', tree, 'add', '--all', '--force', '.']);
  const hashes: string[] = [];
  const commit = async (subject: string): Promise<void> => {
    await git(['commit', '--quiet', '-m', subject]);
    hashes.push(String((await git(['rev-parse', 'HEAD'])).stdout).trim());
    n++;
  };
  const put = async (path: string, text: string): Promise<void> => {
    const blob = String((await git(['hash-object', '-w', '--stdin'], text)).stdout).trim();
    await git(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`]);
  };
  await commit('import linux-source-6.12');
  await put('Documentation/process/krepro-bisect.rst', 'Bisecting with krepro\n=====================\n');
  await commit('Documentation: a page on bisecting');
  const original = await readFile(join(tree, VERSION_C), 'utf8');
  const commented = original.replace('static int version_proc_show', '/* /proc/version: the kernel banner */\nstatic int version_proc_show');
  await put(VERSION_C, commented);
  await commit('proc: say what /proc/version is');
  const warned = commented.replace('\tpde = proc_create_single(', '\tpanic("proc: banner check failed\\n");\n\tpde = proc_create_single(');
  await put(VERSION_C, warned);
  await commit('proc: check the banner at boot');
  await put(VERSION_C, warned.replace('the kernel banner */', 'the kernel banner, one line */'));
  await commit('proc: one line');
  return hashes;
}

t.test('bisect kernel commits: built from git at each point, path-filtered, names the commit whose initcall panics', async (t) => {
  const dir = t.testdir();
  const source = await resolveSource({ kind: 'debian', package: 'linux-source-6.12' });
  const repo = join(dir, 'linux-source-6.12');
  const hashes = await makeRepo(repo, source.dir);
  const [good, doc, parent, culprit, bad] = hashes as [string, string, string, string, string];
  const scenario = join(dir, 'bisect-kernel.yaml');
  await writeFile(scenario, [
    'name: bisect-kernel',
    'kernel:',
    '  build:',
    `    source: { git: ./linux-source-6.12, ref: ${bad} }`,
    '    base: tinyconfig',
    '    fragments: [qemu-virt]',
    // The crashmod image: a module built against each point's kernel (its build tree moved into
    // the cache after compiling beside the tree), loaded at boot and checked by srcversion.
    'image: crashmod',
    'machine: { memory: 512M, cpus: 2 }',
    'timeout: 5m',
    'steps:',
    '  - run: cat /proc/version',
    '',
  ].join('\n'));
  const cache = await privateCache(join(dir, 'cache'), ['kernel-src', 'kernel-config', 'kernel-build', 'kernel-pvh', 'image', 'snapshot']);
  const resultsDir = join(dir, 'results');
  const hitsBefore = await ccacheHits();
  const started = Date.now();
  const r = await krepro(['bisect', scenario, '--good', good, '--bad', bad, '--builder', 'kernel', '--path', 'fs/proc', '--runs', '1', '--results', resultsDir], { env: { KREPRO_CACHE: cache } });
  const wallMs = Date.now() - started;
  t.equal(r.exitCode, 0, 'a culprit found', { output: r.all?.slice(-4000) });
  t.match(r.all, new RegExp(`${culprit} is the first bad commit`), 'the panicking commit named on stdout');
  const bisectDir = join(resultsDir, String(r.all?.match(/(bisect-[\w-]+)\/bisect\.md/)?.[1]));
  const s = JSON.parse(await readFile(join(bisectDir, 'bisect.json'), 'utf8')) as BisectState;
  t.match(s.target, { builder: 'kernel', repo }, 'the kernel git source was bisected (--builder kernel: the crashmod image builds a module too)');
  t.match(s.culprit, { commit: culprit, subject: 'proc: check the banner at boot' });
  t.match(s.reference, { reason: 'crash', title: /proc: banner check failed/ }, 'the reference failure from the bad end: the boot panic');
  t.same(s.points.slice(0, 2).map((p) => [p.role, p.verdict]), [['bad-end', 'bad'], ['good-end', 'good']], 'both ends verified first');
  t.notOk(s.points.some((p) => p.commit === doc), 'the Documentation commit is outside --path fs/proc: never built');
  t.match(s.culpritCheck, { verified: true, again: { reproduced: 1, attempts: 1 }, parent: { commit: parent, verdict: 'good' }, revert: { verdict: 'good' }, sameBuildAsParent: false },
    'checked: fails again, its parent passes, the bad end with it reverted passes');
  const revert = s.points.find((p) => p.role === 'verify' && p.commit !== parent);
  t.match(revert?.build?.kernel.identity, new RegExp(`git:${s.target!.clone}@`), 'the revert was built from the private clone (the commit exists only there)');
  for (const p of s.points) {
    const from = p.role === 'verify' && p.commit !== parent ? s.target!.clone : repo;
    t.match(p.build, { builder: 'kernel', value: `git:${from}@${p.commit}` }, `${p.subject}: a kernel point`);
    t.match(p.build?.kernel.identity, new RegExp(`^build:git:${from}@${p.commit}\\(${p.commit.slice(0, 12)}\\) tinyconfig\\+qemu-virt$`), `${p.subject}: built from that commit`);
    t.equal(p.attempts[0]?.class, p.verdict === 'bad' ? 'reproduced' : 'clean', `${p.subject}: ${p.attempts[0]?.message}`);
  }
  // tinyconfig has no MODULE_SRCVERSION_ALL: the module's build ID is what identifies it.
  for (const p of s.points.filter((x) => x.verdict === 'good')) {
    t.equal(p.build?.srcversions.crashmod, '', `${p.subject}: no srcversion in a tinyconfig kernel's module`);
    t.match(p.build?.buildIds?.crashmod, /^[0-9a-f]{40}$/, `${p.subject}: crashmod built against this kernel`);
    t.equal(p.attempts[0]?.guestBuildIds?.crashmod, p.build?.buildIds?.crashmod, `${p.subject}: and loaded by the guest (its build ID in /sys/module)`);
  }

  const others = s.points.filter((p) => p.role !== 'recheck');
  t.equal(new Set(others.map((p) => p.build?.kernel.hash)).size, others.length, 'a kernel build per commit');
  // Every later build differs from one already compiled by a file or two: if ccache missed across
  // trees (absolute srctree in the compiler's arguments) misses would outnumber hits.
  const after = await ccacheHits();
  const gained = { hits: after.hits - hitsBefore.hits, misses: after.misses - hitsBefore.misses };
  t.ok(gained.hits > 2 * gained.misses, `ccache hit across the commits' trees: ${gained.hits} hits, ${gained.misses} misses`);
  // git bisect ran with --no-checkout: no gigabyte work tree in the private clone.
  t.notOk(existsSync(join(s.target!.clone, VERSION_C)), 'nothing checked out in the private clone');
  const md = await readFile(join(bisectDir, 'bisect.md'), 'utf8');
  t.match(md, `**First bad commit: \`${culprit}\`**`);
  t.match(md, /Kernel panic - not syncing: proc: banner check failed[\s\S]*proc_version_init/, "the culprit's console excerpt, its initcall in the trace");
  t.comment(`${s.points.length} points (${s.points.map((p) => `${p.commit.slice(0, 7)} ${p.verdict} build ${(p.buildMs / 1000).toFixed(0)}s`).join(', ')}), ${(wallMs / 1000).toFixed(0)} s`);
  t.same(await leftoverQemu(resultsDir), [], 'no QEMU left');
});
