// What a run says: the verdict and the evidence behind it (result.json's shape).
import type { CrashReport } from '../console/types.js';

export type Verdict = 'passed' | 'failed' | 'error';
export type Reason = 'crash' | 'hang' | 'step-failed' | 'lost-connection' | 'boot-failed' | 'build-failed' | 'infra';

/** `error`: the harness could not do what the step asked (QEMU refused a fault, a QMP command failed). */
export type StepStatus = 'ok' | 'failed' | 'timeout' | 'interrupted' | 'lost' | 'skipped' | 'error';

export interface StepResult {
  index: number;
  kind: string;
  label: string;
  status: StepStatus;
  exitCode?: number | null;
  /** ms since the VM started. */
  startedAt: number;
  durationMs: number;
  /** Relative path of the saved stdout/stderr in the run directory. */
  output?: string;
  message?: string;
  /** Background job name, when the step started one (its exit is recorded when waited). */
  job?: string;
}

export interface Crash extends CrashReport {
  /** Index of the step that was running when the report began (0 = during boot). */
  step: number;
}

export interface TimelineEvent {
  /** ms since the VM started. */
  t: number;
  event: string;
  detail?: unknown;
}

/** How the attempt's guest came up: booted, or restored from a snapshot of an earlier boot. */
export interface BootRecord {
  mode: 'booted' | 'restored';
  /** The snapshot's cache key: the one restored, or the one this boot saved or would save. */
  snapshot?: string;
  /** This boot saved the snapshot. */
  saved?: boolean;
  /** Why a snapshot that was there could not be used: the attempt booted instead (the entry is discarded). */
  fallback?: string;
  /** Why this attempt neither restores nor saves a snapshot (the scenario's rule, or a boot that printed a report). */
  optOut?: string;
  /** A save that failed (the attempt went on booted). */
  saveError?: string;
}

export interface ScenarioResult {
  scenario: string;
  file: string;
  /** 1-based attempt number when the scenario repeats. */
  attempt: number;
  verdict: Verdict;
  reason?: Reason;
  /** One line a human reads first: what happened. */
  message: string;
  crashes: Crash[];
  steps: StepResult[];
  timings: Record<string, number>;
  qemu?: { argv: string[]; accel: string; accelReason: string };
  boot?: BootRecord;
  /** How QEMU entered the kernel: the PVH vmlinux or the bzImage (with why not PVH). */
  kernelEntry?: { entry: 'pvh' | 'bzimage'; path: string; why?: string };
  artifacts: Record<string, { identity?: string; hash: string; path?: string }>;
  host: Record<string, string>;
  timeline: TimelineEvent[];
  startedAt: string;
  finishedAt: string;
  /** Diagnostics gathered on a hang (stuck task stacks) or on failure. */
  diagnostics?: Record<string, string>;
}

export interface ScenarioSummary {
  scenario: string;
  file: string;
  verdict: Verdict;
  reason?: Reason;
  message: string;
  attempts: number;
  /** Attempts that ended `failed` over attempts made: the reproduction rate. */
  failures: number;
  dirs: string[];
  durationMs: number;
}
