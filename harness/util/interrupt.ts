// Ctrl-C and SIGTERM end a run cleanly: the VM is stopped (vm/reaper.ts), the
// interrupted attempt is recorded as error/infra, no further attempt starts,
// and krepro exits 128+signo. The signal is passed on to the other children's
// process groups (a build's make -j, apt), as a terminal would have done
// before util/children.ts gave each its own group.
import { constants } from 'node:os';
import { signalChildren } from './children.js';

const controller = new AbortController();
let received: NodeJS.Signals | undefined;

/** Start listening for SIGINT/SIGTERM (the CLI calls this once). */
export function watchInterrupts(): void {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      received ??= sig;
      signalChildren(sig);
      controller.abort(new Error(`interrupted by ${sig}`));
    });
  }
}

/** Aborted once krepro has been asked to stop. */
export const interrupted: AbortSignal = controller.signal;

/** The exit code an interrupted krepro must end with, if it was interrupted. */
export function interruptExitCode(): number | undefined {
  return received ? 128 + (constants.signals[received] ?? 0) : undefined;
}
