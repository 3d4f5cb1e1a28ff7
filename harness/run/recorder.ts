// The run directory of one scenario attempt: step outputs, the timeline, result.json.
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepResult, TimelineEvent } from '../results/types.js';

/** Collects what happens during one attempt; every file lands in `dir`. */
export class Recorder {
  readonly timeline: TimelineEvent[] = [];
  readonly steps: StepResult[] = [];
  private readonly t0 = Date.now();

  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(join(this.dir, 'steps'), { recursive: true });
  }

  /** ms since the attempt started. */
  now(): number {
    return Date.now() - this.t0;
  }

  event(event: string, detail?: unknown): void {
    this.timeline.push(detail === undefined ? { t: this.now(), event } : { t: this.now(), event, detail });
  }

  /** A stream for a step's output, e.g. steps/03-run.out (relative path returned for result.json). */
  output(index: number, name: string): { path: string; stream: WriteStream } {
    const rel = join('steps', `${String(index).padStart(2, '0')}-${name}.out`);
    return { path: rel, stream: createWriteStream(join(this.dir, rel)) };
  }
}

/** Close a write stream and wait until its bytes are on disk. */
export function closeStream(s: WriteStream): Promise<void> {
  return new Promise((resolve) => (s.writableFinished ? resolve() : s.end(resolve)));
}
