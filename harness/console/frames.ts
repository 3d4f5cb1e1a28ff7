// Stack frames and the guilty function: the part of a title that must come out the
// same on every machine, so build-specific decorations are removed here.

// " ? foo+0x1a/0x40 [zfs]", "[<ffffffff81234567>] foo+0x1a/0x40", "foo.isra.0+0x1/0x2 [m 1234abcd]"
const FRAME = /^\s*(?:\[<[0-9a-f]+>\]\s*)?(\? )?([A-Za-z_.$][\w.$]*)\+0x[0-9a-f]+\/0x[0-9a-f]+/;
// x86 "RIP: 0010:foo+0x1/0x2", arm64 "pc : foo+0x1/0x2", older "RIP: foo+0x1/0x2" / "EIP: ..."
const KERNEL_PC = /^(?:[RE]IP: (?:0010:)?|pc : |PC is at )([A-Za-z_.$][\w.$]*)\+0x[0-9a-f]+/;
// GCC/LLVM clone suffixes differ between builds of the same source.
const CLONE = /\.(?:isra|constprop|part|cold|lto_priv|llvm|localalias)(?:\.\d+)?/g;

/** A frame line's function name, or undefined if not a frame; unreliable "? " frames give null. */
export function parseFrame(body: string): string | null | undefined {
  const m = FRAME.exec(body);
  if (!m) return undefined;
  return m[1] ? null : cleanFunction(m[2]!);
}

/** The function from a kernel-mode program counter line (RIP/pc), if this is one. */
export function parseKernelPc(body: string): string | undefined {
  const m = KERNEL_PC.exec(body);
  return m ? cleanFunction(m[1]!) : undefined;
}

/** "foo.isra.0+0x1/0x2 [zfs]" -> "foo". */
export function cleanFunction(name: string): string {
  const plus = name.indexOf('+0x');
  return (plus >= 0 ? name.slice(0, plus) : name).replace(CLONE, '').trim();
}

// Reporting, trap and entry machinery: never the bug itself, whatever the kind.
const COMMON_SKIP = [
  /^(?:__)?dump_stack(?:_lvl)?$/, /^show_(?:stack|regs|trace_log_lvl)$/, /^(?:__)?(?:panic|vpanic|nmi_panic)$/,
  /^__warn(?:_printk)?$/, /^warn_slowpath/, /^(?:report|handle|do)_bug$/, /^(?:exc|do|asm)_(?:exc_)?invalid_op$/,
  /^asm_(?:exc|sysvec|common)_/, /^(?:exc|do)_(?:general_protection|page_fault|double_fault|int3|debug)$/,
  /^(?:die|__die|__die_body|oops_end|do_trap|do_error_trap|do_user_addr_fault|kernelmode_fixup_or_oops)$/,
  /^(?:page_fault_oops|no_context|__bad_area_nosemaphore|bad_area_nosemaphore|handle_page_fault)$/,
  /^spl_(?:panic|dumpstack)$/, /^(?:kasan|kmsan|kcsan|kfence|ubsan)_/, /^__(?:kasan|asan|msan|tsan|ubsan|kcsan)_/,
  /^(?:print_report|print_address_description|end_report|check_region_inline|report_cfi_failure)$/,
  /^(?:handle_cfi_failure|__cfi_slowpath|__cfi_check_fail|__ubsan_handle_cfi_check_fail)/,
  /^(?:__)?(?:kthread|ret_from_fork(?:_asm)?|do_syscall_64|entry_SYSCALL_64\w*|do_one_initcall|start_kernel)$/,
  /^(?:__)?mem(?:cpy|set|move|cmp)$/, /^(?:strn?(?:cpy|cat|cmp|len|scpy|lcpy|chr)|__fortify_\w+|fortify_panic)$/,
  /^(?:print_trailer|object_err|slab_err|slab_bug|check_object|check_bytes_and_report|free_debug_processing)$/,
  /^(?:__slab_free|slab_free\w*|do_slab_free|kfree|kvfree|kmem_cache_free|__kmem_cache_free|free_to_partial_list)$/,
  /^(?:on_freelist|free_consistency_checks|alloc_debug_processing|___slab_alloc|__slab_alloc\w*)$/,
  /^(?:set_freepointer|freelist_ptr_decode|get_freepointer|___cache_free|__cache_free|kfree_sensitive)$/,
  /^__list_(?:add|del)\w*valid\w*$/, /^(?:__)?list_(?:add|del)\w*$/, /^(?:__)?(?:might_sleep|might_resched|___might_sleep|might_fault)$/,
  /^__schedule_bug$/, /^lockdep_/, /^(?:__)?lock_acquire$/, /^(?:print|check)_\w+_bug$/,
];

/** The first function not matching the common or the kind's own skip patterns. */
export function firstGuilty(candidates: Iterable<string>, extraSkip: readonly RegExp[] = []): string {
  for (const fn of candidates) {
    if (!fn) continue;
    if (COMMON_SKIP.some((r) => r.test(fn))) continue;
    if (extraSkip.some((r) => r.test(fn))) continue;
    return fn;
  }
  return '';
}
