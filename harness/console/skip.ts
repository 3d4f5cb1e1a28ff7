// Frames that are plumbing, not the bug, grouped by the role they play. A report's
// guilty function is its first frame outside these lists (frames.ts): the caller of
// the lock, the allocator, the checker. Every kind skips COMMON; kinds.ts adds the
// roles that are machinery for that kind only (the scheduler for a hung task, the
// allocator for a leak). Names are anchored alternations, tested once per frame.

const names = (...alternatives: string[]): RegExp => new RegExp(`^(?:${alternatives.join('|')})$`);

/** Printing the report itself: stack dumpers, WARN/BUG/panic and the trap handlers that call them. */
export const REPORTING = names(
  '(?:__)?dump_stack(?:_lvl)?', 'show_(?:stack|regs|trace_log_lvl)', '__show_regs', '(?:__)?(?:panic|vpanic|nmi_panic)', 'check_panic_on_warn',
  '__warn(?:_printk)?', 'warn_slowpath\\w*', '(?:report|handle|do)_bug', '(?:exc|do|asm)_(?:exc_)?invalid_op', 'asm_(?:exc|sysvec|common)_\\w+',
  '(?:exc|do)_(?:general_protection|page_fault|double_fault|int3|debug|divide_error|stack_segment|bounds|alignment_check)', 'handle_stack_overflow',
  'die(?:_addr|_body)?', '__die(?:_body)?', 'oops_end', 'do_trap', 'do_error_trap', 'do_user_addr_fault', 'kernelmode_fixup_or_oops', 'fixup_exception',
  'page_fault_oops', 'no_context', '__bad_area_nosemaphore', 'bad_area_nosemaphore', 'handle_page_fault', 'show_fault_oops', 'dump_pagetable',
  // arm64 fault and BRK entry
  'arm64_notify_die', 'do_mem_abort', 'el1_abort', 'el1_da', 'el1_sync', 'el1h_64_sync(?:_handler)?', '__do_kernel_fault', 'die_kernel_fault',
  'do_translation_fault', 'do_page_fault', 'do_bad_area', 'bug_handler', 'brk_handler', 'call_el1_break_hook', 'do_el1_brk64', 'el1_dbg', 'do_debug_exception', 'show_pte',
  '__schedule_bug', 'spl_(?:panic|dumpstack)', '(?:print|check)_\\w+_bug',
);

/** Sanitizer, coverage and debug-allocator report helpers and hooks (KASAN, KMSAN, KCSAN, KFENCE, UBSAN, kcov, CFI). */
export const SANITIZER = names(
  '(?:__)?(?:kasan|kmsan|kcsan|kfence|ubsan|kcov)_\\w+', '__(?:asan|hwasan|msan|tsan|ubsan|sanitizer_cov)_\\w+', 'write_comp_data',
  'check_memory_region(?:_inline)?', 'check_region_inline', 'instrument_\\w+', 'print_report', 'print_address_description\\w*', 'start_report', 'end_report',
  'describe_object\\w*', 'print_track', 'stack_trace_save\\w*', 'stack_depot_save\\w*', 'save_stack\\w*', 'set_track\\w*',
  'report_cfi_failure', 'handle_cfi_failure', '__cfi_slowpath\\w*', '__cfi_check_fail',
);

/** Process, kthread, workqueue, timer, softirq, RCU-callback and syscall plumbing around the code that runs. */
export const PLUMBING = names(
  '(?:__)?kthread', 'ret_from_fork(?:_asm)?', 'smpboot_thread_fn', 'kthread_worker_fn', 'process_one_work', 'process_scheduled_works', 'worker_thread',
  'rescuer_thread', 'async_run_entry_fn', 'call_timer_fn', 'expire_timers', '__run_timers?', 'run_timer_softirq', '(?:__)?run_timer_base', 'tmigr_handle_remote\\w*',
  '__hrtimer_run_queues', 'hrtimer_interrupt', '__sysvec_\\w+', 'sysvec_\\w+', 'handle_softirqs', '__do_softirq', 'do_softirq\\w*', 'run_ksoftirqd',
  '(?:__)?irq_exit(?:_rcu)?', 'rcu_do_batch', 'rcu_core(?:_si)?', 'irq_thread\\w*', 'do_syscall_(?:64|x64|32_irqs_on)', 'x64_sys_call', 'entry_SYSCALL_64\\w*',
  'do_one_initcall', 'start_kernel', 'kernel_init(?:_freeable)?', 'rest_init', 'cpu_startup_entry', 'do_idle', 'start_secondary', '(?:secondary|common)_startup_64\\w*',
  'invoke_syscall', 'el0_svc\\w*', 'do_el0_svc', 'el0t_64_sync\\w*',
);

/** String and memory primitives: the caller chose the bad pointer or length. */
export const STRING = names(
  '(?:__)?mem(?:cpy|set|move|cmp|chr|scan)(?:_orig|_erms|_fast|_generic)?', 'bcmp',
  'str(?:n?(?:cpy|cat|cmp|len|chr)|s?cpy|lcpy|lcat|rchr|str|nstr|sep|spn|cspn|pbrk|scpy_pad|casecmp|ncasecmp)', 'sized_strscpy', '__fortify_\\w+', 'fortify_panic',
  'v?s[cn]?printf', 'vscnprintf',
);

/** SLUB's debug checks and free path: they find a corruption on behalf of the code that freed or allocated. */
export const SLAB_DEBUG = names(
  'print_trailer', 'object_err', 'slab_err', 'slab_bug', 'check_object', 'check_bytes_and_report', 'free_debug_processing', 'on_freelist',
  'free_consistency_checks', 'alloc_debug_processing', '__slab_free', 'slab_free\\w*', 'do_slab_free', 'kfree', 'kvfree', 'kmem_cache_free', '__kmem_cache_free',
  'free_to_partial_list', '___slab_alloc', '__slab_alloc\\w*', 'set_freepointer', 'freelist_ptr_decode', 'get_freepointer', '___cache_free', '__cache_free', 'kfree_sensitive',
);

/** List, debug-object and kobject checkers: the list or object was misused by their caller. */
export const DEBUG_HELPERS = names(
  '__list_(?:add|del)\\w*valid\\w*', '__list_valid_slowpath', '(?:__)?h?list_(?:add|del)\\w*',
  'debug_print_object', '__debug_check_no_obj_freed', 'debug_check_no_obj_freed', '(?:__)?debug_object_\\w+', 'debug_objects_\\w+', '\\w+_fixup_(?:free|init|activate|assert_init)',
  'kobject_\\w+', 'kobj_\\w+', 'kref_put\\w*', 'kref_get\\w*',
);

/** refcount_t and its saturation report. */
export const REFCOUNT = names('refcount_warn_saturate', '(?:__)?refcount_\\w+');

/** Hardened-usercopy checks and the copy routines they guard. */
export const USERCOPY = names(
  '(?:__)?check_object_size', '(?:__)?check_heap_object', 'check_stack_object', 'check_kernel_text_object', 'usercopy_(?:abort|warn)', 'check_copy_size',
  '(?:__)?copy_overflow', '_?copy_(?:to|from)_user\\w*', '_inline_copy_(?:to|from)_user', 'raw_copy_(?:to|from)_user', 'copy_user_\\w+', 'rep_movs_alternative',
  '__copy_user_\\w+', '__(?:get|put)_user_\\w+', 'copyout', 'copyin', 'strncpy_from_user',
);

/** Lock primitives and lockdep's own machinery: the bug is in whoever took the lock. */
export const LOCKING = names(
  '_raw_\\w+', '__raw_\\w+', 'do_raw_\\w+', 'queued_(?:spin|read|write)_lock\\w*', '(?:native|__pv|pv)_queued_spin_lock_slowpath',
  '(?:spin|read|write)_(?:un)?lock\\w*', '(?:__)?mutex_\\w+', 'mutex_lock\\w*', 'ww_mutex_\\w+', '__ww_mutex_\\w+', 'rt_mutex_\\w+', '__rt_mutex_\\w+',
  '(?:__)?down(?:_\\w+)?', 'up_(?:read|write)\\w*', 'up', '__up_\\w+', 'rwsem_\\w+', '__rwsem_\\w+',
  'percpu_(?:down|up)_\\w+', '_atomic_dec_and_lock\\w*', 'debug_spin_\\w+', 'spin_(?:dump|bug)', 'rwlock_bug',
  // lockdep
  '(?:__)?lock_acquire\\w*', '(?:__)?lock_release', 'lock_acquired', 'lock_contended', 'lock_is_held_type', 'lock_sync', 'validate_chain', 'check_prevs?_add',
  'check_noncircular', 'check_irq_usage', 'check_deadlock', 'check_path', 'check_usage_\\w+', 'check_wait_context', 'check_flags', 'mark_lock\\w*', 'mark_usage',
  'mark_held_locks', 'valid_state', 'lockdep_\\w+', 'debug_check_no_locks_\\w+', 'hlock_class', 'reacquire_held_locks', 'find_held_lock', '__lock_(?:downgrade|set_class)',
  'lock_set_class', 'match_held_lock', 'print_\\w+_bug', 'print_usage_bug', 'print_lock\\w*', 'print_circular_bug\\w*', 'print_irq_inversion_bug',
  'print_bad_irq_dependency', 'print_deadlock_bug', 'print_unlock_imbalance_bug', 'print_held_locks_bug', 'print_freed_lock_bug', 'print_lock_invalid_wait_context',
  'print_lockdep_off', 'register_lock_class', 'look_up_lock_class', 'add_chain_cache', 'lookup_chain_cache_add', 'alloc_list_entry', 'add_lock_to_list', 'save_trace', '__might_sleep', '__might_resched', '__might_fault', 'might_fault',
);

/** The allocator and its hooks (kmemleak's create_object included): a leak or an OOM names the allocator's first caller. */
export const ALLOC = names(
  '(?:__)?kmalloc\\w*', '(?:__)?kzalloc\\w*', 'kcalloc\\w*', '(?:__)?krealloc\\w*', '(?:__)?kvmalloc\\w*', 'kvzalloc\\w*', 'kvcalloc\\w*', '(?:__)?kmem_cache_alloc\\w*', '__do_kmalloc_node',
  'kmemdup\\w*', 'kstrn?dup\\w*', 'kstrdup_const', 'kmemdup_nul', 'k?v?asprintf\\w*', 'memdup_user\\w*', 'vmemdup_user\\w*',
  '(?:__)?kmemleak_\\w+', '(?:__)?create_object', 'slab_post_alloc_hook', 'slab_alloc\\w*', '__slab_alloc_node', 'alloc_slab_obj_exts', 'kmalloc_large\\w*', '__kmalloc_large\\w*',
  '___kmalloc_large_node', 'allocate_slab', 'new_slab', '(?:__)?alloc_pages\\w*', 'alloc_pages_mpol\\w*', 'folio_alloc\\w*', '__folio_alloc\\w*', '__get_free_pages',
  'get_zeroed_page\\w*', 'get_page_from_freelist', '(?:__)?vmalloc\\w*', 'vzalloc\\w*', '__vmalloc_node\\w*', '__vmalloc_area_node', 'alloc_vmap_area', '__get_vm_area_node',
  'out_of_memory', 'oom_kill_process', 'dump_header', '(?:__)?kmem_cache_alloc\\w*', 'spl_kmem_\\w+', 'kmem_alloc\\w*', 'kmem_zalloc\\w*', 'percpu_alloc\\w*', 'pcpu_alloc\\w*',
);

/** Sleeping and waiting: a hung task names the function that waits, not the wait primitive. */
export const WAIT = names(
  '(?:__)?schedule\\w*', 'io_schedule\\w*', 'context_switch', '__switch_to(?:_asm)?', 'finish_task_switch\\w*', 'preempt_schedule\\w*',
  '(?:__)?wait_for_completion\\w*', 'wait_for_common\\w*', '__wait_for_common', 'do_wait_for_common', 'wait_on_\\w+', '__wait_\\w+', 'bit_wait\\w*',
  'out_of_line_wait_on_bit\\w*', 'finish_wait', 'prepare_to_wait\\w*', 'wait_woken', '(?:__)?cv_(?:timed)?wait\\w*', 'folio_wait_\\w+', '__folio_lock\\w*', '__lock_page\\w*',
  'msleep\\w*', 'ssleep', 'usleep_range\\w*', 'schedule_hrtimeout\\w*', '(?:__)?flush_work', 'flush_workqueue', '__flush_workqueue', 'synchronize_\\w+', '__synchronize_\\w+',
  '(?:__)?wait_rcu_gp', 'percpu_rwsem_wait', 'rwsem_down_\\w+', 'rq_qos_wait',
);

/** Everything that is never the bug, whatever the kind. */
export const COMMON: readonly RegExp[] = [REPORTING, SANITIZER, PLUMBING, STRING, SLAB_DEBUG, DEBUG_HELPERS, REFCOUNT, USERCOPY, LOCKING];
