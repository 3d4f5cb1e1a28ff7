// The QMP client against a scripted fake QMP server on a unix socket.
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { QmpClient, QmpError } from '../../../harness/vm/qmp.js';

/** A short private dir: unix socket paths are limited to 107 bytes, shortDir(t) paths are long. */
function shortDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'krepro-qmp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

type Handler = (cmd: { execute: string; id: string; arguments?: any }, sock: Socket) => void;

/** A fake QEMU monitor: greets, answers qmp_capabilities, then defers to `handler`. */
function fakeQmp(path: string, handler: Handler): Promise<Server> {
  const srv = createServer((sock) => {
    sock.write('{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}\r\n');
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const cmd = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (cmd.execute === 'qmp_capabilities') sock.write(`{"return": {}, "id": "${cmd.id}"}\r\n`);
        else handler(cmd, sock);
      }
    });
  });
  return new Promise((r) => srv.listen(path, () => r(srv)));
}

const send = (sock: Socket, msg: unknown): boolean => sock.write(`${JSON.stringify(msg)}\r\n`);
const event = (name: string, data: unknown) => ({ event: name, data, timestamp: { seconds: 1, microseconds: 2 } });

t.test('connect waits for the socket to appear, then negotiates', async (t) => {
  const dir = shortDir(t);
  const path = join(dir, 'qmp.sock');
  let srv: Server | undefined;
  setTimeout(async () => {
    srv = await fakeQmp(path, (cmd, sock) => send(sock, { return: { status: 'running' }, id: cmd.id }));
  }, 200);
  const qmp = await QmpClient.connect(path, { timeoutMs: 5000, log: join(dir, 'qmp.jsonl') });
  t.same(qmp.version, { major: 7, minor: 2, micro: 22 });
  t.same(await qmp.execute('query-status'), { status: 'running' });
  qmp.close();
  await qmp.waitClosed();
  srv?.close();
  const lines = readFileSync(join(dir, 'qmp.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.same(
    lines.map((l) => l.kind),
    ['greeting', 'command', 'reply', 'command', 'reply', 'closed'],
    'every message is logged in order',
  );
  t.ok(lines.every((l) => !Number.isNaN(Date.parse(l.t))), 'each line has a timestamp');
  t.equal(lines[3].msg.execute, 'query-status');
});

t.test('connect gives up at its deadline, or at once when told QEMU exited', async (t) => {
  const path = join(shortDir(t), 'never.sock');
  await t.rejects(QmpClient.connect(path, { timeoutMs: 200 }), /did not accept a connection within 200 ms/);
  await t.rejects(QmpClient.connect(path, { timeoutMs: 5000, abort: () => 'QEMU exited with code 1' }), /QEMU exited with code 1/);
});

t.test('errors carry the QMP class and description', async (t) => {
  const path = join(shortDir(t), 'qmp.sock');
  const srv = await fakeQmp(path, (cmd, sock) =>
    send(sock, { error: { class: 'DeviceNotFound', desc: "Device 'stick' not found" }, id: cmd.id }),
  );
  const qmp = await QmpClient.connect(path);
  const err = await qmp.execute('device_del', { id: 'stick' }).catch((e: unknown) => e);
  t.ok(err instanceof QmpError);
  t.match(err, { command: 'device_del', errorClass: 'DeviceNotFound', desc: "Device 'stick' not found" });
  t.match((err as Error).message, /device_del.*DeviceNotFound/);
  qmp.close();
  srv.close();
});

t.test('usb unplug: the event for the device itself is matched, even if it beat the reply', async (t) => {
  const path = join(shortDir(t), 'qmp.sock');
  const srv = await fakeQmp(path, (cmd, sock) => {
    if (cmd.execute !== 'device_del') return void send(sock, { return: {}, id: cmd.id });
    // QEMU may emit both events before the command's reply.
    send(sock, event('DEVICE_DELETED', { path: '/machine/peripheral/stick/stick.0/legacy[0]' }));
    send(sock, event('DEVICE_DELETED', { device: 'stick', path: '/machine/peripheral/stick' }));
    send(sock, { return: {}, id: cmd.id });
  });
  const qmp = await QmpClient.connect(path);
  const seen: string[] = [];
  qmp.on('event', (e) => seen.push(e.event));
  await qmp.execute('device_del', { id: 'stick' });
  const e = await qmp.waitEvent('DEVICE_DELETED', (e) => e.data?.device === 'stick', 1000);
  t.equal(e.data.path, '/machine/peripheral/stick');
  t.same(seen, ['DEVICE_DELETED', 'DEVICE_DELETED']);
  // A second wait does not re-match the old events once another command went out.
  await qmp.execute('device_add', { driver: 'usb-storage' }).catch(() => {});
  await t.rejects(qmp.waitEvent('DEVICE_DELETED', (e) => e.data?.device === 'stick', 100), /timed out/);
  qmp.close();
  srv.close();
});

t.test('mark() bounds waitEvent explicitly; later events are awaited', async (t) => {
  const path = join(shortDir(t), 'qmp.sock');
  let sockRef: Socket | undefined;
  const srv = await fakeQmp(path, (cmd, sock) => {
    sockRef = sock;
    send(sock, { return: {}, id: cmd.id });
  });
  const qmp = await QmpClient.connect(path);
  await qmp.execute('stop');
  send(sockRef!, event('STOP', {}));
  await qmp.waitEvent('STOP', undefined, 1000);
  const m = qmp.mark();
  const resumed = qmp.waitEvent('RESUME', undefined, 1000, m);
  const stopped = qmp.waitEvent('STOP', undefined, 1000, m);
  setTimeout(() => {
    send(sockRef!, event('RESUME', {}));
    send(sockRef!, event('STOP', {}));
  }, 50);
  t.ok((await resumed).seq > m);
  t.ok((await stopped).seq > m);
  qmp.close();
  srv.close();
});

t.test('a dropped connection rejects pending commands and waits', async (t) => {
  const path = join(shortDir(t), 'qmp.sock');
  const srv = await fakeQmp(path, (_cmd, sock) => sock.destroy());
  const qmp = await QmpClient.connect(path);
  const waiting = qmp.waitEvent('SHUTDOWN', undefined, 5000);
  await t.rejects(qmp.execute('quit'), /closed before quit replied/);
  await t.rejects(waiting, /closed while waiting for SHUTDOWN/);
  t.ok(qmp.closed);
  await t.rejects(qmp.execute('query-status'), /connection is closed/);
  srv.close();
});
