// The serial console during a run: saved to console.log, fed to crash triage,
// split into lines for waits, and read for the step markers the harness writes
// into /dev/kmsg so each crash is mapped to the step that was running.
import { createWriteStream, type WriteStream } from 'node:fs';
import { CrashDetector } from '../console/detector.js';
import type { CrashReport } from '../console/types.js';
import { sleep } from '../util/signals.js';

const STEP_MARK = /krepro: step (\d+):/;

interface LineWaiter {
  regex: RegExp;
  fromLine: number;
  resolve: (line: string) => void;
}

/** Watches one VM's console. */
export class ConsoleWatch {
  readonly detector: CrashDetector;
  private readonly file: WriteStream;
  private readonly lines: string[] = [];
  /** [console line number, step index] for each step marker seen. */
  private readonly marks: Array<[number, number]> = [];
  private readonly waiters = new Set<LineWaiter>();
  private lastOutput = Date.now();
  private readonly crashListeners = new Set<(kind: string) => void>();

  constructor(path: string) {
    this.file = createWriteStream(path);
    // Lines come from the detector's own splitter, so a crash's line numbers and
    // the step markers' are counted by one mechanism (crash → step mapping).
    this.detector = new CrashDetector({
      onLine: (_n, line) => this.addLine(line),
      onReportStart: (kind) => {
        for (const l of this.crashListeners) l(kind);
      },
    });
  }

  /** Feed a chunk of console bytes (QEMU's stdout). */
  feed(chunk: Buffer): void {
    this.lastOutput = Date.now();
    this.file.write(chunk);
    this.detector.feed(chunk);
  }

  private addLine(line: string): void {
    this.lines.push(line);
    const n = this.lines.length;
    const m = STEP_MARK.exec(line);
    if (m) this.marks.push([n, Number(m[1])]);
    // krepro's own step marker quotes the step, so a `wait: { console: X }` would match its own announcement.
    if (m) return;
    for (const w of this.waiters) {
      if (n > w.fromLine && w.regex.test(line)) {
        this.waiters.delete(w);
        w.resolve(line);
      }
    }
  }

  /** Number of complete lines seen so far (a cursor for waitFor). */
  get lineCount(): number {
    return this.lines.length;
  }

  /** Called on the first line of every crash report. */
  onCrash(listener: (kind: string) => void): void {
    this.crashListeners.add(listener);
  }

  /** Resolve with the first line after `fromLine` that matches; rejects on abort. */
  waitFor(regex: RegExp, fromLine: number, signal?: AbortSignal): Promise<string> {
    const seen = this.lines.slice(fromLine).find((l) => !STEP_MARK.test(l) && regex.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w: LineWaiter = { regex, fromLine, resolve };
      this.waiters.add(w);
      signal?.addEventListener('abort', () => {
        this.waiters.delete(w);
        reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason ?? 'aborted')));
      }, { once: true });
    });
  }

  /** Wait until the console has been silent for quietMs (bounded by maxMs): the crash report is complete. */
  async settle(quietMs = 1500, maxMs = 10_000): Promise<void> {
    const until = Date.now() + maxMs;
    while (Date.now() < until && Date.now() - this.lastOutput < quietMs) {
      await sleep(100);
    }
  }

  /** Step that was running when a console line was printed (0 = boot, before any step). */
  stepAt(line: number): number {
    let step = 0;
    for (const [l, s] of this.marks) {
      if (l > line) break;
      step = s;
    }
    return step;
  }

  /** Every crash so far (closing any report still open), each mapped to its step. */
  crashes(): Array<CrashReport & { step: number }> {
    // flush(true) also ends the last line, which may lack its newline when the VM stops.
    return this.detector.flush(true).map((r) => ({ ...r, step: this.stepAt(r.start) }));
  }

  /** The last n console lines, for messages. */
  tail(n: number): string {
    return this.lines.slice(-n).join('\n');
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.file.end(resolve));
  }
}
