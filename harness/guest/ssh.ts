// SSH to the guest through ssh2: one connection per run, one channel per command.
// The guest's host key is pinned: we generated it, and the console printed it.
import { Client, type ClientChannel } from 'ssh2';
import { fingerprintOf } from './keys.js';
import { sleep } from '../util/signals.js';
import { BootError } from '../util/errors.js';

export interface ConnectOptions {
  port: number;
  privateKey: string;
  /** Expected "SHA256:…" fingerprint; any other host key is refused. */
  hostFingerprint: string;
  /** Give up (throw) at this Date.now() value. */
  deadline: number;
  signal?: AbortSignal;
}

export interface ExecOptions {
  stdin?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

export interface ExecResult {
  /** Exit code, or null when the command was killed by a signal or did not finish. */
  code: number | null;
  signal?: string;
  timedOut: boolean;
  aborted: boolean;
  /** The connection dropped while the command ran. */
  lost: boolean;
  /**
   * The connection is up but the guest's sshd would not run the command (channel
   * open or exec request refused: a fork that failed, too many channels), even
   * after retries. The command never started.
   */
  refused?: string;
  /** The last 64 KiB of stdout and stderr (full output goes through the callbacks). */
  stdout: string;
  stderr: string;
  durationMs: number;
}

const TAIL = 64 * 1024;

function appendTail(tail: string, chunk: Buffer): string {
  const s = tail + chunk.toString('utf8');
  return s.length > TAIL ? s.slice(s.length - TAIL) : s;
}

// A refused command is retried (it never started): the refusals seen were transient.
const REFUSAL_RETRIES = 4;
const REFUSAL_BACKOFF_MS = 500;

/** An SSH session with the guest. */
export class Guest {
  private closed = false;
  private lostError: Error | undefined;
  private readonly lostWaiters = new Set<(e: Error) => void>();
  /** Told of each refused command (the run's timeline records them). */
  onRefused?: (reason: string, attempt: number) => void;

  private constructor(private readonly client: Client, private readonly opts: ConnectOptions) {
    const lose = (e: Error): void => {
      if (this.closed || this.lostError) return;
      this.lostError = e;
      for (const w of this.lostWaiters) w(e);
    };
    client.on('error', lose);
    client.on('close', () => lose(new Error('SSH connection closed')));
  }

  /** Retry connecting until the guest answers with the pinned host key, or the deadline passes. */
  static async connect(opts: ConnectOptions): Promise<Guest> {
    let last: Error = new Error('no attempt made');
    while (Date.now() < opts.deadline && !opts.signal?.aborted) {
      try {
        return await Guest.connectOnce(opts);
      } catch (e) {
        last = e as Error;
        if (/host key|privateKey/i.test(last.message)) throw last; // a wrong or unreadable key will not fix itself
        await sleep(250, opts.signal);
      }
    }
    throw new BootError(`guest SSH not reachable on 127.0.0.1:${opts.port}: ${last.message}`, { cause: last });
  }

  private static connectOnce(opts: ConnectOptions): Promise<Guest> {
    return new Promise((resolve, reject) => {
      const client = new Client();
      let seen = '';
      const fail = (e: Error): void => {
        client.removeAllListeners();
        client.on('error', () => {});
        client.end();
        reject(e);
      };
      client.once('ready', () => {
        client.removeAllListeners();
        resolve(new Guest(client, opts));
      });
      client.once('error', (e) => fail(seen && seen !== opts.hostFingerprint
        ? new Error(`guest host key ${seen} does not match the pinned ${opts.hostFingerprint}`)
        : e));
      client.connect({
        host: '127.0.0.1',
        port: opts.port,
        username: 'root',
        privateKey: opts.privateKey,
        hostVerifier: (key: Buffer) => {
          seen = fingerprintOf(key);
          return seen === opts.hostFingerprint;
        },
        readyTimeout: Math.max(1000, Math.min(20_000, opts.deadline - Date.now())),
        // Under TCG a busy guest can take seconds to answer; be patient before calling it lost.
        keepaliveInterval: 5000,
        keepaliveCountMax: 12,
      });
    });
  }

  /** A second, independent session to the same guest (the first may be wedged or gone). */
  reconnect(timeoutMs: number, signal?: AbortSignal): Promise<Guest> {
    return Guest.connect({ ...this.opts, deadline: Date.now() + timeoutMs, signal });
  }

  /**
   * Run a command; resolves when it exits, times out, is aborted, or the connection
   * drops. A command the guest's sshd refuses to start is retried a few times first.
   */
  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const started = Date.now();
    const left = (): number | undefined => (opts.timeoutMs === undefined ? undefined : opts.timeoutMs - (Date.now() - started));
    for (let attempt = 1; ; attempt++) {
      const r = await this.execOnce(command, { ...opts, timeoutMs: left() });
      // A refusal on a connection that was going down was the loss showing first.
      if (r.refused && this.lostError) return { ...r, refused: undefined, lost: true };
      if (!r.refused || attempt > REFUSAL_RETRIES || opts.signal?.aborted) return r;
      this.onRefused?.(r.refused, attempt);
      if ((left() ?? Infinity) <= REFUSAL_BACKOFF_MS * attempt) return r;
      await sleep(REFUSAL_BACKOFF_MS * attempt, opts.signal);
      if (opts.signal?.aborted) return { ...r, refused: undefined, aborted: true };
    }
  }

  private execOnce(command: string, opts: ExecOptions): Promise<ExecResult> {
    const started = Date.now();
    return new Promise((resolve) => {
      let stdout = '';
      let stderr = '';
      let channel: ClientChannel | undefined;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (r: Partial<ExecResult>): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        this.lostWaiters.delete(onLost);
        if (r.code === undefined || r.code === null) channel?.close();
        resolve({
          code: null, timedOut: false, aborted: false, lost: false,
          ...r, stdout, stderr, durationMs: Date.now() - started,
        });
      };
      const onAbort = (): void => finish({ aborted: true });
      const onLost = (): void => finish({ lost: true });
      if (this.lostError) return finish({ lost: true });
      if (opts.signal?.aborted) return finish({ aborted: true });
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.lostWaiters.add(onLost);
      if (opts.timeoutMs) timer = setTimeout(() => finish({ timedOut: true }), opts.timeoutMs);
      this.client.exec(command, (err, ch) => {
        // A refusal on a live connection is not a lost guest; ssh2 reports both here.
        if (err) return this.lostError ? finish({ lost: true }) : finish({ refused: err.message });
        channel = ch;
        ch.on('data', (b: Buffer) => { stdout = appendTail(stdout, b); opts.onStdout?.(b); });
        ch.stderr.on('data', (b: Buffer) => { stderr = appendTail(stderr, b); opts.onStderr?.(b); });
        // Output may still be in flight after 'exit'; finish on 'close', which follows it.
        let exit: Partial<ExecResult> = {};
        ch.on('exit', (code: number | null, sig?: string) => {
          exit = { code: code ?? null, signal: sig ?? undefined };
        });
        ch.on('close', () => finish(exit));
        if (opts.stdin !== undefined) ch.end(opts.stdin);
        else ch.end();
      });
    });
  }

  /** Whether the connection is known to be gone. */
  get lost(): boolean {
    return this.lostError !== undefined;
  }

  close(): void {
    this.closed = true;
    this.client.end();
  }
}
