// Evidence for hangs: which tasks are stuck and where, gathered before the VM is stopped.
import type { Guest } from '../guest/ssh.js';

// Blocked (D state) tasks with their kernel stacks, then sysrq-w so the console
// also carries the kernel's own dump of blocked tasks.
const STUCK_TASKS = `
for d in /proc/[0-9]*; do
  s=$(sed -n 's/^State:[[:space:]]*//p' "$d/status" 2>/dev/null)
  case "$s" in D*)
    echo "== pid \${d#/proc/} ($(cat "$d/comm" 2>/dev/null)) state $s wchan $(cat "$d/wchan" 2>/dev/null)"
    echo "cmdline: $(tr '\\0' ' ' < "$d/cmdline" 2>/dev/null)"
    cat "$d/stack" 2>/dev/null
  esac
done
echo 1 > /proc/sys/kernel/sysrq 2>/dev/null; echo w > /proc/sysrq-trigger 2>/dev/null
echo "== ps"; ps 2>/dev/null
`;

/** Stuck-task stacks from the guest, or why they could not be had. */
export async function collectHangDiagnostics(guest: Guest): Promise<string> {
  if (guest.lost) return 'SSH connection lost: no task stacks (see console.log for sysrq output if any)';
  const r = await guest.exec(STUCK_TASKS, { timeoutMs: 20_000 });
  if (r.timedOut) return `diagnostics timed out; partial output:\n${r.stdout}`;
  return r.stdout || r.stderr || '(no output)';
}
