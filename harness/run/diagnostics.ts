// Evidence for hangs and lost sessions, gathered before the VM is stopped: which
// tasks are stuck and where; for a lost session, whether the guest still runs
// and answers a fresh connection.
import type { Guest } from '../guest/ssh.js';
import type { Machine } from '../vm/machine.js';
import { errorMessage } from '../util/errors.js';

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

// What a wedged-but-alive guest looks like from a second session.
const LOST_STATE = `echo "== uptime"; cat /proc/uptime /proc/loadavg
echo "== memory"; free -m 2>/dev/null || head -5 /proc/meminfo
echo "== dropbear"; for d in /proc/[0-9]*; do [ "$(cat $d/comm 2>/dev/null)" = dropbear ] && echo "\${d#/proc/} $(sed -n 's/^State:[[:space:]]*//p' $d/status) fds=$(ls $d/fd 2>/dev/null | wc -l)"; done
echo "== dmesg (last 40)"; dmesg 2>/dev/null | tail -n 40
${STUCK_TASKS}`;

/**
 * After the session was lost (or refused a command): the VM's run state from
 * QMP, then a fresh SSH session — if the guest takes one, the lost session died
 * alone, and its state (memory, sshd, blocked tasks, kernel log) is collected.
 */
export async function collectLostDiagnostics(guest: Guest, machine: Machine, signal?: AbortSignal, timeoutMs = 20_000): Promise<string> {
  const out: string[] = [];
  if (machine.exited) {
    out.push(`QEMU has exited (${JSON.stringify(machine.exitInfo())})`);
    return out.join('\n');
  }
  try {
    const st = (await Promise.race([machine.qmp.execute('query-status'), rejectAfter(5000)])) as { status?: string };
    out.push(`VM status (QMP query-status): ${st.status ?? JSON.stringify(st)}`);
    // A panicked, paused or failed VM answers no SSH: the console holds its story.
    if (st.status !== undefined && st.status !== 'running') return out.join('\n');
  } catch (e) {
    out.push(`VM status: QMP did not answer (${errorMessage(e)})`);
  }
  let second: Guest | undefined;
  try {
    second = await guest.reconnect(timeoutMs, signal);
  } catch (e) {
    out.push(`a fresh SSH session failed within ${timeoutMs / 1000}s: ${errorMessage(e)}`);
    return out.join('\n');
  }
  try {
    out.push('a fresh SSH session was accepted: the guest is alive, only the first session ended');
    const r = await second.exec(LOST_STATE, { timeoutMs });
    out.push(r.timedOut ? `state collection timed out; partial output:\n${r.stdout}` : r.stdout || r.stderr || '(no output)');
  } finally {
    second.close();
  }
  return out.join('\n');
}

function rejectAfter(ms: number): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms / 1000}s`)), ms).unref());
}
