// What a step implementation may touch during a run.
import type { Guest, ExecResult } from '../guest/ssh.js';
import type { Scenario, RunStep, Step } from '../scenario/types.js';
import type { StepStatus } from '../results/types.js';
import type { Machine } from '../vm/machine.js';
import type { VmDisk } from '../vm/argv.js';
import type { ConsoleWatch } from './console-watch.js';
import type { Recorder } from './recorder.js';

/** A background command started by `run: … background: NAME`. */
export interface Job {
  name: string;
  step: RunStep;
  result: Promise<ExecResult>;
  done?: ExecResult;
  /** Relative path of its output file (steps/NN-run-NAME.out). */
  output?: string;
  /** Ended by the harness (a parallel block's join policy), not by itself. */
  stopped?: boolean;
}

export interface RunContext {
  scenario: Scenario;
  machine: Machine;
  guest: Guest;
  console: ConsoleWatch;
  rec: Recorder;
  jobs: Map<string, Job>;
  disks: Map<string, VmDisk>;
  /** Aborted when the run must stop: a crash, the global timeout, Ctrl-C. */
  signal: AbortSignal;
}

/** What a step reports back; the runner adds timing and bookkeeping. */
export interface StepOutcome {
  status: StepStatus;
  exitCode?: number | null;
  message?: string;
  output?: string;
  job?: string;
}

export type StepImpl<S extends Step = Step> = (ctx: RunContext, step: S, consoleFrom: number) => Promise<StepOutcome>;

/** Turn an exec result into a step status against the expected exit code. */
export function judgeExec(r: ExecResult, expectExit: number | 'any', what: string): StepOutcome {
  if (r.aborted) return { status: 'interrupted', message: 'interrupted' };
  if (r.lost) return { status: 'lost', message: 'SSH connection lost' };
  // The guest can no longer be driven either way; the message says which.
  if (r.refused) return { status: 'lost', message: `the guest's sshd refused to run the command: ${r.refused}` };
  if (r.timedOut) return { status: 'timeout', message: `${what} did not finish in time` };
  if (r.code === null) return { status: 'failed', exitCode: null, message: `${what} ended by signal ${r.signal ?? '?'}` };
  if (expectExit !== 'any' && r.code !== expectExit) {
    const err = r.stderr.trim().split('\n').slice(-3).join(' | ');
    return { status: 'failed', exitCode: r.code, message: `exited ${r.code}, expected ${expectExit}${err ? `: ${err}` : ''}` };
  }
  return { status: 'ok', exitCode: r.code };
}
