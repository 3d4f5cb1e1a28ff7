// One report being read: which of its lines belong to it, where its call trace is,
// and what it says once finished. Routing between reports lives in detector.ts.
import { cleanFunction, firstGuilty, parseFrame, parseKernelPc } from './frames.js';
import type { Groups, Kind } from './kinds.js';
import { buildTitle, signature } from './title.js';
import type { CrashReport } from './types.js';

// Lines any report may contain before or around its trace (generic, kind-independent).
const GENERIC_BODY = /^(?:\s|$|\(|<\/?(?:TASK|IRQ|NMI|SOFTIRQ)>|-{3,}|={3,}|Call Trace|CPU: |CPU \d|Hardware name|Tainted|Not tainted|Modules linked in|Workqueue|[RE]?IP:|Code:|[RE]?[SB]P:|R?[A-D]X:|R\d{1,2}:|[RE]?[SD]I:|FS:|CS:|CR2|DR[0-7]|PKRU|#PF|PGD |P4D |PUD |PMD |Oops|invalid opcode|Kernel Offset|Showing stack|task:|irq event stamp|hardirqs |softirqs |Sending NMI|NMI backtrace|Stack:|pc : |lr : |sp : |x\d+ *: |Mem abort info|Data abort info|pstate: |Internal error|Process |\[<[0-9a-f]+>\]|[\w.$]+\+0x[0-9a-f]+\/0x|FIX |INFO: |Disabling lock debugging|"echo )/;
const TRACE_START = /^(?:Call Trace|Call trace|Backtrace|\s*backtrace(?: \(crc [0-9a-f]+\))?):/;
// Inside a trace: frames, IRQ/TASK brackets, and the interrupted context's registers.
const TRACE_BODY = /^(?:\s|<\/?(?:TASK|IRQ|NMI|SOFTIRQ|EOI)>|\(\.\.\.\)|[RE]?IP:|Code:|R[SB]P:|R[A-D]X:|R[SD]I:|R\d{1,2}:|FS:|CS:|CR2|DR\d|PKRU|\[<|[\w.$]+\+0x)/;
const TRACE_END = /^\s*<\/TASK>\s*$/;
// What follows a finished trace and still belongs to the report. With lockdep's irq tracing on
// (PROVE_LOCKING), __warn() prints the irq event stamps between the trace and "---[ end trace"
// (real capture: crashmod refcount and odebug on the 6.12 debug kernel).
const TAIL = /^(?:Modules linked in|CR2: |Kernel Offset|FIX |Disabling lock debugging|irq event stamp: |(?:hard|soft)irqs last +(?:en|dis)abled at|\s*RIP  \[<|\s*RSP <|\s*EIP: \[<)/;
const END_MARK = /^---\[ end (?:trace|Kernel panic)/;
// x86 oops_end() prints the faulting registers once more after "---[ end trace"; they are the oops's own lines.
const END_TRACE = /^---\[ end trace/;
const REGS_AGAIN = /^(?:RIP: |Code: |RSP: |RAX: |RDX: |RBP: |R10: |R13: |FS: |CS: |CR2: |PKRU: )/;

// The task a report's lines speak for: the WARNING header and dump_stack()'s "CPU: 1 UID: 0 PID: 86 Comm:" line.
const CONTEXT = /\bCPU: \d+ (?:UID: \d+ )?PID: (\d+)\b/;
// Reports that show several tasks or CPUs by design.
const MULTI_CONTEXT = new Set(['hung-task', 'soft-lockup', 'hard-lockup', 'rcu-stall', 'workqueue-lockup', 'oom']);

const enum Phase { Pre, Trace, Post, Regs }

export class OpenReport {
  lines: string[] = [];
  end: number;
  frames: string[] = [];
  private loose: string[] = [];
  private looseDone = false;
  private traces = 0;
  pc: string | undefined;
  private phase = Phase.Pre;
  private gapLines: string[] = [];
  chained: string[] = [];
  truncated = false;
  corrupted: string | undefined;
  /** The unfinished report this one's header cut short, with no caller ids to separate them. */
  cutShort: OpenReport | undefined;
  private pid: string | undefined;
  private otherCpus = false;
  private emitted: CrashReport | undefined;
  /** The report this one is a consequence of (detector.ts folds it in on close). */
  parent: OpenReport | undefined;
  openChildren = 0;
  settleAt = 0;

  constructor(public row: Kind, public groups: Groups, readonly start: number, readonly caller: string | undefined) {
    this.end = start;
  }

  /** Add a line the report certainly owns (its header, a line of a partOf kind). */
  take(raw: string, n: number): void {
    if (this.gapLines.length) this.lines.push(...this.gapLines);
    this.gapLines = [];
    this.lines.push(raw);
    this.end = n;
    this.checkContext(raw);
  }

  /** A second task's "CPU: … PID: …" line in a one-task report: two reports' lines interleaved. */
  private checkContext(raw: string): void {
    if (this.corrupted || this.otherCpus || MULTI_CONTEXT.has(this.row.kind) || !raw.includes('PID: ')) {
      if (raw.includes('NMI backtrace for cpu')) this.otherCpus = true;
      return;
    }
    const pid = CONTEXT.exec(raw)?.[1];
    if (pid === undefined) return;
    this.pid ??= pid;
    if (pid === this.pid) return;
    this.corrupted = `holds lines of another task (PID ${pid}; the report's is ${this.pid}): two reports printed at once, no caller ids to separate them`;
    if (this.cutShort?.pid === pid) this.cutShort.markCorrupted(`cut short: its task's lines (PID ${pid}) went on inside the next report`);
  }

  /** Mark corrupted, also after the report was emitted (a later report can prove it). */
  markCorrupted(why: string): void {
    this.corrupted ??= why;
    if (this.emitted) this.emitted.corrupted ??= why;
  }

  /** Take a header line of a partOf kind; it may be the report's end marker ("Out of memory: Killed process"). */
  own(raw: string, body: string, n: number): 'open' | 'closed' {
    this.take(raw, n);
    return this.row.end.marker?.test(body) ? 'closed' : 'open';
  }

  /** Offer a line; returns 'open' (kept or tolerated), or 'closed' when the report is over. */
  offer(raw: string, body: string, n: number): 'open' | 'closed' {
    const end = this.row.end;
    if (this.lines.length >= end.maxLines) return 'closed';
    if (end.marker?.test(body)) return this.take(raw, n), 'closed';
    if (this.row.detail && !this.detailed) this.detail(body);
    if (this.phase === Phase.Trace) {
      if (TRACE_END.test(body)) return this.take(raw, n), this.traceOver(), 'open';
      if (TRACE_BODY.test(body)) {
        this.take(raw, n);
        this.pc ??= parseKernelPc(body);
        if (this.traces === 1) {
          const f = parseFrame(body);
          if (f) this.frames.push(f);
        }
        return 'open';
      }
      // Another CPU's line in the middle of the trace: tolerated, unless the trailer begins.
      if (!TAIL.test(body) && !END_MARK.test(body) && this.gapLines.length < end.gap) {
        this.gapLines.push(raw);
        return 'open';
      }
      this.gapLines = [];
      this.traceOver();
    }
    if (this.phase === Phase.Regs) return REGS_AGAIN.test(body) ? (this.take(raw, n), 'open') : 'closed';
    if (this.phase === Phase.Post) {
      if (END_TRACE.test(body)) return this.take(raw, n), this.phase = Phase.Regs, 'open';
      if (END_MARK.test(body)) return this.take(raw, n), 'closed';
      // A further section of the same report (RCU's GP-kthread starvation dump): read it like the first.
      if (end.more?.test(body)) return this.phase = Phase.Pre, this.take(raw, n), 'open';
      if (TAIL.test(body)) return this.take(raw, n), 'open';
      return 'closed';
    }
    if (TRACE_START.test(body)) {
      this.traces++;
      this.phase = Phase.Trace;
      this.take(raw, n);
      return 'open';
    }
    // Line-shaped kinds (btrfs, I/O errors) own only their own lines, not generic report text.
    if (end.anyBody || ((end.afterTrace || end.marker) && GENERIC_BODY.test(body)) || end.body?.test(body)) {
      this.take(raw, n);
      this.pc ??= parseKernelPc(body);
      if (this.traces === 0 && !this.looseDone) {
        const f = parseFrame(body);
        if (f) this.loose.push(f);
        else if (f === undefined && this.loose.length) this.looseDone = true;
      }
      return END_MARK.test(body) ? 'closed' : 'open';
    }
    this.gapLines.push(raw);
    return this.gapLines.length > end.gap ? 'closed' : 'open';
  }

  /** Whether the report reached its natural end (vs cut off by flush or a cap). */
  get complete(): boolean {
    const end = this.row.end;
    // Old kernels close a trace with no </TASK>: a trace already followed by an unrelated line has ended.
    return this.phase === Phase.Post || this.phase === Phase.Regs || (!end.afterTrace && !end.marker) ||
      (this.phase === Phase.Trace && !!end.afterTrace && !end.marker && this.gapLines.length > 0 && this.frames.length > 0);
  }

  /** Fold a consequence (a panic after this oops) into this report. */
  absorb(child: OpenReport, between: string[]): void {
    this.lines.push(...between, ...child.lines);
    this.end = Math.max(this.end, child.end);
    this.chained.push(child.finish().title, ...child.chained);
    if (!this.frames.length && !this.loose.length) {
      this.frames = child.frames;
      this.loose = child.loose;
    }
    this.pc ??= child.pc;
    this.truncated ||= child.truncated;
    this.corrupted ??= child.corrupted;
  }

  /** The finished report. */
  finish(): CrashReport {
    const frames = this.frames.length ? this.frames : this.loose;
    const guilty = this.guilty(frames);
    const title = buildTitle(this.row, this.groups, guilty);
    const r: CrashReport = {
      kind: this.row.kind, title, guilty, frames, signature: signature(title),
      start: this.start, end: this.end, excerpt: this.lines.join('\n'),
    };
    if (this.truncated) r.truncated = true;
    if (this.corrupted) r.corrupted = this.corrupted;
    this.emitted = r;
    if (this.chained.length) r.chained = this.chained;
    return r;
  }

  private guilty(frames: string[]): string {
    const skip = this.row.skip ?? [];
    for (const source of this.row.guilty) {
      const candidates = source === 'header' ? [this.groups.fn ?? ''] : source === 'pc' ? [this.pc ?? ''] : frames;
      const g = firstGuilty(candidates.map(cleanFunction), skip);
      if (g) return g;
    }
    return '';
  }

  private detailed = false;
  private detail(body: string): void {
    const m = this.row.detail!.exec(body);
    if (!m) return;
    this.detailed = true;
    this.groups = { ...this.groups, ...m.groups };
  }

  private traceOver(): void {
    this.phase = this.row.end.afterTrace ? Phase.Post : Phase.Pre;
  }
}
