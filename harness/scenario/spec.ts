// The scenario format, described once. load.ts validates with it and
// schema.ts prints it as JSON Schema; cross-references (disks, jobs, files)
// are checked afterwards in resolve.ts and steps.ts.

import { def, items, list, obj, opt, req, tagged, union } from './fields.js';
import { imageField } from './image.js';
import { kernelBuildField } from './kernel-build.js';
import { anyMap, bool, debianVersion, duration, enumOf, exitCode, int, regex, size, str, until } from './leaves.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
// Ids become QEMU device ids and (by default) disk serials: QEMU caps serials at 20 characters.
const ID = /^[A-Za-z][A-Za-z0-9_-]*$/;
const SERIAL = /^[A-Za-z0-9_-]+$/;

const name = (what: string) => str({ pattern: NAME, hint: `${what}: letters, digits, '.', '_', '-'` });
const command = () => str({ expects: 'a shell command', scalars: true });
const jobName = () => str({ pattern: ID, hint: "a job name: a letter, then letters, digits, '_', '-'", expects: 'a job name' });
const diskId = () => str({ pattern: ID, maxLength: 20, hint: "a letter, then letters, digits, '_', '-'", expects: 'a disk id' });
const waitTimeout = () => opt(duration({ positive: true }), "Give up (a hang) after this long; default: the scenario's timeout.");

export const kernelSpec = tagged({
  debian: obj({
    debian: req(str({ pattern: /^\d+\.\d+[A-Za-z0-9.+~_-]*$/, hint: 'a Debian kernel ABI like 6.1.0-56-amd64', expects: 'a Debian kernel ABI like 6.1.0-56-amd64' }), 'Debian kernel ABI (linux-image-ABI), e.g. 6.1.0-56-amd64.'),
    version: opt(debianVersion(), 'Pin the linux-image package (and its headers) to this Debian version, e.g. 6.1.158-1; default: what the archive has.'),
  }),
  path: obj({
    path: req(str(), 'Your own bzImage; relative to the scenario file.'),
    modules: opt(str(), 'Directory holding lib/modules/<release> for it; relative to the scenario file.'),
  }),
  build: obj({ build: req(kernelBuildField, 'Build a kernel from source with kconfig fragments (see kconfigs/).') }),
}, 'kernel');

export const machineSpec = obj({
  memory: def(size(), '1G', 'Guest RAM, e.g. 2G.'),
  cpus: def(int({ min: 1, max: 64 }), 2),
  accel: def(enumOf(['auto', 'kvm', 'tcg'] as const), 'auto', 'auto = KVM if it really works here, else TCG.'),
  entry: def(enumOf(['auto', 'bzimage'] as const), 'auto',
    "auto = QEMU's PVH entry into the uncompressed vmlinux when the kernel has one (CONFIG_PVH; skips the decompressor, ~4 s of a TCG boot; no KASLR); bzimage = the kernel's own boot path, for bugs in early boot."),
});

export const diskSpec = obj({
  id: req(diskId(), 'Name used by plug/unplug steps; also the default serial.'),
  size: req(size(), 'Size of the sparse raw disk, e.g. 2G.'),
  bus: def(enumOf(['virtio', 'usb'] as const), 'virtio', 'usb = usb-storage on qemu-xhci, hot-pluggable.'),
  serial: opt(str({ pattern: SERIAL, maxLength: 20, hint: "up to 20 letters, digits, '_', '-'" }),
    'Serial the guest sees (/dev/disk/by-id/virtio-SERIAL); default: the id.'),
});

const runStep = obj({
  run: req(command(), 'Shell command run in the guest over SSH.'),
  background: opt(jobName(), 'Start as a background job with this name; collect it with `wait: { job: NAME }`.'),
  timeout: opt(duration({ positive: true }), 'Fail as a hang if the command runs longer.'),
  'expect-exit': opt(exitCode(), 'Expected exit status (default: expect.exit); `any` accepts every status.'),
  stdin: opt(str(), 'Text fed to the command on standard input.'),
});

const waitSpec = tagged({
  job: obj({
    job: req(jobName(), 'A job started by an earlier `background:` step.'),
    timeout: waitTimeout(),
    progress: opt(command(), "No-progress watchdog: a command whose last line is a number (K/M/G/T allowed) that grows while the job works, e.g. bytes received."),
    stall: opt(duration({ positive: true }), 'With `progress`: fail as a hang, with stuck-task stacks, when the number has not grown for this long.'),
    every: opt(duration({ positive: true }), 'With `progress`: how often to run it (default 5s).'),
  }),
  console: obj({ console: req(regex(), 'Regex a serial console line must match.'), timeout: waitTimeout() }),
  jobs: obj({
    jobs: req(items(jobName(), { expects: 'a list of job names' }), 'Background jobs started by earlier steps.'),
    for: def(enumOf(['all', 'any'] as const), 'all', '`all`: until every job has ended; `any`: until one has (the others keep running).'),
    timeout: waitTimeout(),
  }),
  run: obj({
    run: req(command(), 'Command polled until its output satisfies `until`.'),
    until: req(until(), "'>= 100M' (last line of stdout as a number, K/M/G/T = binary) or '/regex/'."),
    every: def(duration({ positive: true }), '2s', 'Poll interval.'),
    timeout: waitTimeout(),
  }),
}, 'wait');

// Limits in bytes/s (sizes: 4M) and requests/s, as QMP block_set_io_throttle takes them.
const throttleSpec = obj({
  bps: opt(size(), 'Total bytes/s.'),
  'bps-read': opt(size()),
  'bps-write': opt(size()),
  iops: opt(int({ min: 1 }), 'Total requests/s.'),
  'iops-read': opt(int({ min: 1 })),
  'iops-write': opt(int({ min: 1 })),
}, { nonEmpty: true, expects: 'a mapping of limits (bps, bps-read, bps-write, iops, iops-read, iops-write)' });

export const faultSpec = tagged({
  disk: obj({
    disk: req(diskId(), 'The disk (an id from `disks:`).'),
    'io-error': opt(enumOf(['read', 'write', 'all'] as const), 'Fail reads, writes, or every request (also flush, discard) with an I/O error.'),
    after: opt(int({ min: 0, max: 10_000 }), 'io-error: let this many matching requests through first (counted from this step).'),
    errno: opt(int({ min: 1, max: 133 }), 'io-error: the error number QEMU returns (default 5, EIO; 28 = ENOSPC).'),
    throttle: opt(throttleSpec, 'Slow the disk down (QMP block_set_io_throttle); kept across unplug/plug.'),
    clear: opt(bool(), 'true: remove every fault on this disk (I/O errors and throttling).'),
    for: opt(duration({ positive: true }), 'Undo the fault this long after the step (later steps run meanwhile); default: until cleared.'),
  }),
  machine: obj({
    machine: req(enumOf(['pause'] as const), 'pause: stop the whole VM (QMP stop), then resume it (cont).'),
    for: req(duration({ positive: true }), 'How long the VM stays stopped; the step lasts this long.'),
  }),
  link: obj({
    link: req(enumOf(['down'] as const), 'down: the guest NIC loses its link (QMP set_link), then gets it back.'),
    for: req(duration({ positive: true }), 'How long the link stays down; the step lasts this long.'),
  }),
}, 'fault');

// A job of a parallel block: a command, or a mapping like a run step's.
const parallelJob = union(command(), obj({
  run: req(command(), 'Shell command run in the guest.'),
  'expect-exit': opt(exitCode(), 'Expected exit status (default: expect.exit); `any` accepts every status.'),
  timeout: opt(duration({ positive: true }), 'Fail as a hang if this job runs longer.'),
  stdin: opt(str(), 'Text fed to the command on standard input.'),
}));

export const stepSpec = tagged({
  run: runStep,
  wait: obj({ wait: req(waitSpec, 'Wait for a background job, a console line, or a polled condition.') }),
  sleep: obj({ sleep: req(duration(), 'Pause, e.g. 1s.') }),
  unplug: obj({ unplug: req(diskId(), 'A usb disk to detach (QMP device_del, waits for DEVICE_DELETED).') }),
  plug: obj({ plug: req(diskId(), 'A usb disk to re-attach with the same properties.') }),
  qmp: obj({ qmp: req(obj({ execute: req(str(), 'QMP command name.'), arguments: opt(anyMap()) }), 'A raw QMP command.') }),
  fault: obj({ fault: req(faultSpec, 'Inject a fault from QEMU: I/O errors or throttling on a disk, a paused VM, a downed link.') }),
  parallel: obj({
    parallel: req(obj({}, { extra: parallelJob, nonEmpty: true, expects: 'a mapping of job names to commands' }),
      'Commands run at the same time, each a background job named by its key.'),
    join: def(str({ pattern: ID, hint: 'all, first, or one of the job names', expects: 'all, first, or a job name' }), 'all',
      '`all`: wait for every job; `first`: when one ends, stop the others; a job name: when it ends, stop the others.'),
    timeout: waitTimeout(),
  }),
}, 'step');

export const expectSpec = obj({
  crashes: def(
    union(enumOf(['none'] as const, 'none or a list of { kind, title }'), list(obj({ kind: opt(regex()), title: opt(regex()) }, { nonEmpty: true }), { expects: 'a list of { kind, title }' })),
    'none',
    '`none`: any crash fails the run. A list of { kind, title } regexes: each must appear.',
  ),
  allow: def(
    list(obj({ kind: opt(regex()), title: opt(regex()) }, { nonEmpty: true }), { expects: 'a list of { kind, title }' }),
    [],
    'Crash reports tolerated: recorded, but they neither fail nor stop the run (e.g. I/O errors from a disk the scenario pulls on purpose).',
  ),
  exit: def(exitCode(), 0, 'Default expected exit status of run steps.'),
});

export const scenarioSpec = obj({
  name: opt(name('a scenario name'), 'Default: the file name without extension.'),
  description: opt(str()),
  kernel: def(kernelSpec, { debian: '6.1.0-56-amd64' }, '{ debian: ABI }, { path: ./bzImage, modules: ./mods } or { build: { source, base, fragments, llvm } }.'),
  image: def(imageField(), 'base', 'Guest image recipe (images/NAME.yaml): NAME, { name: NAME, PARAM: VALUE… } or { NAME: { PARAM: VALUE… } }.'),
  machine: def(machineSpec, {}),
  cmdline: def(list(str(), { expects: 'a list of kernel parameters' }), [], 'Appended to the default kernel command line.'),
  disks: def(items(diskSpec, { expects: 'a list of disks' }), []),
  timeout: def(duration({ positive: true }), '30m', 'Boot (or restore) + steps of one attempt, not counting artifact fetches and builds; reaching it is a hang.'),
  'boot-timeout': def(duration({ positive: true }), '5m', 'Boot until the guest answers SSH; reaching it is a boot failure.'),
  steps: def(items(stepSpec, { expects: 'a list of steps' }), []),
  expect: def(expectSpec, {}),
  repeat: def(int({ min: 1 }), 1, 'Run up to N times; stop at the first failure.'),
  snapshot: def(bool(), true,
    'Restore later attempts from a snapshot of the booted guest (saved once per kernel, image, machine, cmdline, disks and QEMU). false: every attempt boots (bugs in the boot itself).'),
});
