// Guest.exec against a real SSH server (ssh2's own, in-process): a command the
// server refuses to start is retried and, if it stays refused, reported as
// refused — not as a lost connection; a connection that drops is lost; a
// second session can be opened to the same guest.
import t from 'tap';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import { Guest } from '../../../harness/guest/ssh.js';
import { fingerprintOf, generateClientKey } from '../../../harness/guest/keys.js';

interface Fake { port: number; fingerprint: string; sessions: number; refusals: number; close: () => Promise<void> }

/** An SSH server that refuses the first `refuse` session channels, then runs `echo`-like commands; `drop` ends the connection on exec. */
async function fakeGuest(behaviour: { refuse: number; drop?: boolean; dropAfterRefusal?: boolean }): Promise<Fake> {
  const host = ssh2.utils.generateKeyPairSync('ed25519');
  const pub = ssh2.utils.parseKey(host.private);
  if (pub instanceof Error) throw pub;
  const fake = { sessions: 0, refusals: 0 } as Fake;
  let left = behaviour.refuse;
  const server = new ssh2.Server({ hostKeys: [host.private] }, (client) => {
    fake.sessions++;
    client.on('authentication', (ctx) => ctx.accept());
    client.on('error', () => {});
    client.on('session', (accept, reject) => {
      if (left > 0) {
        left--;
        fake.refusals++;
        if (behaviour.dropAfterRefusal) setTimeout(() => client.end(), 50);
        return reject();
      }
      accept().on('exec', (acceptExec, _rejectExec, info) => {
        if (behaviour.drop) return client.end();
        const ch = acceptExec();
        ch.write(`ran: ${info.command}\n`);
        ch.exit(0);
        ch.end();
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.port = (server.address() as AddressInfo).port;
  fake.fingerprint = fingerprintOf(pub.getPublicSSH());
  fake.close = () => new Promise((r) => server.close(() => r()));
  return fake;
}

async function connect(f: Fake): Promise<Guest> {
  return Guest.connect({ port: f.port, privateKey: generateClientKey().privateKey, hostFingerprint: f.fingerprint, deadline: Date.now() + 10_000 });
}

t.test('a refused command is retried and then runs; each refusal is told', async (t) => {
  const f = await fakeGuest({ refuse: 2 });
  t.teardown(f.close);
  const g = await connect(f);
  t.teardown(() => g.close());
  const told: number[] = [];
  g.onRefused = (_why, n) => told.push(n);
  const r = await g.exec('uname -r', { timeoutMs: 20_000 });
  t.equal(r.code, 0);
  t.equal(r.stdout, 'ran: uname -r\n');
  t.equal(r.refused, undefined);
  t.same(told, [1, 2]);
  t.equal(f.refusals, 2);
});

t.test('refused every time: reported as refused with the reason, the connection is not lost', async (t) => {
  const f = await fakeGuest({ refuse: 100 });
  t.teardown(f.close);
  const g = await connect(f);
  t.teardown(() => g.close());
  const r = await g.exec('true', { timeoutMs: 20_000 });
  t.match(r.refused, /open failure/i);
  t.equal(r.lost, false);
  t.equal(g.lost, false);
  t.equal(f.refusals, 5, 'one try and four retries');
});

t.test('a timeout bounds the retries', async (t) => {
  const f = await fakeGuest({ refuse: 100 });
  t.teardown(f.close);
  const g = await connect(f);
  t.teardown(() => g.close());
  const r = await g.exec('true', { timeoutMs: 800 });
  t.ok(r.refused !== undefined || r.timedOut, 'refused or timed out');
  t.ok(f.refusals < 5, `fewer than five tries within 0.8 s (${f.refusals})`);
});

t.test('a connection that drops is lost, and a fresh session still reaches the guest', async (t) => {
  const f = await fakeGuest({ refuse: 0, drop: true });
  t.teardown(f.close);
  const g = await connect(f);
  const r = await g.exec('true', { timeoutMs: 20_000 });
  t.equal(r.lost, true);
  t.equal(r.refused, undefined);
  t.equal(g.lost, true);
  const second = await g.reconnect(10_000);
  t.equal(second.lost, false);
  t.equal(f.sessions, 2, 'a second connection was made');
  second.close();
});

t.test('a refusal followed by the connection going down is reported lost, not refused', async (t) => {
  const f = await fakeGuest({ refuse: 100, dropAfterRefusal: true });
  t.teardown(f.close);
  const g = await connect(f);
  const r = await g.exec('true', { timeoutMs: 20_000 });
  t.equal(r.lost, true);
  t.equal(r.refused, undefined);
  t.equal(f.refusals, 1, 'no retry once the connection was gone');
});
