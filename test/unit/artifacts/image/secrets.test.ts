import t from 'tap';
import { execa } from 'execa';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { newcArchive, S_IFREG } from '../../../../harness/artifacts/image/cpio.js';
import { withRunSecrets } from '../../../../harness/artifacts/image/image.js';
import { generateHostKey } from '../../../../harness/artifacts/image/dropbear-key.js';

const authorizedKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFXDCOVlLpTq+Wp3jZ6Jj5RLXLHlXZ+7M+V99jTP4LDJ krepro-client';

t.test('GNU cpio reads our newc archives', async (t) => {
  const a = newcArchive([{ name: 'odd-name.txt', mode: S_IFREG | 0o644, data: Buffer.from('abcde') }]);
  t.equal(a.length % 4, 0);
  const list = await execa('cpio', ['-t', '--quiet'], { input: a });
  t.equal(String(list.stdout), 'odd-name.txt');
});

t.test('withRunSecrets appends the secrets to a copy of the base', async (t) => {
  const dir = t.testdir({ out: {} });
  const base = gzipSync(Buffer.from('pretend base cpio'));
  await writeFile(join(dir, 'base.img'), base);
  const key = generateHostKey();
  const out = await withRunSecrets(
    { initrd: join(dir, 'base.img'), hash: 'h', name: 'base', readyMarker: 'krepro-ready', builds: [] },
    { authorizedKey, hostKeyDropbear: key.dropbear },
    join(dir, 'out'),
  );
  t.equal(out, join(dir, 'out', 'initrd.img'));
  t.same(await readFile(join(dir, 'base.img')), base, 'cached base untouched');
  const all = await readFile(out);
  t.same(all.subarray(0, base.length), base);
  t.equal((await stat(out)).mode & 0o777, 0o600);

  const cpio = gunzipSync(all.subarray(base.length));
  const listing = String((await execa('cpio', ['-tv', '--quiet'], { input: cpio })).stdout).split('\n');
  const modes = Object.fromEntries(listing.map((l) => [l.split(/\s+/).pop(), l.split(/\s+/)[0]]));
  t.same(modes, {
    etc: 'drwxr-xr-x',
    'etc/dropbear': 'drwxr-xr-x',
    'etc/dropbear/dropbear_ed25519_host_key': '-rw-------',
    root: 'drwx------',
    'root/.ssh': 'drwx------',
    'root/.ssh/authorized_keys': '-rw-------',
  });
  t.ok(listing.every((l) => /\sroot\s+root\s/.test(l)), 'owned by 0:0');

  const x = join(dir, 'x');
  await execa('mkdir', [x]);
  await execa('cpio', ['-id', '--quiet', '--no-absolute-filenames'], { input: cpio, cwd: x });
  t.same(await readFile(join(x, 'etc/dropbear/dropbear_ed25519_host_key')), key.dropbear);
  t.equal(await readFile(join(x, 'root/.ssh/authorized_keys'), 'utf8'), `${authorizedKey}\n`);
});

t.test('rejects an authorized key that is not one OpenSSH line', async (t) => {
  const dir = t.testdir({ 'b.img': 'x' });
  await t.rejects(withRunSecrets(
    { initrd: join(dir, 'b.img'), hash: 'h', name: 'b', readyMarker: 'r', builds: [] },
    { authorizedKey: 'not a key', hostKeyDropbear: Buffer.alloc(83) },
    dir,
  ), /OpenSSH public key/);
});
