// The matrix's domain: a loaded matrix file, the cells it expands to, and
// what one cell's run says (summary.json's shape, documented in the README).
import type { Reason, Verdict } from '../results/types.js';
import type { KernelSpec, Position, Scenario } from '../scenario/types.js';

export interface MatrixScenario {
  /** Path relative to the matrix file, without .yaml: the first part of every cell id. */
  id: string;
  scenario: Scenario;
  /** Its image declares a `zfs` parameter (the zfs axis applies). */
  takesZfs: boolean;
  pos: Position;
}

export interface KernelValue {
  /** In cell ids: the Debian ABI, `path-NAME`, or `build-HASH`. */
  label: string;
  spec: KernelSpec;
}

/** An include or exclude entry; absent keys match anything. */
export interface MatrixEntry {
  scenario?: string;
  kernel?: KernelValue;
  zfs?: string;
  cmdline?: string[];
  repeat?: number;
  pos: Position;
}

export interface KnownFailure {
  cell: string;
  title: string;
  link: string;
  intermittent: boolean;
  expires?: string;
}

export interface Matrix {
  file: string;
  name: string;
  scenarios: MatrixScenario[];
  axes: { kernel?: KernelValue[]; zfs?: string[]; cmdline?: string[][]; repeat?: number };
  include: MatrixEntry[];
  exclude: MatrixEntry[];
  known: KnownFailure[];
  /** Extra attempts for a cell that newly fails, before it is called a regression. */
  retry: number;
  /** Bundle every new failure. */
  bundle: boolean;
}

/** The axis values a cell was given (absent: the scenario's own). */
export interface CellAxes {
  kernel?: string;
  zfs?: string;
  cmdline?: string[];
}

export interface Cell {
  /** scenario/kernel=…/zfs=…/cmdline=…: stable across runs, shards and file reorderings. */
  id: string;
  /** Position in the whole matrix's expansion (reports are in this order). */
  index: number;
  scenarioId: string;
  axes: CellAxes;
  /** The scenario with the axis values applied. */
  scenario: Scenario;
}

/** A combination that is not a cell, reported once (e.g. a zfs axis on a scenario without ZFS). */
export interface Impossible {
  scenario: string;
  axis: 'zfs';
  values: string[];
  reason: string;
}

export type CellClass = 'new-failure' | 'fixed' | 'still-failing' | 'known' | 'flaky' | 'new-cell' | 'passing' | 'error';

export interface CellCrash {
  kind: string;
  title: string;
  signature: string;
  step: number;
}

/** One cell in summary.json. */
export interface CellSummary {
  id: string;
  index: number;
  scenario: string;
  name: string;
  axes: CellAxes;
  verdict: Verdict;
  reason?: Reason;
  message: string;
  attempts: number;
  failures: number;
  /** "failures/attempts". */
  rate: string;
  attemptVerdicts: Verdict[];
  crash?: CellCrash;
  durationMs: number;
  artifacts: Record<string, { identity?: string; hash: string }>;
  /** Attempt directories, relative to the report's directory. */
  dirs: string[];
  class: CellClass;
  known?: { link: string; title: string; intermittent: boolean; expires?: string };
  /** A known entry that matched but has expired (so the failure is reported as if unknown). */
  expiredKnown?: { link: string; expires: string };
  baseline?: { verdict: Verdict; rate: string };
  /** Attempts run after the cell first failed as news (their verdicts are in attemptVerdicts). */
  retried?: number;
  /** The bug bundle of its failing attempt, relative to the report's directory (new failures). */
  bundle?: string;
  /** --bisect-new: the search between the baseline's and this run's source commits. */
  bisect?: {
    status: 'found' | 'no-culprit' | 'not-bisectable' | 'interrupted';
    /** The bisection's directory (bisect.json, bisect.md), relative to the report. */
    dir?: string;
    range?: { artifact: string; good: string; bad: string };
    culprit?: { commit: string; subject: string };
    why?: string;
  };
  /** The cell over the earlier nights given by --history. */
  history?: { nights: number; failed: number; firstSeen?: string; lastPassed?: string };
}

export interface SignatureGroup {
  signature: string;
  kind: string;
  title: string;
  cells: string[];
  /** With --history: the first night it appeared (this run's date when never before). */
  firstSeen?: string;
}

export interface MatrixSummary {
  kind: 'krepro-matrix';
  version: 1;
  matrix: { file: string; name: string; cells: number; known: KnownFailure[] };
  /** Set on one shard's report; absent on an unsharded or merged one. */
  shard?: { index: number; total: number };
  impossible: Impossible[];
  notes: string[];
  baseline?: string;
  /** The earlier nights looked at (--history). */
  history?: { dir: string; nights: number; from?: string; to?: string };
  cells: CellSummary[];
  signatures: SignatureGroup[];
  totals: { cells: number; passed: number; failed: number; error: number; classes: Partial<Record<CellClass, number>> };
  exitCode: number;
  /** Facts of this run only (ignored when comparing reports). */
  run: { startedAt: string; finishedAt: string; durationMs: number; jobs?: number; merged?: string[] };
}
