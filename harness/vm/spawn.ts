// The one place QEMU processes are created (machines and the accel probe).

import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { spawn, stopsItself } from '../util/children.js';

// When node is SIGKILLed no handler runs: util/children.ts's keeper kills
// QEMU's group then, and PR_SET_PDEATHSIG makes the kernel kill QEMU itself at
// once, without waiting for the keeper. setpriv (util-linux) sets it and execs QEMU,
// so the pid we hold is QEMU's own. QEMU 7.2 has no -run-with to do it itself.
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/** True when QEMU dies with its parent (setpriv --pdeathsig available). */
export const diesWithParent = SETPRIV !== undefined;

/** Spawn QEMU with piped stdio in its own process group, tied to our lifetime. */
export function spawnQemu(qemu: string, argv: string[]): ChildProcess {
  const [cmd, args] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', '--', qemu, ...argv]] : [qemu, argv];
  // Its own process group (util/children.ts), so a terminal ^C reaches only
  // krepro, which then stops QEMU in order (console drained, QMP quit).
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  stopsItself(child);
  child.stdin!.on('error', () => {}); // EPIPE once QEMU is gone; stdin is never relied on
  return child;
}

/** Resolve once the process has been spawned, or with the spawn error (e.g. ENOENT). */
export function spawned(child: ChildProcess): Promise<Error | undefined> {
  return new Promise((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (e) => resolve(e));
  });
}
