// The skip roles (harness/console/skip.ts), one stack shape each: the guilty function is the
// first frame past the role's plumbing. Stacks are frame names as the kernel prints them
// (6.12 unless said), top first; the fixtures test the same rules on whole real reports.
import t from 'tap';
import { firstGuilty } from '../../../harness/console/frames.js';
import { ALLOC, WAIT } from '../../../harness/console/skip.js';

const cases: Array<[string, string[], string, RegExp[]?]> = [
  ['refcount helpers (out of line on some builds)', ['refcount_warn_saturate', '__refcount_sub_and_test', 'refcount_dec_and_test', 'put_foo', 'foo_release'], 'put_foo'],
  ['locking entry points and lockdep', ['lock_acquire', '__lock_acquire', '_raw_spin_lock_irqsave', 'do_raw_spin_lock', 'queued_spin_lock_slowpath', 'foo_update'], 'foo_update'],
  ['mutex and rwsem entry points', ['__mutex_lock', 'mutex_lock_nested', 'down_write', 'rwsem_down_write_slowpath', 'foo_ioctl'], 'foo_ioctl'],
  ['sanitizer and coverage hooks', ['__sanitizer_cov_trace_pc', 'check_memory_region', 'kasan_check_range', '__asan_load8', 'foo_parse'], 'foo_parse'],
  ['usercopy checks', ['usercopy_abort', '__check_heap_object', '__check_object_size', '_copy_to_user', 'foo_read'], 'foo_read'],
  ['debugobjects and list debug', ['debug_print_object', '__debug_check_no_obj_freed', 'debug_check_no_obj_freed', '__list_del_entry_valid_or_report', 'foo_free'], 'foo_free'],
  ['string and memory primitives', ['memcpy_orig', '__memcpy', 'strscpy', 'sized_strscpy', 'foo_copy_name'], 'foo_copy_name'],
  ['workqueue, timer and kthread plumbing under a work item', ['foo_work_fn', 'process_one_work', 'worker_thread', 'kthread', 'ret_from_fork'], 'foo_work_fn'],
  ['a timer callback run from softirq', ['call_timer_fn', '__run_timers', 'run_timer_softirq', 'handle_softirqs'], ''],
  ['kmemleak: the allocator\'s first caller', ['kmemleak_alloc', 'create_object', 'slab_post_alloc_hook', '__kmalloc_cache_noprof', 'kmemdup_noprof', 'foo_dup_config', 'foo_ioctl'], 'foo_dup_config', [ALLOC]],
  ['a hung task names the function that waits', ['__switch_to_asm', '__schedule', 'schedule', 'schedule_preempt_disabled', '__mutex_lock', 'mutex_lock_nested', 'foo_sync'], 'foo_sync', [WAIT]],
  ['a hung task in a completion wait', ['__schedule', 'schedule', 'schedule_timeout', '__wait_for_common', 'wait_for_completion', 'foo_flush'], 'foo_flush', [WAIT]],
  ['names that only look like plumbing stay', ['download_fw', 'update_stats', 'checksum_fold'], 'download_fw'],
];

for (const [name, stack, want, extra] of cases) {
  t.equal(firstGuilty(stack, extra ?? []), want, name);
}
