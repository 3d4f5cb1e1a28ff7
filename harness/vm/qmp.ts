// A QMP client: one unix-socket connection carries commands, replies and
// events (QEMU serves one client per QMP socket). Every message in either
// direction is appended to qmp.jsonl with a timestamp, for the run directory.

import { EventEmitter } from 'node:events';
import { closeSync, openSync, writeSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A QMP event as QEMU sends it, plus our arrival sequence number. */
export interface QmpEvent {
  event: string;
  data?: any;
  timestamp?: { seconds: number; microseconds: number };
  /** Monotonic arrival index on this connection (see QmpClient.mark). */
  seq: number;
}

/** A command QEMU answered with {"error": …}. */
export class QmpError extends Error {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`QMP ${command} failed: ${errorClass}: ${desc}`);
    this.name = 'QmpError';
  }
}

interface Pending {
  command: string;
  resolve(v: any): void;
  reject(e: Error): void;
}

export interface ConnectOptions {
  /** Append every message here as one JSON line. */
  log?: string;
  /** Give up connecting after this long (QEMU creates the socket early, but TCG hosts can be slow). */
  timeoutMs?: number;
  /** Called while retrying; return a reason to stop (e.g. "QEMU exited with code 1"). */
  abort?: () => string | undefined;
}

// Events kept for waitEvent() calls that start after the event arrived.
const EVENT_BACKLOG = 1000;

/** A connected, capability-negotiated QMP session. */
export class QmpClient extends EventEmitter {
  private buf = '';
  private nextId = 1;
  private pending = new Map<string, Pending>();
  private backlog: QmpEvent[] = [];
  private seq = 0;
  private lastCommandSeq = 0;
  private closedFlag = false;
  private logFd: number | undefined;
  /** The greeting's QEMU version, e.g. {major: 7, minor: 2, micro: 22}. */
  version: { major: number; minor: number; micro: number } | undefined;

  private constructor(
    private readonly sock: Socket,
    logPath: string | undefined,
  ) {
    super();
    if (logPath) this.logFd = openSync(logPath, 'a');
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => this.onData(chunk));
    sock.on('error', () => {}); // 'close' follows and does the cleanup
    sock.on('close', () => this.onClose());
  }

  /** Connect to a QMP socket, retrying until it exists, and negotiate capabilities. */
  static async connect(path: string, opts: ConnectOptions = {}): Promise<QmpClient> {
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    let lastErr: unknown;
    for (;;) {
      const why = opts.abort?.();
      if (why) throw new Error(`QMP connect to ${path} abandoned: ${why}`);
      try {
        const sock = await openSocket(path);
        const client = new QmpClient(sock, opts.log);
        await client.negotiate(Math.max(1000, deadline - Date.now()));
        return client;
      } catch (e) {
        lastErr = e;
        const code = (e as NodeJS.ErrnoException).code;
        // ENOENT/ECONNREFUSED: QEMU has not created or opened the socket yet.
        if (code !== 'ENOENT' && code !== 'ECONNREFUSED') throw e;
      }
      if (Date.now() > deadline) {
        throw new Error(`QMP socket ${path} did not accept a connection within ${opts.timeoutMs ?? 30_000} ms: ${String(lastErr)}`);
      }
      await sleep(20);
    }
  }

  private async negotiate(timeoutMs: number): Promise<void> {
    const greeting = await new Promise<any>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('QMP greeting timed out')), timeoutMs);
      this.once('greeting', (g) => {
        clearTimeout(timer);
        resolve(g);
      });
      this.once('close', () => {
        clearTimeout(timer);
        reject(new Error('QMP connection closed before the greeting'));
      });
    });
    this.version = greeting?.QMP?.version?.qemu;
    await this.execute('qmp_capabilities');
  }

  /** Run a command; resolves with its "return" value, rejects with QmpError or on disconnect. */
  execute(command: string, args?: Record<string, unknown>): Promise<any> {
    if (this.closedFlag) return Promise.reject(new Error(`QMP ${command}: connection is closed`));
    const id = `k${this.nextId++}`;
    const msg: Record<string, unknown> = { execute: command, id };
    if (args !== undefined) msg.arguments = args;
    this.lastCommandSeq = this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { command, resolve, reject });
      this.log('command', msg);
      this.sock.write(`${JSON.stringify(msg)}\n`);
    });
  }

  /** The sequence number of the latest event; pass to waitEvent to ignore older ones. */
  mark(): number {
    return this.seq;
  }

  /**
   * Resolve with the first event named `name` matching `predicate` whose seq is
   * greater than `after` — default: events since the most recent execute() was
   * sent, so an event that raced ahead of its command's reply is still seen.
   */
  waitEvent(name: string, predicate: (e: QmpEvent) => boolean = () => true, timeoutMs = 30_000, after = this.lastCommandSeq): Promise<QmpEvent> {
    const hit = this.backlog.find((e) => e.seq > after && e.event === name && predicate(e));
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('event', onEvent);
        this.off('close', onClose);
      };
      const onEvent = (e: QmpEvent): void => {
        if (e.event !== name || !predicate(e)) return;
        cleanup();
        resolve(e);
      };
      const onClose = (): void => {
        cleanup();
        reject(new Error(`QMP connection closed while waiting for ${name}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for QMP event ${name}`));
      }, timeoutMs);
      this.on('event', onEvent);
      this.on('close', onClose);
    });
  }

  /** Events received so far (bounded backlog), oldest first. */
  events(): readonly QmpEvent[] {
    return this.backlog;
  }

  /** True once the connection is gone (QEMU exited or close() was called). */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** Close the connection (pending commands reject). */
  close(): void {
    this.sock.destroy();
  }

  /** Resolves once the connection is closed (e.g. after QEMU exits). */
  waitClosed(): Promise<void> {
    return this.closedFlag ? Promise.resolve() : new Promise((r) => this.once('close', () => r()));
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line) this.onMessage(line);
    }
  }

  private onMessage(line: string): void {
    let msg: any;
    try {
      msg = JSON.parse(line);
    } catch {
      this.log('garbage', { line });
      return;
    }
    if (msg.QMP) {
      this.log('greeting', msg);
      this.emit('greeting', msg);
    } else if (typeof msg.event === 'string') {
      const e: QmpEvent = { ...msg, seq: ++this.seq };
      this.log('event', msg);
      this.backlog.push(e);
      if (this.backlog.length > EVENT_BACKLOG) this.backlog.shift();
      this.emit('event', e);
    } else {
      this.log(msg.error ? 'error' : 'reply', msg);
      const p = msg.id !== undefined ? this.pending.get(String(msg.id)) : undefined;
      if (!p) return;
      this.pending.delete(String(msg.id));
      if (msg.error) p.reject(new QmpError(p.command, msg.error.class, msg.error.desc));
      else p.resolve(msg.return);
    }
  }

  private onClose(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const p of this.pending.values()) p.reject(new Error(`QMP connection closed before ${p.command} replied`));
    this.pending.clear();
    this.log('closed', {});
    if (this.logFd !== undefined) closeSync(this.logFd);
    this.logFd = undefined;
    this.emit('close');
  }

  private log(kind: string, msg: unknown): void {
    if (this.logFd === undefined) return;
    // Synchronous append: QMP traffic is small, and a killed harness keeps every line.
    writeSync(this.logFd, `${JSON.stringify({ t: new Date().toISOString(), kind, msg })}\n`);
  }
}

function openSocket(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}
