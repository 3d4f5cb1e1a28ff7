// A module's nightly with --bisect-new, for real: night 1 runs the module's tree at a
// good commit; two commits later (the second makes a write hit BUG()) night 2 finds a
// new failure, retries it, bundles it, and bisects the module tree between the two
// nights' commits (read from result.json's build:kmod rows) — naming the commit.
import t from 'tap';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { MatrixSummary } from '../../harness/matrix/types.js';
import { krepro, leftoverQemu, privateCache, ROOT, runDir } from './helpers.js';

const source = (body: string) => `#include <linux/module.h>
#include <linux/proc_fs.h>
MODULE_LICENSE("GPL");
static int writes;
static noinline void crashmod_fastpath(void) { BUG(); }
static ssize_t crashmod_write(struct file *f, const char __user *b, size_t n, loff_t *o)
{
${body}\treturn n;
}
static const struct proc_ops crashmod_ops = { .proc_write = crashmod_write };
static int __init crashmod_init(void) { return proc_create("crashmod", 0200, NULL, &crashmod_ops) ? 0 : -ENOMEM; }
static void __exit crashmod_exit(void) { remove_proc_entry("crashmod", NULL); }
module_init(crashmod_init);
module_exit(crashmod_exit);
`;

async function summaryOf(resultsDir: string): Promise<{ dir: string; s: MatrixSummary }> {
  const dir = await runDir(resultsDir);
  return { dir, s: JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as MatrixSummary };
}

t.test('--bisect-new names the module commit that broke the nightly', async (t) => {
  const dir = t.testdir();
  const repo = join(dir, 'mod');
  const who = { GIT_AUTHOR_NAME: 'Ada Module', GIT_AUTHOR_EMAIL: 'ada@example.org', GIT_COMMITTER_NAME: 'Ada Module', GIT_COMMITTER_EMAIL: 'ada@example.org' };
  const git = (...a: string[]) => execa('git', ['-C', repo, ...a], { env: who });
  const commit = async (subject: string, body: string): Promise<string> => {
    await writeFile(join(repo, 'crashmod.c'), source(body));
    await git('add', 'Kbuild', 'crashmod.c');
    await git('commit', '--quiet', '-m', subject);
    return String((await git('rev-parse', 'HEAD')).stdout).trim();
  };
  await execa('git', ['init', '--quiet', repo]);
  await copyFile(join(ROOT, 'test/fixtures/crashmod/Kbuild'), join(repo, 'Kbuild'));
  await commit('initial: /proc/crashmod takes writes', '\t(void)crashmod_fastpath;\n');

  const nightly = join(dir, 'nightly');
  await mkdir(nightly);
  await writeFile(join(nightly, 'mod-write.yaml'), `name: mod-write\nimage: { name: crashmod, kmod: ${JSON.stringify(repo)} }\nmachine: { memory: 1G, cpus: 2 }\ntimeout: 5m\nsteps:\n  - run: echo go > /proc/crashmod\n`);
  await writeFile(join(nightly, 'matrix.yaml'), 'name: module-nightly\nscenarios: [mod-write.yaml]\n');
  const env = { KREPRO_CACHE: await privateCache(join(dir, 'cache'), ['kmod', 'image']) };

  const n1 = await krepro(['matrix', join(nightly, 'matrix.yaml'), '--results', join(dir, 'night1')], { env });
  t.equal(n1.exitCode, 0, 'night 1 passes', { output: n1.all });
  const one = await summaryOf(join(dir, 'night1'));

  await commit('count writes', '\t(void)crashmod_fastpath;\n\twrites++;\n');
  const culprit = await commit('fast path for writes', '\twrites++;\n\tcrashmod_fastpath();\n');

  const n2 = await krepro(['matrix', join(nightly, 'matrix.yaml'), '--baseline', one.dir, '--bisect-new', '--results', join(dir, 'night2')], { env });
  t.equal(n2.exitCode, 1, 'night 2 has a new failure', { output: n2.all?.slice(-4000) });
  const { dir: d2, s } = await summaryOf(join(dir, 'night2'));
  const cell = s.cells[0]!;
  t.same([cell.id, cell.class, cell.retried, cell.rate], ['mod-write', 'new-failure', 1, '2/2']);
  t.match(cell.crash, { kind: 'kernel-bug', title: 'kernel BUG in crashmod_fastpath' });
  t.match(cell.artifacts['build:kmod']?.identity, new RegExp(`git:.*@HEAD\\(${culprit.slice(0, 12)}\\)`), "this night's module commit is recorded");
  t.ok(cell.bundle && existsSync(join(d2, cell.bundle)), 'bundled');
  t.match(cell.bisect, { status: 'found', range: { artifact: 'build:kmod', bad: culprit.slice(0, 12) }, culprit: { commit: culprit, subject: 'fast path for writes' } });
  t.ok(existsSync(join(d2, cell.bisect!.dir!, 'bisect.md')), 'bisect.md in the report');
  t.match(n2.stdout, new RegExp(`bisect: first bad commit ${culprit.slice(0, 12)} fast path for writes`));
  t.match(await readFile(join(d2, 'report.html'), 'utf8'), new RegExp(`first bad commit <code>${culprit.slice(0, 12)}</code>`));
  t.same(await leftoverQemu(d2), [], 'no QEMU of night 2 or its bisection left');
});
