// Pinned Debian package versions in a scenario: a kernel ABI's linux-image
// version and a linux-source version, written as `version:` beside the package
// they pin; a bad version is reported where it is written.
import t from 'tap';
import path from 'node:path';
import { parseScenario } from '../../../harness/scenario/load.js';
import { problems as problemsIn } from './problems.js';

const file = '/nowhere/pins.yaml';
const kconfigs = path.resolve('kconfigs');

const problems = (text: string): Promise<string[]> => problemsIn(text, file);

t.test('a Debian kernel ABI pinned to one linux-image version', async (t) => {
  const sc = await parseScenario('kernel: { debian: 6.1.0-56-amd64, version: 6.1.192-2 }\n', file);
  t.same(sc.kernel, { kind: 'debian', abi: '6.1.0-56-amd64', version: '6.1.192-2', pos: { file, line: 1, col: 9 } });
  const unpinned = await parseScenario('kernel: { debian: 6.1.0-56-amd64 }\n', file);
  t.notOk(unpinned.kernel.kind === 'debian' && 'version' in unpinned.kernel, 'no version: whatever the archive (or the lock) has');
});

t.test('a linux-source package pinned to one version', async (t) => {
  const sc = await parseScenario([
    'kernel:',
    '  build:',
    '    source: { debian: linux-source-6.12, version: 6.12.117-1~deb12u1 }',
  ].join('\n'), file);
  t.same(sc.kernel.kind === 'build' && sc.kernel.build, {
    source: { kind: 'debian', package: 'linux-source-6.12', version: '6.12.117-1~deb12u1' }, base: 'tinyconfig',
    fragments: [path.join(kconfigs, 'qemu-virt.config')],
  });
});

t.test('epochs and tildes are versions; words and blanks are not, reported at file:line:col', async (t) => {
  t.same(await problems('kernel: { debian: 6.1.0-56-amd64, version: "1:6.1.192-2~bpo11+1" }\n'), []);
  t.same(await problems('kernel: { debian: 6.1.0-56-amd64, version: latest }\n'), [
    `${file}:1:44: version: 'latest' is not valid (a Debian package version like 6.12.117-1~deb12u1)`,
  ]);
  t.same(await problems('kernel:\n  build:\n    source: { debian: linux-source-6.12 }\n'), [
    `${file}:3:13: missing required key 'version'`,
  ]);
  t.same(await problems('kernel:\n  build:\n    source: { debian: linux-source-6.12, version: "6.12 117" }\n'), [
    `${file}:3:51: version: '6.12 117' is not valid (a Debian package version like 6.12.117-1~deb12u1)`,
  ]);
});
