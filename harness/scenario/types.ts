// The fully-resolved scenario: produced once by scenario/load.ts, never re-read raw.

/** A place in a scenario file, for messages users can jump to. */
export interface Position {
  file: string;
  line: number;
  col: number;
}

export type KernelSpec =
  | { kind: 'debian'; abi: string; pos: Position }
  | { kind: 'path'; bzImage: string; modules?: string; pos: Position };

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

export interface WaitStep extends StepBase {
  kind: 'wait';
  job?: string;
  console?: string;
  run?: string;
  until?: UntilCondition;
  everyMs: number;
  timeoutMs: number;
}

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

export type Step = RunStep | WaitStep | SleepStep | PlugStep | QmpStep;

export interface CrashExpectation {
  kind?: string;
  title?: string;
}

export interface Expectations {
  /** 'none' = any crash fails the run; a list = these must appear (others still fail). */
  crashes: 'none' | CrashExpectation[];
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
}
