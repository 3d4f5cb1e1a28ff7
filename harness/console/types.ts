// What triage says about a console log. Shared by the live detector and `krepro triage`.

export interface CrashReport {
  /** Row of the kinds table, e.g. "panic", "oops", "warning", "spl-panic", "hung-task". */
  kind: string;
  /** Stable title naming the guilty function, e.g. "WARNING in foo". */
  title: string;
  /** The guilty function, or "" when none could be found. */
  guilty: string;
  /** Stack frames (function names, offsets stripped) in printed order. */
  frames: string[];
  /** Hash of the normalised title: identical across runs and builds for the same bug. */
  signature: string;
  /** 1-based line numbers (in the input) of the report's first and last line. */
  start: number;
  end: number;
  /** The report's lines, prefixes (timestamps, caller ids) kept as printed. */
  excerpt: string;
  /** Set when the report was still open at flush() (console went quiet or ended mid-report). */
  truncated?: boolean;
  /**
   * Why the report is not one context's output alone, when it is not: lines of
   * another task mixed in, or cut short by another report with no printk caller ids
   * to tell the two apart. What is there is still reported.
   */
  corrupted?: string;
  /** Titles of consequence reports folded into this one (e.g. "panic: Fatal exception"). */
  chained?: string[];
}
