// The harness's own failures, typed by what could not be done, each carrying
// its evidence and the error underneath as `cause` (QEMU python's
// VMLaunchFailure … from exc, syzkaller's %w). A verdict is chosen from the
// type (build-failed / boot-failed / infra), never from which `try` caught it:
// bisection's "skip, not bad" depends on it.

/** The verdict reason a harness error stands for (`error` verdicts only). */
export type HarnessReason = 'build-failed' | 'boot-failed' | 'infra';

/** Evidence a harness error may carry; each field is shown under the message. */
export interface Evidence {
  /** The full log of the failed build or command. */
  log?: string;
  /** The last lines of that log, or of the console. */
  tail?: string;
  /** The command line that failed. */
  argv?: string[];
  /** The last lines of the guest's console. */
  console?: string;
}

/** Base of krepro's typed errors: a message, a reason, evidence, and the cause. */
export abstract class KreproError extends Error {
  abstract readonly reason: HarnessReason;
  readonly evidence: Evidence;

  constructor(message: string, opts: { cause?: unknown } & Evidence = {}) {
    const { cause, ...evidence } = opts;
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.evidence = evidence;
  }

  /** The message with the cause's first line and the evidence below it: what a result.json shows. */
  get detail(): string {
    const parts = [this.message];
    const cause = this.cause === undefined ? '' : errorMessage(this.cause);
    if (cause && !this.message.includes(cause)) parts[0] += `: ${cause}`;
    if (this.evidence.argv && !this.message.includes(this.evidence.argv.join(' '))) parts.push(`argv: ${this.evidence.argv.join(' ')}`);
    if (this.evidence.log) parts.push(`full log: ${this.evidence.log}`);
    if (this.evidence.tail) parts.push(`--- last lines ---\n${this.evidence.tail}`);
    if (this.evidence.console) parts.push(`--- last console lines ---\n${this.evidence.console}`);
    return parts.join('\n');
  }
}

/** A kernel, module or image could not be built or fetched into a usable artifact. */
export class BuildError extends KreproError {
  readonly reason = 'build-failed' as const;
}

/** QEMU ran but the guest never became ready (no fingerprint, no marker, no SSH). */
export class BootError extends KreproError {
  readonly reason = 'boot-failed' as const;
}

/** The host or a tool around the guest failed: QEMU would not start, apt, QMP, missing tools. */
export class InfraError extends KreproError {
  readonly reason = 'infra' as const;
}

/** Input the user must fix (exit 2): a bad option, a missing file named on the command line. */
export class InputError extends Error {
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'InputError';
  }
}

/**
 * At an artifact's entry point: a typed error passes through, anything else
 * (a bad recipe, a tarball without its Makefile) means the artifact could not
 * be built, so it becomes a BuildError with the original as its cause.
 */
export function asBuildError(e: unknown): KreproError {
  return e instanceof KreproError ? e : new BuildError(errorMessage(e), { cause: e });
}

/** The message of anything thrown (an Error's message, else its string form). */
export function errorMessage(e: unknown): string {
  if (e instanceof KreproError) return e.detail;
  return e instanceof Error ? e.message : String(e);
}

/** What a failed command said: its stderr when it has one (execa errors), else the message. */
export function commandError(e: unknown): string {
  const stderr = (e as { stderr?: unknown } | undefined)?.stderr;
  return (typeof stderr === 'string' && stderr ? stderr : errorMessage(e)).trim();
}

/** The first line of an error's message, for progress lines. */
export function firstLine(e: unknown): string {
  return errorMessage(e).split('\n')[0] || 'failed';
}

/** The verdict reason for a failure: from its type; anything untyped is a harness bug, so infra. */
export function reasonOf(e: unknown): HarnessReason {
  return e instanceof KreproError ? e.reason : 'infra';
}

/** The last `n` lines of a text (a build log, a console), for evidence. */
export function tailLines(text: string, n = 30): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
