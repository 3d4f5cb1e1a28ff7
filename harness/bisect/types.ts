// What a bisection knows (bisect.json's shape): the search, its verified ends,
// every point with the evidence behind its verdict, and the answer.
import type { Reason } from '../results/types.js';

/** A point's verdict as git bisect counts it. */
export type PointVerdict = 'good' | 'bad' | 'skip';

/** The failure recorded at the bad end: what "the bug reproduced" means for every other point. */
export interface Reference {
  reason: Reason;
  /** For crashes: the report's kind, title and signature (title or signature must match). */
  kind?: string;
  title?: string;
  signature?: string;
  /** For non-crash failures: the step that failed (its label). */
  step?: string;
  /** The attempt directory it was recorded from, and its console excerpt. */
  dir: string;
  excerpt?: string;
}

/** How one attempt counts at a point. */
export type AttemptClass = 'clean' | 'reproduced' | 'other' | 'error';

export interface AttemptRecord {
  /** Relative to the bisection's directory. */
  dir: string;
  verdict: 'passed' | 'failed' | 'error';
  reason?: Reason;
  class: AttemptClass;
  message: string;
  crashTitles: string[];
  durationMs: number;
  /** srcversion of each built module as the guest reports it (/sys/module/NAME/srcversion), when it got that far. */
  guestSrcversions?: Record<string, string>;
  /** GNU build ID of each built module as the guest reports it (/sys/module/NAME/notes), when it got that far. */
  guestBuildIds?: Record<string, string>;
}

/** What the point's build really was. */
export interface BuildIdentity {
  /** The builder (kmod, zfs, kernel) and the value it was given (a worktree dir, git:REPO@COMMIT). */
  builder: string;
  value: string;
  /** The builder's cache key (its build identity). */
  hash: string;
  /** Each built module: name → `modinfo -F srcversion` of the .ko ("" when the module carries none). */
  srcversions: Record<string, string>;
  /** Each built module: name → its GNU build ID (readelf -n): a hash of the module itself, there with or without srcversion. */
  buildIds?: Record<string, string>;
  /** sha256 of what the point built (its .ko files, or its kernel's bzImage and modules): equal for two points = the same artifact. */
  artifact?: string;
  kernel: { identity: string; hash: string; /** uname -r the guest must report. */ release?: string };
}

export interface PointRecord {
  /** The point: a commit hash, or in a version search the version (a Debian kernel ABI). */
  commit: string;
  subject: string;
  /**
   * 'good-end' / 'bad-end' for the verification of the ends, 'step' for the search's own points;
   * the checks of an answer: 'recheck' (the culprit run again, every attempt) and 'verify' (a point that must pass:
   * the culprit's parent, the bad end with the culprit reverted, the bad config without the culprit options).
   */
  role: 'good-end' | 'bad-end' | 'step' | 'recheck' | 'verify';
  verdict: PointVerdict;
  /** Why a skip is a skip (build failed, other bug: TITLE, error, module mismatch). */
  why: string;
  counts: Record<AttemptClass, number>;
  attempts: AttemptRecord[];
  build?: BuildIdentity;
  /** A config search's point: the changes asked for, those the final .config really has, and that config's file. */
  config?: ConfigPoint;
  buildMs: number;
  durationMs: number;
  startedAt: string;
}

export interface ConfigPoint {
  /** Symbols whose bad value was applied onto the good config (for 'verify': whose good value was applied onto the bad one). */
  requested: string[];
  /** The search's changes the final .config carries at their bad value. */
  effective: string[];
  /** The final .config (relative to the bisection's dir) and its sha256. */
  file: string;
  hash: string;
}

/** One option whose final value differs between the good and the bad config: 'n' stands for "is not set" and for absent. */
export interface ConfigChange {
  symbol: string;
  good: string;
  bad: string;
}

/** A config search: two configurations of the scenario's kernel build and the options that differ. */
export interface ConfigSearch {
  /** Fragment files merged onto the scenario's base for the good and the bad end. */
  goodFragments: string[];
  badFragments: string[];
  changes: ConfigChange[];
}

/** A config search's answer, checked both ways. */
export interface ConfigCulprit {
  changes: ConfigChange[];
  /** Culprit options that bring the whole set on their own (the rest follow through select / depends): what to name. */
  roots: string[];
  /** The good config plus these changes: the point that failed with exactly them. */
  failsWith: string;
  /** The bad config minus them (their good values applied): must pass. */
  withoutThem: { point: string; verdict: PointVerdict; effective: string[] };
  /** Both checks agree: good+culprit fails, bad−culprit passes. */
  verified: boolean;
}

export interface BisectTarget {
  /** The user's repository (commits are resolved there) and the private clone bisect runs in. */
  repo: string;
  clone: string;
  /** What takes the commit: the recipe builder kmod (a source dir in the clone) or zfs (git:REPO@COMMIT), or the kernel's git source (kernel). */
  builder: string;
  /** For kmod: the module's directory inside the repository ('' = its root). */
  subdir: string;
  paths: string[];
}

/** One version of a version search, as the archive has it. */
export interface VersionEntry {
  /** The value the scenario field takes (a Debian kernel ABI). */
  version: string;
  package?: string;
  /** The package's Debian version (the order's key) and the release it comes from. */
  debVersion?: string;
  suite?: string;
}

/** A search over an ordered list of versions of one scenario field. */
export interface VersionSearch {
  field: 'kernel.debian';
  /** From the good end to the bad end, in search order. */
  list: VersionEntry[];
  /** Where the order came from: Debian's archive (dpkg's order) or --versions. */
  from: 'archive' | 'given';
}

export interface BisectState {
  version: 1;
  scenario: string;
  /** The scenario's image recipe the point recipes extend. */
  recipe: string;
  /** What is searched: commits of a builder's git source (target), or a version list (versions). */
  target?: BisectTarget;
  versions?: VersionSearch;
  good: string;
  bad: string;
  runs: number;
  startedAt: string;
  status: 'verifying' | 'bisecting' | 'checking' | 'done' | 'stopped';
  reference?: Reference;
  points: PointRecord[];
  /** The answer once git bisect names it (or the candidates when skips hide it). */
  culprit?: { commit: string; subject: string; author: string; date: string };
  /** The culprit commit checked after git named it. */
  culpritCheck?: CulpritCheck;
  /** A search for the fix (--fix): the culprit is the first commit where the failure is gone. */
  fix?: boolean;
  /** Two levels (--tags): the tagged commits (releases) between the ends first, then git bisect between the nearest two. */
  tags?: boolean;
  /** A config search: what is searched, and its answer. */
  config?: ConfigSearch;
  configCulprit?: ConfigCulprit;
  /** A version search's answer: the first bad version and the last good one before it. */
  firstBad?: { version: VersionEntry; lastGood: VersionEntry };
  candidates?: string[];
  /** Why the search stopped without a culprit. */
  stopped?: string;
  confidence?: Confidence;
}

export interface Confidence {
  /** Reproduction rate estimated from the bad points' attempts. */
  rate: number;
  reproductions: number;
  attempts: number;
  /** Probability that no good point was a missed reproduction, given that rate. */
  value: number;
  /** The points that decided the answer: the culprit (bad) and its parent (good). */
  decidedBy: string[];
}

/**
 * A culprit commit checked the way CI bisectors do: it fails again in N runs, its parent
 * passes N runs, the bad end with it reverted passes, and it does not build the very same
 * artifact as its parent (then its change cannot be what broke the scenario).
 */
export interface CulpritCheck {
  /** The culprit run again: reproductions of the reference failure in its runs (a fix: must pass). */
  again: { point: string; reproduced: number; attempts: number; verdict?: PointVerdict };
  parent: { commit: string; point: string; verdict: PointVerdict } | { commit?: string; why: string };
  revert: { commit: string; point: string; verdict: PointVerdict } | { why: string };
  /** The culprit built byte for byte what its parent built: "most likely wrong". */
  sameBuildAsParent: boolean;
  verified: boolean;
  /** What did not hold, when not verified. */
  doubts: string[];
}
