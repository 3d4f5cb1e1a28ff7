// One object owns the QEMU process, its serial console and its QMP
// connection (after QEMU's own qemu.machine.QEMUMachine): start and stop are
// symmetric, stop always drains the console, and `await using` cannot leak it.

import type { ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm, chmod, unlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildArgv, usbDeviceProps, type VmConfig, type VmDisk } from './argv.js';
import { QmpClient, type QmpEvent } from './qmp.js';
import * as reaper from './reaper.js';
import { spawnQemu, spawned } from './spawn.js';
import { sleep } from '../util/signals.js';
import { errorMessage, InfraError } from '../util/errors.js';

/** A VmConfig where the QMP socket and SSH port may be left for start() to choose. */
export type StartConfig = Omit<VmConfig, 'qmpSocket' | 'sshHostPort'> & { qmpSocket?: string; sshHostPort?: number };

export interface StartOptions {
  /** Serial console output is appended here. */
  consoleLog: string;
  /** Every QMP message is appended here as a JSON line. */
  qmpLog: string;
  /** QEMU's stderr is appended here too (it is always kept in memory for stderrTail()). */
  stderrLog?: string;
  /** A private (0700) directory for the QMP socket when cfg.qmpSocket is not given; default: a fresh temp dir removed on stop. */
  privateDir?: string;
  /** How long to wait for QMP to answer after spawning (default 30 s). */
  qmpTimeoutMs?: number;
  /** Tries with a fresh SSH port when none was given and hostfwd collides (default 5). */
  portAttempts?: number;
  /** Where candidate SSH ports come from (default freePort). */
  pickPort?: () => Promise<number>;
  onConsole?: (chunk: Buffer) => void;
  onExit?(code: number | null, signal: string | null): void;
}

/** QEMU would not start; the message carries its stderr and the argv. */
export class QemuStartError extends InfraError {
  constructor(
    message: string,
    readonly argv: string[],
    readonly stderr: string,
    readonly hostfwdCollision: boolean,
    cause?: unknown,
  ) {
    super(message, { cause, argv });
  }
}

const STDERR_KEEP = 16 * 1024;
const HOSTFWD_FAILED = /Could not set up host forwarding rule/;

/** Ask the kernel for a free TCP port on 127.0.0.1 (racy by nature: start() retries on collision). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** A running QEMU process with its console and QMP session. */
export class Machine implements AsyncDisposable {
  private exitState: { code: number | null; signal: string | null } | undefined;
  private stderrBuf = '';
  private stopPromise: Promise<void> | undefined;
  private readonly exitedPromise: Promise<void>;
  private readonly consoleDrained: Promise<void>;
  private qmpClient: QmpClient | undefined;

  private constructor(
    /** The configuration QEMU was started with (port and socket resolved). */
    readonly cfg: VmConfig,
    readonly argv: string[],
    private readonly child: ChildProcess,
    private readonly consoleOut: WriteStream,
    private readonly stderrOut: WriteStream | undefined,
    private readonly ownedDir: string | undefined,
    private readonly opts: StartOptions,
  ) {
    this.exitedPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitState = { code, signal };
        reaper.unregister(this);
        opts.onExit?.(code, signal);
        resolve();
      });
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      consoleOut.write(chunk);
      opts.onConsole?.(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderrOut?.write(chunk);
      this.stderrBuf = (this.stderrBuf + chunk.toString('utf8')).slice(-STDERR_KEEP);
    });
    // The console is drained when QEMU's stdout reaches EOF (after it exits).
    this.consoleDrained = new Promise((resolve) => child.stdout!.once('close', () => resolve()));
  }

  /** Spawn QEMU and connect QMP; picks (and on collision re-picks) the SSH port if none is given. */
  static async start(cfg: StartConfig, opts: StartOptions): Promise<Machine> {
    const attempts = cfg.sshHostPort === undefined ? (opts.portAttempts ?? 5) : 1;
    for (let i = 1; ; i++) {
      const port = cfg.sshHostPort ?? (await (opts.pickPort ?? freePort)());
      try {
        return await Machine.startOnce({ ...cfg, sshHostPort: port }, opts);
      } catch (e) {
        if (!(e instanceof QemuStartError && e.hostfwdCollision) || i >= attempts) throw e;
      }
    }
  }

  private static async startOnce(cfg: StartConfig & { sshHostPort: number }, opts: StartOptions): Promise<Machine> {
    // The socket goes where the caller put it, else in its private dir, else
    // in a 0700 temp dir of our own that stop() removes.
    let ownedDir: string | undefined;
    let qmpSocket = cfg.qmpSocket ?? (opts.privateDir && join(opts.privateDir, 'qmp.sock'));
    if (!qmpSocket) {
      ownedDir = await mkdtemp(join(tmpdir(), 'krepro-vm-'));
      await chmod(ownedDir, 0o700);
      qmpSocket = join(ownedDir, 'qmp.sock');
    }
    const full: VmConfig = { ...cfg, qmpSocket };
    let argv: string[] = [];
    let child: ChildProcess;
    try {
      argv = buildArgv(full);
      child = spawnQemu(full.qemu, argv);
      const spawnErr = await spawned(child);
      if (spawnErr) throw new QemuStartError(`could not run ${full.qemu}: ${spawnErr.message}`, argv, '', false, spawnErr);
    } catch (e) {
      if (ownedDir) await rm(ownedDir, { recursive: true, force: true });
      throw e;
    }
    child.on('error', () => {}); // later errors (e.g. kill on a dead pid) surface via 'exit'
    const m = new Machine(
      full,
      argv,
      child,
      createWriteStream(opts.consoleLog, { flags: 'a' }),
      opts.stderrLog ? createWriteStream(opts.stderrLog, { flags: 'a' }) : undefined,
      ownedDir,
      opts,
    );
    reaper.register(m);
    try {
      m.qmpClient = await QmpClient.connect(full.qmpSocket, {
        log: opts.qmpLog,
        timeoutMs: opts.qmpTimeoutMs ?? 30_000,
        abort: () => (m.exited ? 'QEMU exited' : undefined),
      });
      // QEMU opens the QMP socket before it sets up networking; a query that
      // answers proves it got past argv parsing and backend setup.
      await m.qmpClient.execute('query-status');
    } catch (e) {
      await m.stop({ graceMs: 0 });
      const stderr = m.stderrTail().trim();
      const why = m.exitState ? `exited (${describeExit(m.exitState)})` : `did not answer QMP (${errorMessage(e)})`;
      throw new QemuStartError(
        `QEMU would not start: ${why}${stderr ? `\n${stderr}` : ''}\nargv: ${full.qemu} ${argv.join(' ')}`,
        argv,
        stderr,
        HOSTFWD_FAILED.test(stderr),
        e,
      );
    }
    return m;
  }

  /** The QMP session (commands and events). */
  get qmp(): QmpClient {
    return this.qmpClient!;
  }

  /** Host port forwarded to the guest's sshd (127.0.0.1 only). */
  get sshPort(): number {
    return this.cfg.sshHostPort;
  }

  /** QEMU's pid (setpriv execs into QEMU, so this is QEMU itself). */
  get pid(): number {
    return this.child.pid!;
  }

  /** True once the QEMU process has exited. */
  get exited(): boolean {
    return this.exitState !== undefined;
  }

  /** How QEMU ended, once it has. */
  exitInfo(): { code: number | null; signal: string | null } | undefined {
    return this.exitState;
  }

  /** The last 16 KiB of QEMU's stderr. */
  stderrTail(): string {
    return this.stderrBuf;
  }

  /** Resolves when QEMU has exited (for any reason). */
  waitExit(): Promise<void> {
    return this.exitedPromise;
  }

  /** Hot-unplug a disk: device_del, then wait for DEVICE_DELETED naming it. */
  async unplug(diskId: string, timeoutMs = 30_000): Promise<QmpEvent> {
    const mark = this.qmp.mark();
    await this.qmp.execute('device_del', { id: diskId });
    // usb-storage emits one DEVICE_DELETED for its scsi child (no "device"
    // field) before the one for itself; only the latter means it is gone.
    return this.qmp.waitEvent('DEVICE_DELETED', (e) => e.data?.device === diskId, timeoutMs, mark);
  }

  /** Re-plug a usb disk with exactly the properties it booted with. */
  async plug(diskId: string): Promise<void> {
    const d: VmDisk | undefined = this.cfg.disks.find((x) => x.id === diskId);
    if (!d) throw new Error(`no disk ${diskId} in this machine`);
    if (d.bus !== 'usb') throw new Error(`disk ${diskId} is on ${d.bus}; only usb disks can be re-plugged`);
    await this.qmp.execute('device_add', usbDeviceProps(d));
  }

  /** Stop QEMU: QMP quit → wait graceMs → SIGTERM → SIGKILL; drains the console; idempotent. */
  stop(opts: { graceMs?: number } = {}): Promise<void> {
    this.stopPromise ??= this.doStop(opts.graceMs ?? 10_000);
    return this.stopPromise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async doStop(graceMs: number): Promise<void> {
    if (!this.exited && this.qmpClient && !this.qmpClient.closed && graceMs > 0) {
      // The reply may lose the race with QEMU closing the socket; either is fine.
      await Promise.race([this.qmpClient.execute('quit').catch(() => {}), sleep(Math.min(graceMs, 2000), undefined, { unref: true })]);
      await this.waitExitFor(graceMs);
    }
    if (!this.exited) {
      this.signal('SIGTERM');
      await this.waitExitFor(2000);
    }
    if (!this.exited) {
      this.signal('SIGKILL');
      await this.exitedPromise;
    }
    this.qmpClient?.close();
    // stdout may stay open if QEMU left a child holding it; don't wait forever.
    await Promise.race([this.consoleDrained, sleep(2000, undefined, { unref: true })]);
    await Promise.all([endStream(this.consoleOut), this.stderrOut && endStream(this.stderrOut)]);
    if (this.ownedDir) await rm(this.ownedDir, { recursive: true, force: true });
    else await unlink(this.cfg.qmpSocket).catch(() => {});
  }

  private signal(sig: NodeJS.Signals): void {
    try {
      process.kill(this.pid, sig);
    } catch {
      // exited in between
    }
  }

  private async waitExitFor(ms: number): Promise<void> {
    await Promise.race([this.exitedPromise, sleep(ms, undefined, { unref: true })]);
  }
}

/** Start a Machine (same as Machine.start); the SSH port is chosen, and re-chosen on collision, unless given. */
export function startMachine(cfg: StartConfig, opts: StartOptions): Promise<Machine> {
  return Machine.start(cfg, opts);
}

function describeExit(s: { code: number | null; signal: string | null }): string {
  return s.signal ? `signal ${s.signal}` : `code ${s.code}`;
}

function endStream(s: WriteStream): Promise<void> {
  return new Promise((r) => (s.closed ? r() : s.end(() => r())));
}
