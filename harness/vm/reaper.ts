// Process-wide registry of live QEMU processes, so none outlives krepro:
// - 'exit' (normal end, process.exit, uncaught exception): SIGKILL, synchronously;
// - SIGINT/SIGTERM/SIGHUP: stop each machine gracefully (short grace), then
//   exit with 128+signo unless someone else also handles that signal;
// - node itself SIGKILLed: handled at spawn time (setpriv --pdeathsig, machine.ts).

import { constants } from 'node:os';

/** What the reaper needs from a running machine. */
export interface Reapable {
  pid: number;
  /** Graceful stop (QMP quit, then signals). */
  stop(opts?: { graceMs?: number }): Promise<void>;
}

const live = new Set<Reapable>();
let installed = false;
let stopping = false;

// How long a signal-triggered shutdown may take before we SIGKILL and exit.
const SIGNAL_GRACE_MS = 3000;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Track a QEMU process until unregister() (call right after spawn). */
export function register(m: Reapable): void {
  live.add(m);
  install();
}

/** Forget a process that has exited. */
export function unregister(m: Reapable): void {
  live.delete(m);
}

/** Number of live processes tracked (for tests). */
export function liveCount(): number {
  return live.size;
}

function killAllNow(): void {
  for (const m of live) {
    try {
      process.kill(m.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

async function onSignal(sig: (typeof SIGNALS)[number]): Promise<void> {
  if (stopping) return;
  stopping = true;
  const all = [...live];
  const timer = new Promise<void>((r) => setTimeout(r, SIGNAL_GRACE_MS).unref());
  await Promise.race([Promise.allSettled(all.map((m) => m.stop({ graceMs: SIGNAL_GRACE_MS - 500 }))), timer]);
  killAllNow();
  stopping = false;
  // Our listener replaced node's default "die on signal"; restore that unless
  // the application registered its own handler and will exit by itself.
  if (otherSignalHandlers(sig) === 0) process.exit(128 + (constants.signals[sig] ?? 0));
}

/** Listeners for `sig` besides ours and signal-exit's (used by execa, tap), which defer to everyone else. */
function otherSignalHandlers(sig: NodeJS.Signals): number {
  // signal-exit publishes how many of its instances are loaded (one listener
  // each: v4 on a global symbol, v3 on process); it only re-raises when it is
  // alone, so counting it as a handler would leave nobody exiting.
  const count = (o: unknown): number => {
    const c = (o as { count?: unknown } | undefined)?.count;
    return typeof c === 'number' ? c : 0;
  };
  const g = globalThis as Record<symbol, unknown>;
  const signalExit = count(g[Symbol.for('signal-exit emitter')]) + count((process as unknown as Record<string, unknown>).__signal_exit_emitter__);
  return process.listenerCount(sig) - 1 - signalExit;
}

function install(): void {
  if (installed) return;
  installed = true;
  // 'exit' listeners must be synchronous: SIGKILL is the only thing that works here.
  process.on('exit', killAllNow);
  // The monitor variant observes without changing node's crash behaviour;
  // the 'exit' that follows does the killing.
  process.on('uncaughtExceptionMonitor', killAllNow);
  for (const sig of SIGNALS) process.on(sig, () => void onSignal(sig));
}
