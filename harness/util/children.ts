// Every child process krepro starts is created here, so none outlives krepro,
// however krepro ends. Each child leads a process group of its own (spawned
// detached: a new session), and the *group* is what gets killed — make -j's
// compilers, a `dpkg-deb | tar` pipeline's second half — not just the direct
// child, which is all PR_SET_PDEATHSIG could reach. The groups die:
// - when their leader exits (stragglers such as a killed make's cc1 go with it);
// - on 'exit' (normal end, process.exit, uncaught exception): synchronously;
// - on SIGINT/SIGTERM/SIGHUP, when the CLI passes the signal on
//   (util/interrupt.ts), as a terminal would to its foreground group;
// - when node itself dies without running a handler (SIGKILL, OOM killer): the
//   keeper — one small sh per krepro, in its own session, ignoring signals —
//   reads the live group ids from a pipe whose write end only this process
//   holds (close-on-exec), and at EOF, which the kernel delivers however we
//   die, kills every group still listed.
// QEMU (vm/spawn.ts) comes through here too, flagged by stopsItself(): the reaper
// stops it gracefully on a signal instead of having the signal passed on.

import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { execa as rawExeca } from 'execa';

interface Tracked {
  pgid: number;
  /** Stopped by its owner on a signal (QEMU: QMP quit), not by the signal itself. */
  ownStop: boolean;
}

const live = new Map<number, Tracked>();
let keeper: ChildProcess | undefined;
let installed = false;

// The keeper: `+PGID` adds a group, `-PGID` removes it; at EOF it kills the rest.
const KEEPER_SCRIPT = `trap '' INT TERM HUP QUIT PIPE
live=' '
while IFS= read -r l; do
  case $l in
    +*) live="$live\${l#+} " ;;
    -*) p=\${l#-}; case $live in *" $p "*) live="\${live%% $p *} \${live#* $p }" ;; esac ;;
  esac
done
for g in $live; do kill -KILL -$g 2>/dev/null; done
`;

function tell(line: string): void {
  if (!keeper) {
    keeper = nodeSpawn('/bin/sh', ['-c', KEEPER_SCRIPT], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    const k = keeper;
    k.on('error', () => {});
    k.stdin!.on('error', () => {}); // EPIPE if someone killed it: a new one is started below
    k.once('exit', () => {
      if (keeper === k) keeper = undefined;
    });
    // Neither the keeper nor its pipe keeps krepro's event loop alive.
    k.unref();
    (k.stdin as unknown as { unref?: () => void }).unref?.();
    // A replacement keeper learns every group still alive.
    for (const t of live.values()) k.stdin!.write(`+${t.pgid}\n`);
  }
  // A pipe write with an empty queue is done synchronously by libuv: the id is
  // in the kernel's pipe buffer before spawn() returns to our caller.
  keeper.stdin!.write(`${line}\n`);
}

function killGroup(pgid: number, sig: NodeJS.Signals | number): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // the group is gone
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  // 'exit' listeners must be synchronous: a signal to each group is all there is time for.
  process.on('exit', () => {
    for (const t of live.values()) killGroup(t.pgid, 'SIGKILL');
    live.clear();
  });
}

function track(child: ChildProcess, ownStop: boolean): void {
  const pid = child.pid;
  if (pid === undefined) return; // never started (ENOENT): nothing to track
  install();
  tell(`+${pid}`);
  live.set(pid, { pgid: pid, ownStop });
  child.once('exit', () => {
    // The leader is gone; anything left in its group is an orphan of this command.
    killGroup(pid, 'SIGKILL');
    live.delete(pid);
    tell(`-${pid}`);
  });
}

/** node's spawn (same call shapes), with the child in its own process group that dies with krepro. */
export const spawn = ((cmd: string, args: readonly string[], opts: SpawnOptions = {}) => {
  const child = nodeSpawn(cmd, args, { ...opts, detached: true });
  track(child, false);
  return child;
}) as typeof nodeSpawn;

/** Leave `child` out of signalChildren(): its owner stops it on a signal (QEMU: QMP quit, vm/reaper.ts). */
export function stopsItself(child: ChildProcess): void {
  const t = child.pid === undefined ? undefined : live.get(child.pid);
  if (t) t.ownStop = true;
}

/** execa (same call shape), with the child in its own process group that dies with krepro. */
export const execa = ((file: string, args?: readonly string[], options?: Record<string, unknown>) => {
  const sub = rawExeca(file, args ?? [], { ...options, detached: true });
  track(sub as unknown as ChildProcess, false);
  return sub;
}) as unknown as typeof rawExeca;

/** Pass `sig` on to every child's group (except those their owner stops itself). */
export function signalChildren(sig: NodeJS.Signals): void {
  for (const t of live.values()) if (!t.ownStop) killGroup(t.pgid, sig);
}

/** Process group ids of the children alive now (for tests and diagnostics). */
export function liveGroups(): number[] {
  return [...live.keys()];
}

/** The keeper's pid, once a child has been started (for tests). */
export function keeperPid(): number | undefined {
  return keeper?.pid;
}
