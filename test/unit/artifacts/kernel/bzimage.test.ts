import t from 'tap';
import { bzImageVersion, parseBzImageVersion } from '../../../../harness/artifacts/kernel/bzimage.js';
import { resolveKernel } from '../../../../harness/artifacts/kernel/resolve.js';
import { APT_TOOLS, needsTools } from '../host-tools.js';

t.test('parses a synthetic setup header', async (t) => {
  const buf = Buffer.alloc(0x1000);
  buf.write('HdrS', 0x202, 'latin1');
  buf.writeUInt16LE(0x300, 0x20e);
  buf.write('6.9.0-test (me@host) #1 SMP\0', 0x500, 'latin1');
  t.same(parseBzImageVersion(buf), { release: '6.9.0-test', full: '6.9.0-test (me@host) #1 SMP' });
});

t.test('rejects what is not a bzImage', async (t) => {
  t.throws(() => parseBzImageVersion(Buffer.alloc(0x1000)), /not a bzImage/);
});

// The kernel comes from krepro's cache (or the Debian archive through its apt): only a host without apt skips.
t.test('reads the release of the real Debian 6.1.0-56-amd64 bzImage', { skip: needsTools(APT_TOOLS) }, async (t) => {
  const bz = (await resolveKernel({ kind: 'debian', abi: '6.1.0-56-amd64', pos: { file: '', line: 0, col: 0 } })).bzImage;
  const v = await bzImageVersion(bz);
  t.equal(v.release, '6.1.0-56-amd64');
  t.match(v.full, /^6\.1\.0-56-amd64 \(debian-kernel@lists\.debian\.org\) #1 SMP/);
});
