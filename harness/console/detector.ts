// The crash detector: one streaming state machine used live on a VM's serial console
// and offline by `krepro triage`. It knows no kind; kinds.ts says what each looks like.
//
// Grouping of chained reports. A row marked `consequence` (a generic kernel panic,
// btrfs errors, I/O error bursts) that starts while a report is open, or within
// FOLD_LINES lines after one closed, is the same event seen later: it is read with
// its own end rule, then folded into that earlier report — the report's end and
// excerpt grow, its kind and title stay, and the consequence's title is listed in
// `chained`. So "WARNING …; Kernel panic - not syncing: Fatal exception" is one
// crash titled "WARNING in foo", and SPL's "VERIFY…failed; PANIC at zio.c:N:zio_encrypt();
// Kernel panic - not syncing: VERIFY…" is one crash "SPL PANIC in zio_encrypt" (the
// PANIC line `refines` the VERIFY report; the panic is its consequence). Reports are
// therefore emitted (onReport) only once that window has passed, or at flush().
//
// Interleaving. With CONFIG_PRINTK_CALLER each line carries [T123]/[C1]: a line goes to
// the open report of its caller, and a header from another caller opens a parallel
// report. Lines with no owner go to the newest open report (NMI backtraces of another
// CPU belong to the RCU stall that requested them).
import { KINDS, type Groups, type Kind } from './kinds.js';
import { LineSplitter } from './lines.js';
import { literalsSource } from './literals.js';
import { stripPrefix } from './prefix.js';
import { OpenReport } from './report.js';
import type { CrashReport } from './types.js';

export interface DetectorEvents {
  /** Every console line, numbered from 1 as crash reports' `start`/`end` count them. */
  onLine?(n: number, text: string): void;
  onReportStart?(kind: string, line: number, text: string): void;
  onReport?(r: CrashReport): void;
  /** Non-crash notes (kinds.ts rows with note: true), e.g. a suspended ZFS pool. */
  onNote?(r: CrashReport): void;
}

/** Lines after a report during which a consequence still folds into it. */
export const FOLD_LINES = 100;
const RING = 256; // recent raw lines, to fill the gap between a report and its consequence
const MAX_OPEN = 8;

const HINTS = new RegExp(literalsSource([...new Set(KINDS.map((k) => k.hint))]));

interface Hit { n: number; t: number | undefined }

export class CrashDetector {
  /** Closed crash reports, in the order they were settled. */
  readonly reports: CrashReport[] = [];
  /** Non-crash notes. */
  readonly notes: CrashReport[] = [];
  private readonly splitter = new LineSplitter((l) => this.line(l));
  private n = 0;
  private readonly ring: string[] = new Array<string>(RING);
  private open: OpenReport[] = [];
  private settling: OpenReport[] = [];
  private nextSettle = Infinity;
  private stamped = false;
  private readonly bursts = new Map<string, Hit[]>();

  constructor(private readonly events: DetectorEvents = {}) {}

  /** Feed console output cut anywhere (bytes are decoded as UTF-8 with replacement). */
  feed(chunk: string | Buffer): void {
    this.splitter.push(chunk);
  }

  /** Close open reports as truncated, emit pending ones, and return all reports so far.
   *  A trailing partial line is kept (the console may finish it) unless `final` is set. */
  flush(final = false): CrashReport[] {
    if (final) this.splitter.end();
    for (const r of [...this.open].reverse()) this.close(r, !r.complete);
    this.settle(Infinity);
    return [...this.reports];
  }

  private line(raw: string): void {
    const n = ++this.n;
    this.ring[n % RING] = raw;
    this.events.onLine?.(n, raw);
    if (n > this.nextSettle) this.settle(n);
    const hinted = HINTS.test(raw);
    if (!hinted && this.open.length === 0) return;
    const s = stripPrefix(raw);
    if (s.time !== undefined) this.stamped = true;
    // Once the kernel has shown it stamps its lines, an unstamped line is user-space
    // output (a shell printing "WARNING: …") and cannot start a report.
    if (hinted) {
      const m = match(raw, s.body, this.stamped && s.time === undefined);
      if (m && this.header(m.row, m.groups, n, raw, s.body, s.caller, s.time)) return;
    }
    const r = this.target(s.caller);
    if (r && r.offer(raw, s.body, n) === 'closed') this.close(r, !r.complete && r.lines.length >= r.row.end.maxLines);
  }

  /** Handle a header line; false when it is just an ordinary line after all. */
  private header(row: Kind, groups: Groups, n: number, raw: string, body: string, caller?: string, time?: number): boolean {
    if (row.note) {
      this.emit(new OpenReport(row, groups, n, caller), raw, n, this.notes, this.events.onNote);
      return false;
    }
    const target = this.target(caller);
    if (target && (row.partOf === '*' || row.partOf?.includes(target.row.kind))) {
      if (target.own(raw, body, n) === 'closed') this.close(target, false);
      return true;
    }
    if (target && row.refines?.includes(target.row.kind)) {
      target.row = row;
      target.groups = groups;
      target.take(raw, n);
      return true;
    }
    let start = n;
    if (row.burst) {
      const first = this.burst(row, n, time);
      if (first === undefined) return false;
      start = first;
    }
    const r = new OpenReport(row, groups, start, caller);
    for (let i = Math.max(start, n - RING + 1); i < n; i++) r.take(this.ring[i % RING]!, i);
    r.take(raw, n);
    let parent = row.consequence ? target ?? this.settling[this.settling.length - 1] : undefined;
    if (parent) {
      while (parent.parent) parent = parent.parent;
      if (target) this.close(target, false);
      r.parent = parent;
      parent.openChildren++;
    } else {
      if (target && (!caller || !target.caller || target.caller === caller)) {
        // Without caller ids an unfinished report may go on inside this one (two CPUs at once):
        // if its task's lines show up here, both are marked corrupted (report.ts).
        if (!target.complete && (!caller || !target.caller)) r.cutShort = target;
        this.close(target, false);
      }
      this.settle(Infinity);
      this.events.onReportStart?.(row.kind, start, body);
    }
    this.open.push(r);
    if (this.open.length > MAX_OPEN) this.close(this.open[0]!, true);
    if (r.lines.length >= row.end.maxLines) this.close(r, false);
    return true;
  }

  /** Record a burst-kind hit; the burst's first line once enough hits are close together. */
  private burst(row: Kind, n: number, t: number | undefined): number | undefined {
    const b = row.burst!;
    const hits = (this.bursts.get(row.kind) ?? []).filter((h) =>
      t !== undefined && h.t !== undefined ? t - h.t <= b.seconds : n - h.n <= b.lines);
    hits.push({ n, t });
    if (hits.length < b.count) {
      this.bursts.set(row.kind, hits);
      return undefined;
    }
    this.bursts.delete(row.kind);
    return hits[0]!.n;
  }

  /** The open report a line from this caller belongs to. */
  private target(caller: string | undefined): OpenReport | undefined {
    if (caller) for (let i = this.open.length - 1; i >= 0; i--) if (this.open[i]!.caller === caller) return this.open[i];
    return this.open[this.open.length - 1];
  }

  private close(r: OpenReport, truncated: boolean): void {
    this.open = this.open.filter((o) => o !== r);
    r.truncated ||= truncated;
    const p = r.parent;
    if (p) {
      const between: string[] = [];
      for (let i = Math.max(p.end + 1, this.n - RING + 1); i < r.start; i++) between.push(this.ring[i % RING]!);
      p.absorb(r, between);
      p.openChildren--;
      p.settleAt = p.end + FOLD_LINES;
    } else {
      r.settleAt = r.end + FOLD_LINES;
      this.settling.push(r);
    }
    this.nextSettle = Math.min(...this.settling.map((s) => s.settleAt));
  }

  /** Emit closed reports whose consequence window ended before line `n`. */
  private settle(n: number): void {
    const done = this.settling.filter((r) => r.settleAt < n && r.openChildren === 0).sort((a, b) => a.start - b.start);
    if (!done.length) {
      this.nextSettle = Math.min(...this.settling.map((s) => s.settleAt));
      return;
    }
    this.settling = this.settling.filter((r) => !done.includes(r));
    this.nextSettle = Math.min(...this.settling.map((s) => s.settleAt));
    for (const r of done) {
      const report = r.finish();
      this.reports.push(report);
      this.events.onReport?.(report);
    }
  }

  private emit(r: OpenReport, raw: string, n: number, into: CrashReport[], cb?: (r: CrashReport) => void): void {
    r.take(raw, n);
    const report = r.finish();
    into.push(report);
    cb?.(report);
  }
}

function match(raw: string, body: string, userOnly: boolean): { row: Kind; groups: Groups } | undefined {
  for (const row of KINDS) {
    if (!raw.includes(row.hint) || (userOnly && !row.userSpace)) continue;
    const m = row.start.exec(body);
    if (m) return { row, groups: { ...m.groups } };
  }
  return undefined;
}

/** Triage a whole log offline: feed everything, then flush. */
export function triage(text: string | Buffer): CrashReport[] {
  const d = new CrashDetector();
  d.feed(text);
  return d.flush(true);
}
