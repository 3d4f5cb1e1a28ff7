import t from 'tap';
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dropbearEd25519File, generateHostKey } from '../../../../harness/artifacts/image/dropbear-key.js';
import { APT_TOOLS, dropbearTools, needsTools } from '../host-tools.js';

t.test('dropbear key file layout: string "ssh-ed25519", uint32 64, seed, public key', async (t) => {
  const seed = Buffer.alloc(32, 1);
  const pub = Buffer.alloc(32, 2);
  const f = dropbearEd25519File(seed, pub);
  t.equal(f.length, 4 + 11 + 4 + 64);
  t.equal(f.readUInt32BE(0), 11);
  t.equal(f.toString('latin1', 4, 15), 'ssh-ed25519');
  t.equal(f.readUInt32BE(15), 64);
  t.same(f.subarray(19, 51), seed);
  t.same(f.subarray(51), pub);
});

t.test('fingerprint agrees with ssh-keygen', async (t) => {
  const k = generateHostKey();
  const dir = t.testdir({});
  await writeFile(join(dir, 'k.pub'), `${k.publicKeyOpenSSH}\n`);
  const out = String((await execa('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'k.pub')])).stdout);
  t.match(out, k.fingerprintSHA256);
  t.match(k.fingerprintSHA256, /^SHA256:[A-Za-z0-9+/]{43}$/);
});

// dropbear-bin comes from the Debian archive through krepro's apt: only a host without apt skips.
t.test('the real dropbearkey reads our key file and derives the same public key', { skip: needsTools(APT_TOOLS) }, async (t) => {
  const run = await dropbearTools();
  const k = generateHostKey();
  const file = join(t.testdir({}), 'host_key');
  await writeFile(file, k.dropbear, { mode: 0o600 });
  const out = await run('dropbearkey', ['-y', '-f', file]);
  t.match(out, `Fingerprint: ${k.fingerprintSHA256}`);
  const line = out.split('\n').find((l) => l.startsWith('ssh-ed25519 '));
  t.equal(line?.split(' ')[1], k.publicKeyOpenSSH.split(' ')[1]);
});
