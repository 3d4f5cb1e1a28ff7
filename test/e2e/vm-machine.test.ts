// Real QEMU (TCG), no guest OS: the machine lifecycle, QMP, USB hot-unplug,
// start failures, port collisions and the reaper. Each test checks that no
// QEMU it started survives: by the pid a Machine reports, or, for one that
// failed to start, by a /proc scan for its private dir in QEMU's argv.
import t, { type Test } from 'tap';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, truncateSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scsiChildQomPath, type VmDisk } from '../../harness/vm/argv.js';
import { Machine, QemuStartError, freePort, type StartConfig } from '../../harness/vm/machine.js';
import { PROBE_MARKER, probeBootSector } from '../../harness/vm/probe.js';
import { qemuPids } from './helpers.js';

const QEMU = 'qemu-system-x86_64';

/** A short private dir (unix socket paths are limited to 107 bytes). */
function workDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'krepro-e2e-vm-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function disks(dir: string): VmDisk[] {
  writeFileSync(join(dir, 'tank.raw'), '');
  truncateSync(join(dir, 'tank.raw'), 16 << 20);
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'stick.qcow2'), '16M']);
  return [
    { id: 'tank', file: join(dir, 'tank.raw'), format: 'raw', bus: 'virtio', serial: 'tank' },
    { id: 'stick', file: join(dir, 'stick.qcow2'), format: 'qcow2', bus: 'usb', serial: 'stick01', removable: true },
  ];
}

// Every QEMU a test starts carries its private dir in its argv (-name), so a scan of
// /proc finds the ones whose pid no Machine reports (those that failed to start).
function config(dir: string, extra: Partial<StartConfig> = {}): StartConfig {
  return { qemu: QEMU, accel: 'tcg', cpus: 1, memoryMiB: 128, disks: [], ...extra, extra: ['-name', `krepro-e2e:${dir}`, ...(extra.extra ?? [])] };
}

function logs(dir: string) {
  return { consoleLog: join(dir, 'console.log'), qmpLog: join(dir, 'qmp.jsonl') };
}

t.test('start, QMP, pause/resume, usb unplug and replug, stop', async (t) => {
  const dir = workDir(t);
  const t0 = Date.now();
  const m = await Machine.start(config(dir, { disks: disks(dir) }), logs(dir));
  t.comment(`QEMU start to QMP ready: ${Date.now() - t0} ms`);
  t.teardown(() => m.stop());
  t.ok(alive(m.pid));
  t.same(qemuPids({ arg: dir }), [m.pid], 'the /proc scan the other tests rely on sees this QEMU, and only it');
  t.ok(m.sshPort > 0, `ssh forwarded from 127.0.0.1:${m.sshPort}`);
  const sockDir = m.cfg.qmpSocket.replace(/\/qmp\.sock$/, '');
  t.equal(execFileSync('stat', ['-c', '%a', sockDir], { encoding: 'utf8' }).trim(), '700', 'QMP socket dir is private');
  t.match(await m.qmp.execute('query-status'), { status: 'running' });

  await m.qmp.execute('stop');
  await m.qmp.waitEvent('STOP', undefined, 5000);
  t.match(await m.qmp.execute('query-status'), { status: 'paused' });
  await m.qmp.execute('cont');
  await m.qmp.waitEvent('RESUME', undefined, 5000);

  // The scsi-disk inside usb-storage is where I/O throttling applies.
  await m.qmp.execute('block_set_io_throttle', {
    id: scsiChildQomPath('stick'), bps: 1 << 20, bps_rd: 0, bps_wr: 0, iops: 0, iops_rd: 0, iops_wr: 0,
  });

  const gone = await m.unplug('stick', 10_000);
  t.match(gone.data, { device: 'stick', path: '/machine/peripheral/stick' });
  const deleted = m.qmp.events().filter((e) => e.event === 'DEVICE_DELETED');
  t.same(deleted.map((e) => e.data.device), [undefined, 'stick'], 'the scsi child goes first, without a device name');
  await t.rejects(m.qmp.execute('qom-list', { path: '/machine/peripheral/stick' }), /not found/i);

  await m.plug('stick');
  t.ok((await m.qmp.execute('qom-list', { path: scsiChildQomPath('stick') })).length > 0, 'replugged with its scsi child');
  await m.unplug('stick', 10_000); // and it can go again: the blockdev node survived
  await m.plug('stick');
  await t.rejects(m.plug('tank'), /only usb disks/);

  await m.stop();
  t.ok(m.exited);
  t.same(m.exitInfo(), { code: 0, signal: null }, 'QMP quit is a clean exit');
  t.notOk(alive(m.pid));
  t.notOk(existsSync(sockDir), 'private dir removed');
  await m.stop(); // idempotent
  const kinds = readFileSync(join(dir, 'qmp.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.ok(kinds.some((l) => l.kind === 'event' && l.msg.event === 'SHUTDOWN'), 'SHUTDOWN logged');
  t.ok(kinds.some((l) => l.kind === 'command' && l.msg.execute === 'device_add'), 'commands logged');
});

t.test('the serial console reaches the log and the callback', async (t) => {
  const dir = workDir(t);
  const img = join(dir, 'boot.img');
  writeFileSync(img, probeBootSector());
  truncateSync(img, 1 << 20);
  const chunks: Buffer[] = [];
  let exited: [number | null, string | null] | undefined;
  // Without isa-debug-exit the boot sector prints its marker and halts.
  const m = await Machine.start(config(dir, { extra: ['-drive', `file=${img},format=raw,if=ide,snapshot=on`] }), {
    ...logs(dir),
    onConsole: (c) => chunks.push(c),
    onExit: (code, signal) => (exited = [code, signal]),
  });
  t.teardown(() => m.stop());
  const deadline = Date.now() + 20_000;
  while (!Buffer.concat(chunks).toString().includes(PROBE_MARKER) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.match(Buffer.concat(chunks).toString(), PROBE_MARKER);
  await m.stop();
  t.match(readFileSync(join(dir, 'console.log'), 'utf8'), PROBE_MARKER, 'console.log drained and closed');
  t.same(exited, [0, null]);
});

t.test('QEMU that will not start: the error carries its stderr', async (t) => {
  const dir = workDir(t);
  const err = await Machine.start(config(dir, { kernel: join(dir, 'no-such-bzImage') }), logs(dir)).catch((e: unknown) => e);
  t.ok(err instanceof QemuStartError);
  t.match((err as Error).message, /QEMU would not start: exited/);
  t.match((err as Error).message, /no-such-bzImage/, 'stderr names the missing kernel');
  t.match((err as Error).message, /argv: qemu-system-x86_64 /);
  const bad = await Machine.start(config(dir, { extra: ['-device', 'no-such-device'] }), logs(dir)).catch((e: unknown) => e);
  t.match((bad as Error).message, /no-such-device/);
  t.same(qemuPids({ arg: dir }), [], 'neither QEMU is left');
});

t.test('QEMU that never answers QMP is killed, even when it ignores SIGTERM', async (t) => {
  const dir = workDir(t);
  // A stand-in that records its pid and hangs before QMP like a wedged QEMU (setpriv execs it, so the pid is the one Machine holds).
  const fake = join(dir, 'qemu-system-wedged');
  writeFileSync(fake, `#!/bin/sh\necho $$ > ${join(dir, 'fake.pid')}\ntrap '' TERM\nexec sleep 600\n`, { mode: 0o755 });
  const err = await Machine.start(config(dir, { qemu: fake }), { ...logs(dir), qmpTimeoutMs: 1500 }).catch((e: unknown) => e);
  t.ok(err instanceof QemuStartError);
  t.match((err as Error).message, /QEMU would not start: /);
  t.match((err as Error).message, /signal SIGKILL/, 'SIGTERM was ignored, so it took SIGKILL');
  const pid = Number(readFileSync(join(dir, 'fake.pid'), 'utf8'));
  t.ok(pid > 0, `it ran as pid ${pid}`);
  t.notOk(alive(pid), 'it was killed before start() gave up');
});

t.test('an SSH port in use: fixed port fails clearly, chosen port is re-picked', async (t) => {
  const dir = workDir(t);
  const busy = await new Promise<Server>((r) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => r(s));
  });
  t.teardown(() => void busy.close());
  const busyPort = (busy.address() as { port: number }).port;

  const fixed = await Machine.start(config(dir, { sshHostPort: busyPort }), logs(dir)).catch((e: unknown) => e);
  t.ok(fixed instanceof QemuStartError && fixed.hostfwdCollision);
  t.match((fixed as Error).message, /Could not set up host forwarding rule/);

  const offered: number[] = [];
  const m = await Machine.start(config(dir), {
    ...logs(dir),
    pickPort: async () => {
      const p = offered.length === 0 ? busyPort : await freePort();
      offered.push(p);
      return p;
    },
  });
  t.teardown(() => m.stop());
  t.equal(offered.length, 2, 'one collision, one retry');
  t.equal(m.sshPort, offered[1]);
  t.same(qemuPids({ arg: dir }), [m.pid], 'only the machine that started is running');
  await m.stop();
  t.notOk(alive(m.pid));
  t.same(qemuPids({ arg: dir }), [], 'no QEMU left, the refused one included');
});

t.test("a caller's private dir holds the socket; stop removes the socket, not the dir", async (t) => {
  const dir = workDir(t);
  const m = await Machine.start(config(dir), { ...logs(dir), privateDir: dir });
  t.equal(m.cfg.qmpSocket, join(dir, 'qmp.sock'));
  t.ok(existsSync(m.cfg.qmpSocket));
  await m.stop();
  t.notOk(existsSync(m.cfg.qmpSocket));
  t.ok(existsSync(dir));
});

/** Run a node child that starts a Machine and then runs `tail`; resolves once QEMU is up. */
async function childWithMachine(dir: string, tail: string): Promise<{ qemuPid: number; child: ChildProcess; exit: Promise<[number | null, string | null]>; stdout: () => string }> {
  const tsImport = process.execArgv.filter((a) => a.includes('@tapjs/typescript'));
  const script = `
    const { Machine } = await import(${JSON.stringify(new URL('../../harness/vm/machine.js', import.meta.url).href)});
    const m = await Machine.start(${JSON.stringify(config(dir))}, { consoleLog: ${JSON.stringify(join(dir, 'c.log'))}, qmpLog: ${JSON.stringify(join(dir, 'q.jsonl'))} });
    console.log('QEMU ' + m.pid);
    ${tail}`;
  const child = spawn(process.execPath, [...tsImport, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = new Promise<[number | null, string | null]>((r) => child.once('exit', (c, s) => r([c, s])));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const qemuPid = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /QEMU (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => reject(new Error(`child exited early: ${err}`)));
  });
  return { qemuPid, child, exit, stdout: () => out };
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

t.test('reaper: SIGINT to the harness stops QEMU and exits 130', async (t) => {
  const dir = workDir(t);
  const { qemuPid, child, exit } = await childWithMachine(dir, 'setInterval(() => {}, 1000);');
  t.ok(alive(qemuPid));
  child.kill('SIGINT');
  t.same(await exit, [130, null]);
  t.ok(await waitGone(qemuPid, 5000), 'QEMU is gone');
  t.match(readFileSync(join(dir, 'q.jsonl'), 'utf8'), /"execute":"quit"/, 'stopped through QMP quit, not a kill');
});

// pdeathsig alone would also kill QEMU once node is gone; the reaper's job is to kill it while node
// is still exiting. An 'exit' listener registered after the reaper's looks at QEMU's state then.
const QEMU_STATE_AT_EXIT = `
    const { readFileSync } = await import('node:fs');
    process.on('exit', () => {
      let state = 'alive';
      for (const end = Date.now() + 3000; Date.now() < end;) {
        try {
          const stat = readFileSync('/proc/' + m.pid + '/stat', 'utf8');
          if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') { state = 'dead'; break; }
        } catch { state = 'dead'; break; }
      }
      console.log('QEMU at exit: ' + state);
    });`;

t.test('reaper: an uncaught exception still kills QEMU, before node is gone', async (t) => {
  const dir = workDir(t);
  const { qemuPid, exit, stdout } = await childWithMachine(dir, `${QEMU_STATE_AT_EXIT}\n    setTimeout(() => { throw new Error('boom'); }, 100);`);
  const [code] = await exit;
  t.equal(code, 1, 'node still crashes as usual');
  t.match(stdout(), /QEMU at exit: dead/, 'killed by the reaper while node was exiting, not later by pdeathsig');
  t.ok(await waitGone(qemuPid, 5000), 'QEMU is gone');
});

t.test('pdeathsig: QEMU dies even when node is SIGKILLed', async (t) => {
  const dir = workDir(t);
  const { qemuPid, child, exit } = await childWithMachine(dir, 'setInterval(() => {}, 1000);');
  child.kill('SIGKILL');
  t.same(await exit, [null, 'SIGKILL']);
  t.ok(await waitGone(qemuPid, 5000), 'QEMU is gone');
  t.same(qemuPids({ arg: dir }), []);
});
