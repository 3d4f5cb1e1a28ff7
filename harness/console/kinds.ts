// The failure kinds, one row each. The detector knows nothing about any kind: a new
// kind is a new row here plus a fixture log in test/fixtures/console/.
//
// Patterns run on the message with printk prefixes removed (prefix.ts). Rows are
// tried in order and the first match wins, so specific rows precede general ones
// (stack-protector before panic, gpf before oops). `hint` is a literal that every
// header line contains: one combined test of all hints keeps the per-line cost low.

import { ALLOC, WAIT } from './skip.js';

export type Groups = Record<string, string | undefined>;

export interface EndRule {
  /** The line that closes the report, inclusive (KASAN's closing =====). */
  marker?: RegExp;
  /** Close when the first call trace and its trailer (Modules linked in, ---[ end trace) are over. */
  afterTrace?: boolean;
  /** Free-text reports (lockdep, KASAN): every line belongs until the end rule fires. */
  anyBody?: boolean;
  /** Lines that belong to the report besides the generic report-ish ones (detector.ts). */
  body?: RegExp;
  /** After the trace, a line that opens another section of the same report; its own trace follows. */
  more?: RegExp;
  /** Consecutive unrelated lines tolerated inside the report (other output interleaved). */
  gap: number;
  maxLines: number;
}

export interface Kind {
  kind: string;
  hint: string;
  start: RegExp;
  /** Title without the guilty function; `$<name>` takes a group of `start` or `detail`.
   *  A group named msg is cut to its first clause, cause is cleaned of addresses (title.ts). */
  title: string | ((g: Groups) => string);
  /** Append " in <guilty>" when a guilty function was found (default true). */
  inGuilty?: boolean;
  /** Where the guilty function comes from, in order: header group `fn`, RIP/pc line, call trace. */
  guilty: Array<'header' | 'pc' | 'frames'>;
  /** Frames that are machinery for this kind, on top of frames.ts COMMON_SKIP. */
  skip?: RegExp[];
  /** A later line of the report that completes the title (KASAN's "Read of size 8"). */
  detail?: RegExp;
  end: EndRule;
  /** Just a line of an open report of these kinds ("Oops: 0002 [#1]" after "BUG: unable to handle"). */
  partOf?: '*' | string[];
  /** Takes over an open report of these kinds: same event, better title (SPL "PANIC at" after "VERIFY"). */
  refines?: string[];
  /** Follows from the report before it (a panic after an oops): folded into it, see detector.ts. */
  consequence?: boolean;
  /** Only a crash when `count` headers arrive within `seconds` (or `lines` lines when unstamped). */
  burst?: { count: number; seconds: number; lines: number };
  /** Recorded as a note, never a crash. */
  note?: boolean;
  /** Printed by a user-space tool (cat /sys/kernel/debug/kmemleak), so it has no printk time stamp. */
  userSpace?: boolean;
}

const TRACE: EndRule = { afterTrace: true, gap: 2, maxLines: 300 };
const FREE_TEXT: EndRule = { afterTrace: true, anyBody: true, gap: 0, maxLines: 500 };
const SANITIZER: EndRule = { marker: /^={20,}\s*$/, anyBody: true, gap: 0, maxLines: 500 };
// UBSAN ended with a ===== line until 6.5, with "---[ end trace ]---" since.
const UBSAN_END: EndRule = { marker: /^(?:={20,}\s*$|---\[ end trace)/, anyBody: true, gap: 0, maxLines: 300 };
const BTRFS_END: EndRule = { body: /^BTRFS /, gap: 0, maxLines: 100 };
const IO_END: EndRule = {
  body: /error, dev |Buffer I\/O error|^zio pool=| errs: wr |^blk_update_request|^print_req_error|^lost (?:async )?page write/,
  gap: 2,
  maxLines: 500,
};
const IO_BURST = { count: 3, seconds: 5, lines: 50 };
const BTRFS_KINDS = ['btrfs-transid', 'btrfs-abort', 'btrfs-fs-error', 'btrfs-readonly', 'btrfs-critical', 'btrfs-error'];

// Timer interrupt, NMI and stall-report paths a lockup or stall report interrupts or prints from.
const IRQ_ENTRY = /^(?:__)?(?:sysvec_\w+|hrtimer_\w+|__hrtimer_\w+|tick_\w+|update_process_times|irq_exit\w*|__irq_exit\w*|__do_softirq|handle_softirqs|do_softirq\w*|watchdog_timer_fn|rcu_\w+|print_cpu_stall\w*|print_other_cpu_stall|check_cpu_stall|nmi_\w+|\w*_cpumask_backtrace|trigger_\w+_backtrace|default_do_nmi|exc_nmi|sched_show_task|dump_cpu_task|__sysvec_\w+|cpuidle_\w+|default_idle\w*|do_idle|cpu_startup_entry|sched_tick|scheduler_tick|synchronize_rcu\w*)$/;

// Clock reads and delay loops a busy-waiting function calls: where a lockup's RIP lands by chance
// (real capture: soft lockup with "RIP: 0010:read_hpet" under ktime_get_mono_fast_ns in crashmod_softlockup).
const SPIN = /^(?:ktime_get\w*|read_hpet|read_tsc|native_read_tsc|rdtsc\w*|acpi_pm_read\w*|kvm_clock_\w+|pvclock_\w+|native_sched_clock|sched_clock\w*|local_clock\w*|cpu_relax|rep_nop|delay_tsc|delay_halt\w*|__const_udelay|__udelay|__delay|udelay)$/;
// The page-fault path that allocates on behalf of whatever touched the page: an OOM's guilty frame is the
// kernel function that faulted (real capture: "tail /dev/zero" OOMs under read_zero → clear_user → #PF →
// vma_alloc_folio), or none when user space itself faulted.
const MM_FAULT = /^(?:vma_alloc_folio|alloc_pages_vma|(?:__)?handle_mm_fault|handle_pte_fault|do_anonymous_page|do_(?:cow|read|shared)_fault|__do_fault|do_fault|do_wp_page|wp_page_copy|policy_node|do_page_fault|filemap_fault|__filemap_get_folio|shmem_(?:fault|get_folio\w*|alloc_\w+))$/;
const SLAB_INTERNAL = /^(?:get_partial_node|get_partial|check_slab|deactivate_slab|discard_slab|__free_slab|free_slab|slab_pad_check|validate_slab\w*)$/;
// The page allocator's free and rmap paths that notice a bad struct page on behalf of whoever freed or unmapped it.
const PAGE_CHECK = /^(?:bad_page|free_page_is_bad\w*|free_pages_check\w*|check_new_page\w*|free_pages_prepare|free_tail_page_prepare|__free_one_page|free_unref_\w+|free_pcppages_bulk|__free_pages\w*|free_pages|__folio_put\w*|folio_put\w*|folios_put\w*|put_page|__put_page|release_pages|free_pages_and_swap_cache|tlb_\w+|print_bad_pte|page_remove_rmap|folio_remove_rmap\w*|__folio_remove_rmap|zap_\w+|unmap_\w+|exit_mmap|mmput|__mmput|check_mm|__mmdrop)$/;
// DEBUG_PREEMPT's check, which names the caller itself ("caller is FUNC").
const PREEMPT_CHECK = /^(?:check_preemption_disabled|debug_smp_processor_id|__this_cpu_preempt_check)$/;

// Kernels built out of tree (O=) with a relative or absolute source path print it in front of the
// file: "kernel BUG at ../../../kernel-src/…/linux-source-6.12/mm/usercopy.c:102!" (real capture, krepro's
// own 6.12 build). Rows that decide by file compare from the tree's top-level directory on.
const TREE_TOP = new Set(['arch', 'block', 'certs', 'crypto', 'drivers', 'fs', 'include', 'init', 'io_uring', 'ipc', 'kernel', 'lib', 'mm', 'net', 'rust', 'samples', 'security', 'sound', 'virt']);

/** "../../x/linux-source-6.12/mm/usercopy.c" -> "mm/usercopy.c"; a path already relative to the tree stays. */
export function treePath(file: string | undefined): string | undefined {
  if (!file || !/^(?:\.\.?\/|\/)/.test(file)) return file;
  const parts = file.split('/');
  // The tree's own directory (linux-6.12, linux-source-6.12) when there is one, so /home/u/kernel/linux/… is not cut at kernel/.
  let from = 0;
  parts.forEach((p, i) => { if (/^linux/.test(p)) from = i + 1; });
  const top = parts.findIndex((p, i) => i >= from && i < parts.length - 1 && TREE_TOP.has(p));
  return top >= 0 ? parts.slice(top).join('/') : file;
}

/** Lockdep report headers (6.x "WARNING: …", ≤ 4.9 "[ INFO: … ]"/"[ BUG: … ]") → the title people search for. */
function lockdepTitle(g: Groups): string {
  const what = (g.what ?? '').replace(/[.!]$/, '');
  if (/circular|recursive|inversion|-safe ->/.test(what)) return 'possible deadlock';
  if (/^inconsistent lock state$/.test(what)) return 'inconsistent lock state';
  if (/non-static key/.test(what)) return 'INFO: trying to register non-static key';
  if (/Invalid wait context/.test(what)) return 'BUG: Invalid wait context';
  if (/still has locks held/.test(what)) return 'WARNING: still has locks held';
  return `WARNING: ${what.replace(/ detected$/, '').replace(/^Nested/, 'nested')}`;
}

// A WARNING raised by a checker is the checker's kind of bug: the title says which, and the guilty
// frame is the checker's caller (the checkers are in skip.ts COMMON). Matched on the WARNING line's
// function, or its file; the first row that matches wins.
const WARNING_FLAVOURS: Array<{ fn?: RegExp; file?: RegExp; title: string }> = [
  { fn: /^refcount_\w+$|^__refcount_\w+$/, file: /^lib\/refcount\.c$/, title: 'WARNING: refcount bug' },
  { fn: /^debug_print_object$/, file: /^lib\/debugobjects\.c$/, title: 'WARNING: ODEBUG bug' },
  { fn: /^(?:usercopy_warn|__copy_overflow|copy_overflow)$/, file: /^mm\/usercopy\.c$/, title: 'WARNING: bad usercopy' },
  { fn: /^kobject_\w+$|^kobj_\w+$/, file: /^lib\/kobject\.c$/, title: 'WARNING: kobject bug' },
  { fn: /^(?:__)?lock_(?:acquire|release)$|^(?:check_flags|lockdep_\w+|__lock_acquire)$/, file: /^kernel\/locking\//, title: 'WARNING: locking bug' },
];

function warningTitle(g: Groups): string {
  const fn = g.fn ? g.fn.replace(/\.(?:isra|constprop|part|cold)(?:\.\d+)?/g, '') : '';
  const file = treePath(g.file);
  const f = WARNING_FLAVOURS.find((w) => (fn && w.fn?.test(fn)) || (file && w.file?.test(file)));
  return f ? f.title : 'WARNING';
}

// Before UBSAN named its checks in the header (< 5.x: "UBSAN: Undefined behaviour in FILE"), the
// next line said which; the same bug gets the same title either way.
const UBSAN_DETAIL: Array<[RegExp, string]> = [
  [/^shift exponent|^left shift of/, 'shift-out-of-bounds'], [/^index -?\d+ is out of range/, 'array-index-out-of-bounds'],
  [/^signed integer overflow/, 'signed-integer-overflow'], [/^load of value/, 'invalid-load'], [/^division (?:by zero|of)/, 'division-overflow'],
  [/^negation of/, 'negation-overflow'], [/misaligned address/, 'misaligned-access'], [/null pointer/, 'null-ptr-deref'],
  [/^pointer index expression|^pointer .*overflow/, 'pointer-overflow'], [/^variable length array/, 'vla-bound-not-positive'],
];

function ubsanTitle(g: Groups): string {
  if (g.what !== 'Undefined behaviour') return `UBSAN: ${g.what}`;
  const hit = UBSAN_DETAIL.find(([re]) => re.test(g.ubsanDetail ?? ''));
  return `UBSAN: ${hit ? hit[1] : 'undefined-behaviour'}`;
}

/** Failure kinds, most specific first. */
export const KINDS: Kind[] = [
  { kind: 'stack-protector', hint: 'stack-protector', start: /^Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: (?<fn>[\w.$]+)/,
    title: 'stack-protector: Kernel stack is corrupted', guilty: ['header', 'frames'], end: { ...TRACE, marker: /^---\[ end Kernel panic/ } },
  { kind: 'stack-overflow', hint: 'stack', start: /^(?:BUG: (?:\w+ )?stack guard page was hit at|stack guard page: [0-9a-f]{4}|(?:Oops: )?kernel stack overflow|Kernel panic - not syncing: corrupted stack end detected inside scheduler|Kernel panic - not syncing: kernel stack overflow)/,
    title: 'kernel stack overflow', guilty: ['pc', 'frames'], partOf: ['stack-overflow'], end: TRACE },
  { kind: 'double-fault', hint: 'double fault', start: /^(?:traps: )?(?:PANIC: double fault|(?:Oops: )?double fault: [0-9a-f]{4})/,
    title: 'double fault', guilty: ['pc', 'frames'], partOf: ['stack-overflow', 'double-fault'], end: TRACE },
  { kind: 'kasan', hint: 'KASAN', start: /^BUG: KASAN: (?<what>[\w-]+(?: or [\w-]+)?)(?: in (?<fn>[\w.$]+))?/, detail: /^(?<access>Read|Write) of size/,
    // 6.4 renamed a slab object's "use-after-free" to "slab-use-after-free": one title across the rename,
    // so a bisection that spans it still sees one bug.
    title: (g) => `KASAN: ${g.what === 'slab-use-after-free' ? 'use-after-free' : g.what} ${g.access ?? ''}`, guilty: ['header', 'frames'], end: SANITIZER },
  { kind: 'kfence', hint: 'KFENCE', start: /^BUG: KFENCE: (?<what>[\w-]+(?: [\w-]+)*?) in (?<fn>[\w.$]+)/,
    title: 'KFENCE: $<what>', guilty: ['header', 'frames'], end: SANITIZER },
  { kind: 'kmsan', hint: 'KMSAN', start: /^BUG: KMSAN: (?<what>[\w-]+) in (?<fn>[\w.$]+)/,
    title: 'KMSAN: $<what>', guilty: ['header', 'frames'], end: SANITIZER },
  // A module's function carries " [module]" before the other access's " / fn" (real 6.12 KCSAN capture).
  { kind: 'kcsan', hint: 'KCSAN', start: /^BUG: KCSAN: (?<what>assert: race|[\w-]+) in (?<fn>[\w.$]+)(?:\+\S+)?(?: \[[\w-]+\])?(?: \/ (?<fn2>[\w.$]+))?/,
    title: (g) => `KCSAN: ${g.what} in ${g.fn}${g.fn2 ? ` / ${g.fn2}` : ''}`, inGuilty: false, guilty: ['header'], end: SANITIZER },
  { kind: 'ubsan', hint: 'UBSAN: ', start: /^UBSAN: (?<what>Undefined behaviour|[\w-]+) in (?<file>\S+)/,
    detail: /^(?<ubsanDetail>shift exponent|left shift of|index -?\d+ is out of range|signed integer overflow|load of value|division (?:by zero|of)|negation of|.*misaligned address|.*null pointer|pointer index expression|pointer .*overflow|variable length array)/,
    title: ubsanTitle, guilty: ['frames'], end: UBSAN_END },
  { kind: 'cfi', hint: 'CFI failure', start: /^CFI failure at (?<fn>[\w.$]+)/,
    title: 'CFI failure', guilty: ['header', 'pc', 'frames'], end: TRACE },
  { kind: 'list-corruption', hint: 'list_', start: /^(?<what>list_(?:add|del) (?:corruption|double add))[.,:]/,
    title: '$<what>', guilty: ['pc', 'frames'], end: TRACE },
  // After repairing a corrupted slab ("FIX …: Marking all objects used", "Object at … not freed") SLUB
  // finds that slab inconsistent when a worker frees it later: the same corruption seen again, not a
  // second bug (real captures: crashmod uaf, doublefree). Alone, these are still reports of their own.
  { kind: 'slab', hint: 'BUG ', start: /^BUG (?<cache>[\w.:-]+) \((?:Not tainted|Tainted: [^)]*)\): (?<msg>Slab disabled since SLUB metadata consistency check failed|Wrong object count|Wrong number of objects)/,
    title: 'SLUB: $<msg>', guilty: ['frames'], skip: [ALLOC, SLAB_INTERNAL], consequence: true, end: FREE_TEXT },
  // The allocator's own frames are skipped: "Poison overwritten" is found in kmalloc, on behalf of its caller.
  { kind: 'slab', hint: 'BUG ', start: /^BUG (?<cache>[\w.:-]+) \((?:Not tainted|Tainted: [^)]*)\): (?<msg>.+)/,
    title: 'SLUB: $<msg>', guilty: ['frames'], skip: [ALLOC, SLAB_INTERNAL], end: FREE_TEXT },
  // Checkers that print their finding before the WARNING or BUG they raise: the report starts at the
  // finding, and the WARNING/kernel BUG lines that follow are part of it (their partOf lists).
  { kind: 'refcount', hint: 'refcount_t: ', start: /^refcount_t: (?<what>underflow|saturated|addition on 0|decrement hit 0|unknown saturation)/,
    title: 'WARNING: refcount bug', guilty: ['frames'], end: TRACE },
  { kind: 'debug-objects', hint: 'ODEBUG: ', start: /^ODEBUG: (?:(?<op>\w+) [\w ]+? \(active state \d+\) object|object \S+ is (?:NOT )?on stack)/,
    title: 'WARNING: ODEBUG bug', guilty: ['frames'], end: TRACE },
  { kind: 'usercopy', hint: 'usercopy: ', start: /^usercopy: [Kk]ernel memory (?:exposure|overwrite) attempt detected/,
    title: 'BUG: bad usercopy', guilty: ['frames'], end: TRACE },
  // A preempt count of 0 is not atomic at all: the count underflowed because __schedule_bug() reset it
  // under an earlier report, and the task trips again on exit (real capture: crashmod atomicsleep,
  // "BUG: scheduling while atomic: sh/156/0x00000000" in do_task_dead). Folded into that report.
  { kind: 'sleep-in-atomic', hint: 'scheduling while atomic', start: /^BUG: (?<what>scheduling while atomic): .+\/\d+\/0x0+$/,
    title: 'BUG: $<what>', guilty: ['frames'], skip: [WAIT], consequence: true, end: FREE_TEXT },
  { kind: 'sleep-in-atomic', hint: 'BUG: ', start: /^BUG: (?<what>sleeping function called from invalid context|scheduling while atomic|workqueue leaked (?:lock or )?atomic)/,
    title: 'BUG: $<what>', guilty: ['frames'], skip: [WAIT], end: FREE_TEXT },
  { kind: 'preemptible', hint: 'preemptible', start: /^BUG: using (?<what>smp_processor_id|__this_cpu_\w+|this_cpu_\w+)\(\) in preemptible \[[0-9a-f]+\] code: /,
    detail: /^caller is (?<fn>[\w.$]+)/, title: 'BUG: using $<what>() in preemptible code', guilty: ['header', 'frames'], skip: [PREEMPT_CHECK], end: FREE_TEXT },
  // Back in user space with a lock held, lockdep prints the held locks and no stack (real capture: crashmod
  // lockreturn on 6.12): the report is those lines, and the bug is where the first held lock was taken,
  // "#0: … (name){…}-{3:3}, at: FUNC+0x…".
  { kind: 'lockdep', hint: 'WARNING: ', start: /^WARNING: (?<what>lock held when returning to user space!)/,
    detail: /^\s*#\d+: [0-9a-f]+ \(.*\)\{[^}]*\}(?:-\{\d+:\d+\})?, at: (?<fn>[\w.$]+)\+0x/,
    title: lockdepTitle, guilty: ['header'],
    end: { body: /^(?:-{3,}|={3,}|\S+ #\d+ |\S+\/\d+ is leaving the kernel|(?:\d+|no) locks? held by|\s*#\d+: |\s*$)/, gap: 0, maxLines: 60 } },
  // Lockdep prints several stacks (how each lock of a chain was taken); the bug's is the last, "stack
  // backtrace:", the only one under a Call Trace header, which is the one frames are read from.
  { kind: 'lockdep', hint: 'WARNING: ', start: /^WARNING: (?<what>possible circular locking dependency detected|possible recursive locking detected|possible irq lock inversion dependency detected|(?:SOFT|HARD)IRQ-(?:READ-)?safe -> (?:SOFT|HARD)IRQ-(?:READ-)?unsafe lock order detected|inconsistent lock state|suspicious RCU usage|bad unlock balance detected!|held lock freed!|lock held when returning to user space!|lock held at task exit time!|Nested lock was not taken|bad contention detected!|\S+\/\d+ still has locks held!)/,
    title: lockdepTitle, guilty: ['frames'], end: FREE_TEXT },
  // Lockdep before 4.10 (and "Invalid wait context" still): the header in brackets.
  { kind: 'lockdep', hint: '[ INFO: ', start: /^\[ INFO: (?<what>possible circular locking dependency detected|possible recursive locking detected|possible irq lock inversion dependency detected|(?:SOFT|HARD)IRQ-(?:READ-)?safe -> (?:SOFT|HARD)IRQ-(?:READ-)?unsafe lock order detected|inconsistent lock state|suspicious RCU usage\.?) \]/,
    title: lockdepTitle, guilty: ['frames'], end: FREE_TEXT },
  { kind: 'lockdep', hint: '[ BUG: ', start: /^\[ BUG: (?<what>bad unlock balance detected!|held lock freed!|lock held when returning to user space!|lock held at task exit time!|Nested lock was not taken|bad contention detected!|Invalid wait context) \]/,
    title: lockdepTitle, guilty: ['frames'], end: FREE_TEXT },
  { kind: 'lockdep', hint: 'non-static key', start: /^INFO: (?<what>trying to register non-static key)/,
    title: lockdepTitle, guilty: ['frames'], end: FREE_TEXT },
  { kind: 'hung-task', hint: 'blocked for more than', start: /^INFO: task (?<comm>.+):(?<pid>\d+) blocked for more than (?<secs>\d+) seconds/,
    title: 'INFO: task hung', guilty: ['frames'], skip: [WAIT], end: TRACE },
  { kind: 'soft-lockup', hint: 'soft lockup', start: /^(?:(?:NMI )?watchdog: )?BUG: soft lockup - CPU#\d+ stuck for \d+s! \[(?<comm>.*):(?<pid>\d+)\]/,
    title: 'BUG: soft lockup', guilty: ['pc', 'frames'], skip: [IRQ_ENTRY, SPIN], end: TRACE },
  { kind: 'hard-lockup', hint: 'LOCKUP', start: /^(?:NMI watchdog: |watchdog: )?Watchdog detected hard LOCKUP on cpu (?<cpu>\d+)/,
    title: 'BUG: hard lockup', guilty: ['pc', 'frames'], skip: [IRQ_ENTRY, SPIN], end: TRACE },
  { kind: 'rcu-stall', hint: 'stall', start: /^(?:rcu: )?INFO: (?<flavor>rcu_\w+) (?:self-)?detected (?:expedited )?stalls? on CPU/,
    title: 'INFO: rcu detected stall', guilty: ['pc', 'frames'], skip: [IRQ_ENTRY, SPIN],
    // real capture (crashmod rcustall): after the stalled CPU's NMI backtrace, "rcu: rcu_preempt kthread starved
    // for N jiffies!" and "rcu: RCU grace-period kthread stack dump:" with a second trace, all one report.
    end: { ...FREE_TEXT, maxLines: 300, more: /^rcu: (?:\w+ kthread (?:starved|timer wakeup didn't happen)|RCU grace-period kthread stack dump|Stack dump where RCU)/ } },
  { kind: 'oom', hint: 'invoked oom-killer', start: /^(?<comm>.+?) invoked oom-killer: gfp_mask=/,
    title: 'out of memory', guilty: ['frames'], skip: [ALLOC, MM_FAULT], end: { marker: /^(?:Memory cgroup )?Out of memory/, anyBody: true, gap: 0, maxLines: 5000 } },
  { kind: 'oom', hint: 'Out of memory', start: /^Out of memory(?: and no killable processes|: Killed process (?<pid>\d+) \((?<comm>[^)]*)\))/,
    title: 'out of memory', guilty: ['frames'], partOf: ['oom'], end: { gap: 0, maxLines: 1 } },
  { kind: 'kernel-bug', hint: 'kernel BUG', start: /^kernel BUG at (?<file>[^:\s]+):(?<line>\d+)!/,
    title: (g) => (treePath(g.file) === 'mm/usercopy.c' ? 'BUG: bad usercopy' : 'kernel BUG'), guilty: ['pc', 'frames'], partOf: ['list-corruption', 'cfi', 'usercopy'], end: TRACE },
  { kind: 'invalid-opcode', hint: 'invalid opcode', start: /^(?:Oops: )?invalid opcode: [0-9a-f]{4}/,
    title: 'invalid opcode', guilty: ['pc', 'frames'], partOf: '*', end: TRACE },
  { kind: 'divide-error', hint: 'divide error', start: /^(?:Oops: )?divide error: [0-9a-f]{4}/,
    title: 'divide error', guilty: ['pc', 'frames'], end: TRACE },
  { kind: 'stack-segment', hint: 'stack segment', start: /^(?:Oops: )?stack segment: [0-9a-f]{4}/,
    title: 'stack segment', guilty: ['pc', 'frames'], end: TRACE },
  { kind: 'gpf', hint: 'general protection fault', start: /^(?:Oops: )?general protection fault(?:,? [^:]*(?::[^:]*)?)?: [0-9a-f]{4}(?: \[#\d+\])?/,
    title: 'general protection fault', guilty: ['pc', 'frames'], partOf: ['list-corruption'], end: TRACE },
  { kind: 'null-deref', hint: 'NULL pointer', start: /^(?:BUG: kernel NULL pointer dereference, address|BUG: unable to handle kernel NULL pointer dereference|Unable to handle kernel NULL pointer dereference)/,
    title: 'BUG: kernel NULL pointer dereference', guilty: ['pc', 'frames'], end: TRACE },
  { kind: 'page-fault', hint: 'nable to handle ', start: /^(?:BUG: unable to handle (?:page fault for address|kernel paging request at)|Unable to handle kernel (?:paging request|access to user memory|execute from non-executable memory)[\w ]* at virtual address)/,
    // One title for the 6.x and the ≤ 4.x header: the same bug on an old and a new kernel compares equal.
    title: 'BUG: unable to handle kernel paging request', guilty: ['pc', 'frames'], end: TRACE },
  { kind: 'oops', hint: 'Oops', start: /^(?:Oops(?: - [\w ]+)?: |Internal error: Oops)/,
    title: 'Oops', guilty: ['pc', 'frames'], partOf: '*', end: TRACE },
  // "WARNING: at FILE:N FUNC+0x…()" is the pre-3.x header.
  { kind: 'warning', hint: 'WARNING: ', start: /^WARNING: (?:CPU: \d+ PID: \d+ )?at (?:(?<file>\S+):\d+ )?(?<fn>[\w.$]+)\+0x/,
    title: warningTitle, guilty: ['header', 'pc', 'frames'], partOf: ['cfi', 'list-corruption', 'refcount', 'debug-objects', 'usercopy'], refines: ['btrfs-abort'], end: TRACE },
  { kind: 'spl-verify', hint: 'VERIFY', start: /^VERIFY\w*\((?<expr>.*)\) failed/,
    title: 'SPL VERIFY failed', guilty: ['frames'], end: { ...TRACE, body: /^(?:PANIC at|Showing stack)/ } },
  { kind: 'spl-panic', hint: 'PANIC at ', start: /^PANIC at (?<file>[\w.\/-]+):(?<line>\d+):(?<fn>[\w.$]+)\(\)/,
    title: 'SPL PANIC', guilty: ['header', 'frames'], refines: ['spl-verify'], end: { ...TRACE, body: /^Showing stack/ } },
  { kind: 'memory-leak', hint: 'unreferenced object', start: /^unreferenced object 0x[0-9a-f]+ \(size (?<size>\d+)\):/,
    title: 'memory leak', guilty: ['frames'], skip: [ALLOC], userSpace: true, end: { afterTrace: true, gap: 0, maxLines: 100 } },
  // Other "BUG:" lines, after every specific one above.
  { kind: 'bad-page', hint: 'BUG: Bad page', start: /^BUG: Bad page (?<what>state|map|cache) in process /,
    title: 'BUG: Bad page $<what>', guilty: ['frames'], skip: [PAGE_CHECK, ALLOC], end: FREE_TEXT },
  { kind: 'bad-page', hint: 'BUG: Bad rss-counter', start: /^BUG: Bad rss-counter state /,
    title: 'BUG: Bad rss-counter state', inGuilty: false, guilty: [], end: { gap: 0, maxLines: 1 } },
  { kind: 'spinlock', hint: 'BUG: ', start: /^BUG: (?<what>spinlock|rwlock|raw_spinlock) (?<msg>bad magic|recursion|lockup suspected|already unlocked|wrong owner|wrong CPU|cpu recursion|[\w ]+?) on CPU#/,
    title: 'BUG: $<what> $<msg>', guilty: ['frames'], end: FREE_TEXT },
  { kind: 'workqueue-lockup', hint: 'BUG: workqueue lockup', start: /^BUG: workqueue lockup - pool/,
    title: 'BUG: workqueue lockup', inGuilty: false, guilty: [], end: { body: /^(?:Showing busy workqueues|workqueue |  pwq |    (?:in-flight|pending|inactive)|pool \d+:)/, gap: 0, maxLines: 200 } },
  { kind: 'bug', hint: 'BUG: ', start: /^BUG: (?<msg>\S.*)/,
    title: 'BUG: $<msg>', guilty: ['frames'], end: FREE_TEXT },
  { kind: 'btrfs-transid', hint: 'parent transid verify failed', start: /^BTRFS (?:\w+ )?(?:\(device [^)]+\))?:? ?parent transid verify failed/,
    title: 'BTRFS: parent transid verify failed', guilty: [], consequence: true, partOf: BTRFS_KINDS, end: BTRFS_END },
  { kind: 'btrfs-abort', hint: 'Transaction aborted', start: /^BTRFS(?: \w+)?(?: \(device [^)]+\))?: Transaction aborted \(error (?<err>-?\d+)\)/,
    title: 'BTRFS: Transaction aborted', guilty: ['frames'], consequence: true, partOf: BTRFS_KINDS, end: { ...BTRFS_END, gap: 1 } },
  { kind: 'btrfs-fs-error', hint: 'BTRFS: error', start: /^BTRFS: error \(device [^)]+\) in (?<fn>[\w.$]+):\d+: errno=(?<errno>-?\d+)/,
    title: 'BTRFS: error', guilty: ['header'], consequence: true, partOf: BTRFS_KINDS, end: BTRFS_END },
  { kind: 'btrfs-readonly', hint: 'forced readonly', start: /^BTRFS(?: \w+)? \(device [^)]+\): forced readonly/,
    title: 'BTRFS: forced readonly', guilty: [], consequence: true, partOf: BTRFS_KINDS, end: BTRFS_END },
  { kind: 'io-errors', hint: ' errs: wr ', start: /^BTRFS \w+ \(device (?<dev>[^)\s]+)[^)]*\): bdev \S+ errs: wr/,
    title: 'I/O error burst on $<dev>', inGuilty: false, guilty: [], burst: IO_BURST, consequence: true, partOf: ['io-errors'], end: IO_END },
  { kind: 'btrfs-critical', hint: 'BTRFS critical', start: /^BTRFS critical \(device [^)]+\): (?<msg>.+)/,
    title: 'BTRFS critical: $<msg>', guilty: [], consequence: true, partOf: BTRFS_KINDS, end: BTRFS_END },
  { kind: 'btrfs-error', hint: 'BTRFS error', start: /^BTRFS error \(device [^)]+\): (?<msg>.+)/,
    title: 'BTRFS error: $<msg>', guilty: [], consequence: true, partOf: BTRFS_KINDS, end: BTRFS_END },
  { kind: 'io-errors', hint: ' error, dev ', start: /^(?:\w+: )?[\w /]+ error, dev (?<dev>[\w.-]+), sector \d+/,
    title: 'I/O error burst on $<dev>', inGuilty: false, guilty: [], burst: IO_BURST, consequence: true, partOf: ['io-errors'], end: IO_END },
  { kind: 'io-errors', hint: 'Buffer I/O error', start: /^Buffer I\/O error on dev(?:ice)? (?<dev>[\w.-]+),/,
    title: 'I/O error burst on $<dev>', inGuilty: false, guilty: [], burst: IO_BURST, consequence: true, partOf: ['io-errors'], end: IO_END },
  { kind: 'zio-errors', hint: 'zio pool=', start: /^zio pool=(?<pool>\S+) vdev=(?<dev>\S+) error=(?<err>\d+)/,
    title: 'ZFS I/O error burst in pool $<pool>', inGuilty: false, guilty: [], burst: IO_BURST, consequence: true, partOf: ['zio-errors'], end: IO_END },
  // ZFS suspends a pool whose only device vanished (failmode=wait): that is the designed
  // reaction to lost I/O, the kernel is healthy and `zpool clear` resumes it, so it is a
  // note the verdict can quote, not a crash. The crash, if any, comes later (seed 000).
  { kind: 'zfs-pool-suspended', hint: "WARNING: Pool '", start: /^WARNING: Pool '(?<pool>[^']+)' has encountered an uncorrectable I\/O failure and has been suspended/,
    title: "ZFS pool '$<pool>' suspended", inGuilty: false, guilty: [], note: true, end: { gap: 0, maxLines: 1 } },
  { kind: 'kmemleak', hint: 'kmemleak: ', start: /^kmemleak: (?<n>\d+) new suspected memory leaks/,
    title: 'kmemleak: new suspected memory leaks', inGuilty: false, guilty: [], note: true, end: { gap: 0, maxLines: 1 } },
  { kind: 'panic', hint: 'Kernel panic', start: /^Kernel panic - not syncing: (?<cause>.*)/,
    title: 'panic: $<cause>', inGuilty: false, guilty: ['frames'], consequence: true, end: { ...TRACE, marker: /^---\[ end Kernel panic/ } },
];
