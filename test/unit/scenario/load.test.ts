// Valid scenarios resolve to exactly the Scenario the runner expects.
import { mkdtemp, writeFile, chmod, rm } from 'node:fs/promises';
import { execa } from 'execa';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadScenario, parseScenario, ScenarioError } from '../../../harness/scenario/load.js';

const fixtures = path.resolve('test/fixtures/scenarios');
const valid = (name: string) => path.join(fixtures, 'valid', name);
const imagesDir = path.join(fixtures, 'images');
const at = (file: string, line: number, col: number) => ({ file, line, col });
const MiB = 2 ** 20;

t.test('the DESIGN.md example resolves completely', async (t) => {
  const file = valid('full.yaml');
  const sc = await loadScenario(file, { imagesDir });
  t.same(sc, {
    file,
    name: 'zfs-raw-send-usb-replug',
    description: 'Raw send of an encrypted dataset into a pool on a USB disk that drops off the bus and comes back one second later, mid-transfer.\n',
    kernel: { kind: 'debian', abi: '6.1.0-56-amd64', pos: at(file, 6, 9) },
    image: { name: 'zfs', recipe: path.join(imagesDir, 'zfs.yaml'), params: {}, pos: at(file, 7, 8) },
    machine: { memoryMiB: 2048, cpus: 2, accel: 'auto', entry: 'auto' },
    cmdline: ['spl.spl_panic_halt=1'],
    disks: [
      { id: 'tank', sizeBytes: 2 * 1024 * MiB, bus: 'virtio', serial: 'tank', pos: at(file, 11, 5) },
      { id: 'stick', sizeBytes: 2 * 1024 * MiB, bus: 'usb', serial: 'stick', pos: at(file, 12, 5) },
    ],
    timeoutMs: 30 * 60_000,
    bootTimeoutMs: 5 * 60_000,
    steps: [
      {
        index: 1, pos: at(file, 15, 5), kind: 'run', expectExit: 0,
        label: 'run: zpool create src /dev/disk/by-id/virtio-tank && zpool …',
        command: 'zpool create src /dev/disk/by-id/virtio-tank && zpool create stick /dev/disk/by-id/usb-QEMU_QEMU_HARDDISK_stick-0:0',
      },
      {
        index: 2, pos: at(file, 16, 5), kind: 'run', expectExit: 0, background: 'send',
        label: 'run: zfs send -w src/enc@s1 | zfs recv -s stick/copy', command: 'zfs send -w src/enc@s1 | zfs recv -s stick/copy',
      },
      {
        index: 3, pos: at(file, 18, 5), kind: 'wait', on: 'poll', everyMs: 2000, timeoutMs: 600_000,
        label: 'wait: zfs get -Hpo value written stick/copy until >= 100M',
        run: 'zfs get -Hpo value written stick/copy', until: { kind: 'compare', op: '>=', value: 100 * MiB },
      },
      { index: 4, pos: at(file, 19, 5), kind: 'unplug', label: 'unplug: stick', disk: 'stick' },
      { index: 5, pos: at(file, 20, 5), kind: 'sleep', label: 'sleep: 1s', ms: 1000 },
      { index: 6, pos: at(file, 21, 5), kind: 'plug', label: 'plug: stick', disk: 'stick' },
      { index: 7, pos: at(file, 22, 5), kind: 'run', expectExit: 0, label: 'run: zpool clear stick', command: 'zpool clear stick' },
      { index: 8, pos: at(file, 23, 5), kind: 'wait', on: 'job', timeoutMs: 20 * 60_000, label: 'wait: job send', job: 'send' },
    ],
    expect: { crashes: 'none', allow: [] },
    repeat: 1,
    snapshot: true,
  });
});

t.test('defaults fill everything a minimal scenario leaves out', async (t) => {
  const file = valid('minimal.yaml');
  const sc = await loadScenario(file, { imagesDir });
  t.equal(sc.name, 'minimal', 'name = file name without extension');
  t.same(sc.kernel, { kind: 'debian', abi: '6.1.0-56-amd64', pos: at(file, 2, 1) }, 'defaulted parts point at the top mapping');
  t.same(sc.image, { name: 'base', recipe: path.join(imagesDir, 'base.yaml'), params: {}, pos: at(file, 2, 1) }, 'defaulted parts point at the top mapping');
  t.same(sc.machine, { memoryMiB: 1024, cpus: 2, accel: 'auto', entry: 'auto' });
  t.same([sc.cmdline, sc.disks, sc.expect, sc.repeat], [[], [], { crashes: 'none', allow: [] }, 1]);
  t.equal(sc.timeoutMs, 30 * 60_000);
  t.equal(sc.bootTimeoutMs, 5 * 60_000);
  t.equal(sc.description, undefined);
  t.same(sc.steps, [{ index: 1, pos: at(file, 3, 5), kind: 'run', label: 'run: uname -a', command: 'uname -a', expectExit: 0 }]);
});

t.test('kernel paths resolve against the scenario file, not the working directory', async (t) => {
  const file = valid('path-kernel.yaml');
  const cwd = process.cwd();
  process.chdir(os.tmpdir());
  t.teardown(() => process.chdir(cwd));
  const sc = await loadScenario(file, { imagesDir });
  t.same(sc.kernel, {
    kind: 'path', bzImage: path.join(fixtures, 'kernel', 'bzImage'), modules: path.join(fixtures, 'kernel', 'mods'), pos: at(file, 3, 9),
  });
  t.same(sc.machine, { memoryMiB: 512, cpus: 1, accel: 'tcg', entry: 'auto' });
  t.equal(sc.bootTimeoutMs, 90_000, 'a plain number is seconds');
  t.equal(sc.timeoutMs, 90 * 60_000);
});

t.test('every step kind and option', async (t) => {
  const file = valid('everything.yaml');
  const sc = await loadScenario(file, { imagesDir });
  t.same(sc.image.params, { zfs: '2.10', debug: true, jobs: 4 }, 'a version written 2.10 stays "2.10"');
  t.equal(sc.machine.memoryMiB, 1536);
  t.same(sc.cmdline, ['spl.spl_panic_halt=1', 'dyndbg="file zio.c +p"']);
  t.same(sc.disks.map((d) => [d.id, d.serial, d.bus, d.sizeBytes]), [['stick', 'STICK-01', 'usb', 512 * MiB], ['scratch', 'scratch', 'virtio', 1024 * MiB]]);
  t.same(sc.expect, { crashes: [{ kind: 'BUG', title: 'kernel BUG at fs/btrfs/ctree\\.c' }, { title: 'parent transid verify failed' }], allow: [] });
  t.equal(sc.repeat, 5);
  const [plain, stdin, multi, bg, consoleWait, regexWait, cmpWait, unplug, sleep, plug, qmp, qmpBare, waitBalance, waitSend] = sc.steps;
  t.same(plain, { index: 1, pos: at(file, 12, 5), kind: 'run', label: 'run: true', command: 'true', expectExit: 0 }, '`run: true` is the command true');
  t.match(stdin, { kind: 'run', stdin: 'hello\n', timeoutMs: 30_000, expectExit: 'any' });
  t.match(multi, { kind: 'run', background: 'balance', label: 'run: set -e …', command: 'set -e\nbtrfs balance start /mnt\n' });
  t.match(bg, { kind: 'run', background: 'send', expectExit: 1 });
  t.same(consoleWait, { index: 5, pos: at(file, 24, 5), kind: 'wait', on: 'console', timeoutMs: 60_000, label: 'wait: console /BTRFS (info|warning)/', console: 'BTRFS (info|warning)' });
  t.match(regexWait, { kind: 'wait', on: 'poll', run: 'zpool status -x', until: { kind: 'match', regex: 'all pools are healthy' }, everyMs: 500, timeoutMs: 45 * 60_000 });
  t.match(cmpWait, { until: { kind: 'compare', op: '<', value: 1.5 * 1024 * MiB }, label: 'wait: cat /sys/block/sda/size until < 1.5G' });
  t.match(unplug, { kind: 'unplug', disk: 'stick' });
  t.match(sleep, { kind: 'sleep', ms: 1500, label: 'sleep: 1s500ms' });
  t.match(plug, { kind: 'plug', disk: 'stick' });
  t.same(qmp, { index: 11, pos: at(file, 30, 5), kind: 'qmp', label: 'qmp: device_del', execute: 'device_del', arguments: { id: 'stick-dev' } });
  t.same(qmpBare, { index: 12, pos: at(file, 31, 5), kind: 'qmp', label: 'qmp: query-status', execute: 'query-status' });
  t.match(waitBalance, { kind: 'wait', on: 'job', job: 'balance', timeoutMs: 45 * 60_000 }, 'wait timeout defaults to the scenario timeout');
  t.match(waitSend, { kind: 'wait', on: 'job', job: 'send', timeoutMs: 20 * 60_000 });
});

t.test('image parameters: { name, PARAM: VALUE } or { NAME: { PARAM: VALUE } }', async (t) => {
  const file = valid('image-nested.yaml');
  const sc = await loadScenario(file, { imagesDir });
  t.same(sc.image, { name: 'btrfs', recipe: path.join(imagesDir, 'btrfs.yaml'), params: { 'btrfs-progs': '6.14-1~bpo12+1', debug: true }, pos: at(file, 2, 8) });
});

t.test('expect.exit is the default expected status of run steps', async (t) => {
  const sc = await parseScenario('expect: { exit: any }\nsteps:\n  - run: a\n  - run: b\n    expect-exit: 3\n', '/x/s.yaml', { imagesDir });
  t.same(sc.steps.map((s) => s.kind === 'run' && s.expectExit), ['any', 3]);
});

t.test('YAML anchors and aliases work like the text they stand for', async (t) => {
  const text = 'disks:\n  - { id: a, size: &sz 1G }\n  - { id: b, size: *sz, bus: usb }\nsteps:\n  - run: &cmd sync\n  - run: *cmd\n';
  const sc = await parseScenario(text, '/x/alias.yaml', { imagesDir });
  t.same(sc.disks.map((d) => d.sizeBytes), [1024 * MiB, 1024 * MiB]);
  t.same(sc.steps.map((s) => s.kind === 'run' && s.command), ['sync', 'sync']);
});

t.test('long labels are cut at 60 characters', async (t) => {
  const sc = await parseScenario(`steps:\n  - run: echo ${'x'.repeat(100)}\n`, '/x/l.yaml', { imagesDir });
  t.equal(sc.steps[0]!.label.length, 60);
  t.match(sc.steps[0]!.label, /^run: echo x+…$/);
});

t.test('a file that cannot be read is one problem at 1:1 with the OS error', async (t) => {
  const missing = path.join(fixtures, 'no-such.yaml');
  const err = await loadScenario(missing).catch((e: unknown) => e);
  t.ok(err instanceof ScenarioError);
  t.same((err as ScenarioError).problems, [{ file: missing, line: 1, col: 1, message: `ENOENT: no such file or directory, open '${missing}'` }]);
  t.equal((err as Error).message, `${missing}:1:1: ENOENT: no such file or directory, open '${missing}'`);
});

t.test('a file the user may not read is one problem at 1:1 with EACCES, even when the tests run as root', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'krepro-scn-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await chmod(dir, 0o755);
  const locked = path.join(dir, 'locked.yaml');
  await writeFile(locked, 'steps: []\n');
  await chmod(locked, 0);
  const problems = process.getuid?.() === 0 ? await problemsWithoutDacOverride(locked) : ((await loadScenario(locked).catch((e: unknown) => e)) as ScenarioError).problems;
  t.same(problems, [{ file: locked, line: 1, col: 1, message: `EACCES: permission denied, open '${locked}'` }]);
});

/**
 * loadScenario's problems for `file`, from a child that is still root but without
 * CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH (root reads a mode-0 file regardless): the same
 * module through the same TypeScript loader, problems printed as JSON. Not `nobody`: a
 * checkout under /root (0700, as README's commands leave it on a fresh host) is closed to
 * nobody, and the child could not even load the module (the fresh-root run found that).
 */
async function problemsWithoutDacOverride(file: string): Promise<unknown> {
  const tsLoader = process.execArgv.filter((a) => a.includes('@tapjs/typescript'));
  const load = new URL('../../../harness/scenario/load.ts', import.meta.url).href;
  const script = `
    const { loadScenario } = await import(${JSON.stringify(load)});
    const e = await loadScenario(${JSON.stringify(file)}).then(() => new Error('loaded'), (x) => x);
    console.log(JSON.stringify(e.problems ?? String(e)));`;
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // tap's coverage hooks: not this child's business
  // Root's capabilities after exec are its bounding set: dropping the two there drops them for good.
  const r = await execa('setpriv', ['--bounding-set=-dac_override,-dac_read_search', '--', process.execPath, ...tsLoader, '--input-type=module', '-e', script], { env, extendEnv: false, reject: false });
  if (r.exitCode !== 0) throw new Error(`child without DAC override failed (${r.exitCode}): ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

t.test('problems come out in file order, one per line', async (t) => {
  const err = (await parseScenario('repeat: 0\nmachine: { cpus: 0 }\ntimeout: x\n', 'p.yaml', { imagesDir }).catch((e: unknown) => e)) as ScenarioError;
  t.same(err.problems.map((p) => `${p.line}:${p.col}`), ['1:9', '2:18', '3:10']);
  t.match(err.message, /^p\.yaml:1:9: repeat: .*\np\.yaml:2:18: cpus: .*\np\.yaml:3:10: timeout: invalid duration 'x'/);
});

t.test('the default images folder is the repository images/', async (t) => {
  const err = (await parseScenario('image: surely-not-a-recipe\n', 'i.yaml').catch((e: unknown) => e)) as ScenarioError;
  t.match(err.problems[0]!.message, `no image recipe 'surely-not-a-recipe' in ${path.resolve('images')}`);
});
