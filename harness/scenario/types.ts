// The fully-resolved scenario: produced once by scenario/load.ts, never re-read raw.

/** A place in a scenario file, for messages users can jump to. */
export interface Position {
  file: string;
  line: number;
  col: number;
}

export type KernelSpec =
  | { kind: 'debian'; abi: string; /** Pinned linux-image package version. */ version?: string; pos: Position }
  | { kind: 'path'; bzImage: string; modules?: string; pos: Position }
  | { kind: 'build'; build: KernelBuildSpec; pos: Position };

/** Where a kernel build's source comes from. */
export type KernelSourceSpec =
  | { kind: 'debian'; package: string; /** Pinned package version (apt's name=version). */ version?: string }
  | { kind: 'git'; repo: string; ref: string }
  | { kind: 'dir'; dir: string };

/** The starting config a build's fragments are merged onto. */
export type KernelBase = 'tinyconfig' | 'defconfig' | 'debian';

/** `kernel: { build: … }`: a kernel built from source, fragments merged and verified. */
export interface KernelBuildSpec {
  source: KernelSourceSpec;
  base: KernelBase;
  /** Absolute paths of the fragment files, in merge order. */
  fragments: string[];
  /** LLVM major version (clang-N, ld.lld-N, LLVM=-N); undefined builds with the host gcc. */
  llvm?: number;
}

export interface ImageSpec {
  name: string;
  /** Absolute path of the recipe YAML (images/NAME.yaml). */
  recipe: string;
  params: Record<string, string | number | boolean>;
  pos: Position;
}

export type Accel = 'auto' | 'kvm' | 'tcg';

export interface MachineSpec {
  memoryMiB: number;
  cpus: number;
  accel: Accel;
  /** How QEMU enters the kernel: PVH when it can (auto) or always through the bzImage. */
  entry: 'auto' | 'bzimage';
}

export type DiskBus = 'virtio' | 'usb';

export interface DiskSpec {
  id: string;
  sizeBytes: number;
  bus: DiskBus;
  /** Serial the guest sees; /dev/disk/by-id links are built from it. */
  serial: string;
  pos: Position;
}

interface StepBase {
  /** 1-based index in the scenario, as printed in logs and /dev/kmsg. */
  index: number;
  /** Short human label, e.g. "run: zpool clear tank". */
  label: string;
  pos: Position;
}

export interface RunStep extends StepBase {
  kind: 'run';
  command: string;
  background?: string;
  timeoutMs?: number;
  /** Expected exit code; 'any' accepts every code. */
  expectExit: number | 'any';
  stdin?: string;
}

/** `until` for polling waits: a numeric comparison or a regex on stdout. */
export type UntilCondition =
  | { kind: 'compare'; op: '>=' | '>' | '<=' | '<' | '==' | '!='; value: number }
  | { kind: 'match'; regex: string };

interface WaitBase extends StepBase {
  kind: 'wait';
  timeoutMs: number;
}

/** `wait: { job }`: one background job's end (exit status checked here). */
export interface WaitJobStep extends WaitBase {
  on: 'job';
  job: string;
  /** The no-progress watchdog: a command printing a number that must grow within `stallMs`, polled `everyMs`. */
  watchdog?: { progress: string; stallMs: number; everyMs: number };
}

/** `wait: { jobs, for }`: several background jobs, for 'all' of them to end or 'any' one. */
export interface WaitJobsStep extends WaitBase {
  on: 'jobs';
  jobs: string[];
  waitFor: 'all' | 'any';
}

/** `wait: { console }`: a console line matching the regex, printed since the previous step began. */
export interface WaitConsoleStep extends WaitBase {
  on: 'console';
  console: string;
}

/** `wait: { run, until, every }`: a command polled until its output satisfies `until`. */
export interface WaitPollStep extends WaitBase {
  on: 'poll';
  run: string;
  until: UntilCondition;
  everyMs: number;
}

/** The four waits, told apart by `on` (switches over it are compiler-checked). */
export type WaitStep = WaitJobStep | WaitJobsStep | WaitConsoleStep | WaitPollStep;

export interface SleepStep extends StepBase {
  kind: 'sleep';
  ms: number;
}

export interface PlugStep extends StepBase {
  kind: 'unplug' | 'plug';
  disk: string;
}

export interface QmpStep extends StepBase {
  kind: 'qmp';
  execute: string;
  arguments?: Record<string, unknown>;
}

/** Block I/O limits in QMP block_set_io_throttle's terms (bytes/s and requests/s; 0 = unlimited). */
export interface ThrottleLimits {
  bps: number;
  bps_rd: number;
  bps_wr: number;
  iops: number;
  iops_rd: number;
  iops_wr: number;
}

export type IoErrorType = 'read' | 'write' | 'all';

/** What a `fault:` step does; `forMs` undoes it after that long (see run/steps/fault.ts). */
export type Fault =
  | { kind: 'io-error'; disk: string; io: IoErrorType; after: number; errno: number; forMs?: number }
  | { kind: 'throttle'; disk: string; limits: ThrottleLimits; forMs?: number }
  | { kind: 'clear'; disk: string }
  | { kind: 'pause'; forMs: number }
  | { kind: 'link-down'; forMs: number };

export interface FaultStep extends StepBase {
  kind: 'fault';
  fault: Fault;
}

/** One command of a `parallel:` block, run as a background job named `name`. */
export interface ParallelJob {
  name: string;
  command: string;
  expectExit: number | 'any';
  timeoutMs?: number;
  stdin?: string;
}

export interface ParallelStep extends StepBase {
  kind: 'parallel';
  jobs: ParallelJob[];
  /** 'all': wait for every job; 'first': the first to end stops the others; a job name: that one does. */
  join: 'all' | 'first' | { job: string };
  timeoutMs: number;
}

export type Step = RunStep | WaitStep | SleepStep | PlugStep | QmpStep | FaultStep | ParallelStep;

export interface CrashExpectation {
  kind?: string;
  title?: string;
}

export interface Expectations {
  /** 'none' = any crash fails the run; a list = these must appear (others still fail). */
  crashes: 'none' | CrashExpectation[];
  /** Crashes tolerated: recorded, neither failing nor stopping the run. */
  allow: CrashExpectation[];
}

export interface Scenario {
  /** Absolute path of the scenario file. */
  file: string;
  name: string;
  description?: string;
  kernel: KernelSpec;
  image: ImageSpec;
  machine: MachineSpec;
  /** Appended to krepro's default kernel command line. */
  cmdline: string[];
  disks: DiskSpec[];
  timeoutMs: number;
  bootTimeoutMs: number;
  steps: Step[];
  expect: Expectations;
  repeat: number;
  /** Whether attempts may start from a saved snapshot of the booted guest (run/snapshot.ts decides when they do). */
  snapshot: boolean;
}
