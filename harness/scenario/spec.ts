// The scenario format, described once. load.ts validates with it and
// schema.ts prints it as JSON Schema; cross-references (disks, jobs, files)
// are checked afterwards in resolve.ts and steps.ts.

import { def, items, list, notYet, obj, opt, req, tagged, union } from './fields.js';
import { imageField } from './image.js';
import { anyMap, duration, enumOf, exitCode, int, regex, size, str, until } from './leaves.js';

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
  debian: obj({ debian: req(str({ pattern: /^\d+\.\d+[A-Za-z0-9.+~_-]*$/, hint: 'a Debian kernel ABI like 6.1.0-56-amd64', expects: 'a Debian kernel ABI like 6.1.0-56-amd64' }), 'Debian kernel ABI (linux-image-ABI), e.g. 6.1.0-56-amd64.') }),
  path: obj({
    path: req(str(), 'Your own bzImage; relative to the scenario file.'),
    modules: opt(str(), 'Directory holding lib/modules/<release> for it; relative to the scenario file.'),
  }),
  build: notYet('kernel { build: … } is not supported yet'),
}, 'kernel');

export const machineSpec = obj({
  memory: def(size(), '1G', 'Guest RAM, e.g. 2G.'),
  cpus: def(int({ min: 1, max: 64 }), 2),
  accel: def(enumOf(['auto', 'kvm', 'tcg'] as const), 'auto', 'auto = KVM if it really works here, else TCG.'),
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
  job: obj({ job: req(jobName(), 'A job started by an earlier `background:` step.'), timeout: waitTimeout() }),
  console: obj({ console: req(regex(), 'Regex a serial console line must match.'), timeout: waitTimeout() }),
  run: obj({
    run: req(command(), 'Command polled until its output satisfies `until`.'),
    until: req(until(), "'>= 100M' (last line of stdout as a number, K/M/G/T = binary) or '/regex/'."),
    every: def(duration({ positive: true }), '2s', 'Poll interval.'),
    timeout: waitTimeout(),
  }),
}, 'wait');

export const stepSpec = tagged({
  run: runStep,
  wait: obj({ wait: req(waitSpec, 'Wait for a background job, a console line, or a polled condition.') }),
  sleep: obj({ sleep: req(duration(), 'Pause, e.g. 1s.') }),
  unplug: obj({ unplug: req(diskId(), 'A usb disk to detach (QMP device_del, waits for DEVICE_DELETED).') }),
  plug: obj({ plug: req(diskId(), 'A usb disk to re-attach with the same properties.') }),
  qmp: obj({ qmp: req(obj({ execute: req(str(), 'QMP command name.'), arguments: opt(anyMap()) }), 'A raw QMP command.') }),
}, 'step');

export const expectSpec = obj({
  crashes: def(
    union(enumOf(['none'] as const, 'none or a list of { kind, title }'), list(obj({ kind: opt(regex()), title: opt(regex()) }, { nonEmpty: true }), { expects: 'a list of { kind, title }' })),
    'none',
    '`none`: any crash fails the run. A list of { kind, title } regexes: each must appear.',
  ),
  exit: def(exitCode(), 0, 'Default expected exit status of run steps.'),
});

export const scenarioSpec = obj({
  name: opt(name('a scenario name'), 'Default: the file name without extension.'),
  description: opt(str()),
  kernel: def(kernelSpec, { debian: '6.1.0-56-amd64' }, '{ debian: ABI } or { path: ./bzImage, modules: ./mods }.'),
  image: def(imageField(), 'base', 'Guest image recipe (images/NAME.yaml): NAME, { name: NAME, PARAM: VALUE… } or { NAME: { PARAM: VALUE… } }.'),
  machine: def(machineSpec, {}),
  cmdline: def(list(str(), { expects: 'a list of kernel parameters' }), [], 'Appended to the default kernel command line.'),
  disks: def(items(diskSpec, { expects: 'a list of disks' }), []),
  timeout: def(duration({ positive: true }), '30m', 'The whole run (boot + steps); reaching it is a hang.'),
  'boot-timeout': def(duration({ positive: true }), '5m', 'Boot until the guest answers SSH; reaching it is a boot failure.'),
  steps: def(items(stepSpec, { expects: 'a list of steps' }), []),
  expect: def(expectSpec, {}),
  repeat: def(int({ min: 1 }), 1, 'Run up to N times; stop at the first failure.'),
});
