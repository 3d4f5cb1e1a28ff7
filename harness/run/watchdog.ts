// The no-progress watchdog's decision, kept pure so it is tested without a VM:
// a job is stalled when the number its progress command prints has not grown
// for `stallMs`. Polls that fail or print no number count as "no growth" — a
// progress command stuck in D state is itself a sign of the hang.

const SIZE = /^\s*(-?\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$/i;
const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** The number on the last non-empty line of a command's stdout ("123", "1.5G"), or undefined. */
export function lastNumber(stdout: string): number | undefined {
  const line = stdout.trim().split('\n').pop() ?? '';
  const m = SIZE.exec(line);
  return m ? Number(m[1]) * (UNITS[(m[2] ?? '').toUpperCase()] ?? 1) : undefined;
}

export type WatchState = 'growing' | 'flat' | 'stalled';

/** Tracks the highest value seen and when it last grew. */
export class StallWatch {
  private best: number | undefined;
  private grewAt: number;

  constructor(private readonly stallMs: number, start: number) {
    this.grewAt = start;
  }

  /** Feed one poll (undefined = no reading); say whether the job is growing, flat, or stalled for stallMs. */
  observe(value: number | undefined, now: number): WatchState {
    if (value !== undefined && (this.best === undefined || value > this.best)) {
      this.best = value;
      this.grewAt = now;
      return 'growing';
    }
    return now - this.grewAt >= this.stallMs ? 'stalled' : 'flat';
  }

  /** The highest value seen so far. */
  get value(): number | undefined {
    return this.best;
  }

  /** How long the value has been flat. */
  flatFor(now: number): number {
    return now - this.grewAt;
  }
}
