// `kernel: { build: … }` resolves to a KernelBuildSpec with absolute fragment paths, or reports file:line:col.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { parseScenario } from '../../../harness/scenario/load.js';
import { problems } from './problems.js';
import { specFromOptions } from '../../../harness/artifacts/kernel/command.js';

const kconfigs = path.resolve('kconfigs');


t.test('Debian source, fragments by name and by path, llvm', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'krepro-kb-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'mine.config'), 'CONFIG_BTRFS_FS=y\n');
  const file = path.join(dir, 's.yaml');
  const sc = await parseScenario([
    'kernel:',
    '  build:',
    '    source: linux-source-6.12',
    '    fragments: [qemu-virt, thinlto, cfi, ./mine.config]',
    '    llvm: 16',
  ].join('\n'), file);
  t.same(sc.kernel, {
    kind: 'build',
    build: {
      source: { kind: 'debian', package: 'linux-source-6.12' }, base: 'tinyconfig', llvm: 16,
      fragments: [path.join(kconfigs, 'qemu-virt.config'), path.join(kconfigs, 'thinlto.config'), path.join(kconfigs, 'cfi.config'), path.join(dir, 'mine.config')],
    },
    pos: { file, line: 2, col: 3 },
  });
});

t.test('a git source keeps the ref; defaults: tinyconfig + qemu-virt, gcc', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'krepro-kb-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  execFileSync('git', ['init', '-q', path.join(dir, 'linux')]);
  const sc = await parseScenario('kernel: { build: { source: { git: ./linux, ref: v6.1.100 } } }\n', path.join(dir, 's.yaml'));
  t.same(sc.kernel.kind === 'build' && sc.kernel.build, {
    source: { kind: 'git', repo: path.join(dir, 'linux'), ref: 'v6.1.100' }, base: 'tinyconfig', fragments: [path.join(kconfigs, 'qemu-virt.config')],
  });
});

t.test('bad builds are reported where they are written', async (t) => {
  const file = '/nowhere/s.yaml';
  t.same(await problems('kernel:\n  build:\n    source: linux-source-6\n', file), [
    `${file}:3:13: source: 'linux-source-6' is not valid (a Debian source package like linux-source-6.12)`,
  ]);
  t.same(await problems('kernel:\n  build:\n    source: { git: /nonexistent, ref: v6.1 }\n    fragments: [qemu-virt, thinlto, nosuch]\n', file), [
    `${file}:3:20: not a git repository: /nonexistent`,
    `${file}:4:16: fragment 'nosuch' not found (${path.join(kconfigs, 'nosuch.config')})`,
    `${file}:4:16: fragments thinlto need clang: add \`llvm: 16\``,
  ]);
  t.match((await problems('kernel: { build: { source: linux-source-6.12, base: allnoconfig } }\n', file))[0], /base/);
});

t.test('the command line describes the same builds', async (t) => {
  t.same(specFromOptions({ source: 'linux-source-6.1', fragments: ['qemu-virt', 'cfi'], llvm: '16', json: false }), {
    source: { kind: 'debian', package: 'linux-source-6.1' }, base: 'tinyconfig', llvm: 16,
    fragments: [path.join(kconfigs, 'qemu-virt.config'), path.join(kconfigs, 'cfi.config')],
  });
  t.same(specFromOptions({ source: '/src/linux', ref: 'v6.1.100', fragments: [], json: false }, '/'), {
    source: { kind: 'git', repo: '/src/linux', ref: 'v6.1.100' }, base: 'tinyconfig', fragments: [path.join(kconfigs, 'qemu-virt.config')],
  });
  t.throws(() => specFromOptions({ source: 'linux-source-6.1', base: 'allyes', fragments: [], json: false }), /--base/);
});
