// Terminal progress for long work (fetch, build, boot, steps). On a TTY a task
// shows a live line with elapsed time; elsewhere only its final line is printed,
// and only when the task is marked `important` (the one-line-per-scenario rule) —
// plus, for those, a "still running" line every minute (KREPRO_HEARTBEAT_MS), so a
// 40-minute kernel build in a CI log shows where it is rather than looking hung.
import { firstLine } from './errors.js';

const tty = Boolean(process.stderr.isTTY) && process.env.KREPRO_PROGRESS !== 'plain';
const HEARTBEAT_MS = Number(process.env.KREPRO_HEARTBEAT_MS ?? 60_000);
let quiet = process.env.KREPRO_QUIET === '1';

export function setQuiet(q: boolean): void {
  quiet = q;
}

function fmt(ms: number): string {
  const s = ms / 1000;
  return s < 60 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

export interface Task {
  /** Replace the detail text after the label (e.g. "linux-image-6.1.0-56-amd64 42 MB"). */
  update(detail: string): void;
  /** Finish with a final status word (default "done"). */
  done(status?: string): void;
  fail(message: string): void;
}

/** Start a task line such as "fetch kernel 6.1.0-56-amd64 … 3.2s". */
export function task(label: string, opts: { important?: boolean } = {}): Task {
  const started = Date.now();
  let detail = '';
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  const draw = (): void => {
    if (!tty || quiet) return;
    const line = `  ${label}${detail ? ` — ${detail}` : ''} … ${fmt(Date.now() - started)}`;
    process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns || 120) - 1)}`);
  };
  const finish = (status: string): void => {
    if (finished) return;
    finished = true;
    if (timer) clearInterval(timer);
    if (quiet) return;
    const line = `  ${label}${detail ? ` — ${detail}` : ''}: ${status} (${fmt(Date.now() - started)})`;
    if (tty) process.stderr.write(`\r\x1b[2K${line}\n`);
    else if (opts.important) process.stderr.write(`${line}\n`);
  };
  if (tty && !quiet) {
    draw();
    timer = setInterval(draw, 500);
    timer.unref();
  } else if (opts.important && !quiet && HEARTBEAT_MS > 0) {
    timer = setInterval(() => {
      process.stderr.write(`  ${label}${detail ? ` — ${detail}` : ''} … ${fmt(Date.now() - started)} (still running)\n`);
    }, HEARTBEAT_MS);
    timer.unref();
  }
  return {
    update(d) {
      detail = d;
      draw();
    },
    done(status = 'done') {
      finish(status);
    },
    fail(message) {
      finish(`FAILED: ${message}`);
    },
  };
}

/** A plain informational line (always printed unless quiet). */
export function note(message: string): void {
  if (quiet) return;
  process.stderr.write(tty ? `\r\x1b[2K${message}\n` : `${message}\n`);
}

/** Run `fn` as a task: done when it resolves, failed (first line of the error) when it throws. */
export async function withTask<T>(label: string, opts: { important?: boolean }, fn: (t: Task) => Promise<T>): Promise<T> {
  const t = task(label, opts);
  try {
    const r = await fn(t);
    t.done();
    return r;
  } catch (err) {
    t.fail(firstLine(err));
    throw err;
  }
}
