// `kernel: { path, modules }`: a user's own bzImage and modules tree, named
// relative to the scenario file, which may live anywhere.
import t from 'tap';
import { cp, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { resolveKernel } from '../../harness/artifacts/kernel/resolve.js';
import { runScenario } from './helpers.js';

t.test('a scenario outside the project boots a kernel given by path', async (t) => {
  // Stand in for "my own build": Debian's kernel, copied next to the scenario.
  const debian = await resolveKernel({ kind: 'debian', abi: '6.1.0-56-amd64', pos: { file: 'x', line: 1, col: 1 } });
  const mine = t.testdir({ 'kernel.yaml': '' });
  await cp(debian.bzImage, join(mine, 'bzImage'));
  await cp(dirname(debian.modulesDir), join(mine, 'mods', 'lib', 'modules'), { recursive: true });
  await writeFile(join(mine, 'kernel.yaml'), [
    'name: own-kernel',
    'kernel: { path: ./bzImage, modules: ./mods }',
    'disks: [{ id: d, size: 64M }]',
    'steps:',
    '  - run: uname -r && test -b /dev/disk/by-id/virtio-d',
  ].join('\n'));
  const { exitCode, output, res, dir } = await runScenario({ testdir: () => join(mine, 'results') }, join(mine, 'kernel.yaml'), 'own-kernel');
  t.equal(exitCode, 0, 'exit code', { output });
  t.equal(res.verdict, 'passed', res.message);
  t.equal(res.artifacts.kernel?.identity, `path:${join(mine, 'bzImage')}`);
  t.match(res.artifacts.kernel?.path, join(mine, 'bzImage'));
  t.ok(dir.startsWith(mine));
});
