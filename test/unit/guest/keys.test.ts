import t from 'tap';
import ssh2 from 'ssh2';
import { fingerprintOf, generateClientKey } from '../../../harness/guest/keys.js';

t.test('every generated client key parses (ssh2 alone fails ~0.4% of the time)', async (t) => {
  let bad = 0;
  for (let i = 0; i < 1000; i++) {
    if (ssh2.utils.parseKey(generateClientKey().privateKey) instanceof Error) bad++;
  }
  t.equal(bad, 0);
});

t.test('the public half is an OpenSSH ed25519 line', async (t) => {
  t.match(generateClientKey().publicKey, /^ssh-ed25519 [A-Za-z0-9+/]+=* krepro$/);
});

t.test('fingerprints are OpenSSH-style SHA256 without padding', async (t) => {
  t.equal(fingerprintOf(Buffer.from('abc')), 'SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0');
});
