// The matrix file format, described once with the scenario loader's field
// table (scenario/fields.ts): load.ts validates with it (file:line:col
// problems, "did you mean") and schema.ts prints it as JSON Schema. Axis
// values reuse the scenario's own fields, so `kernel:` accepts exactly what a
// scenario's `kernel:` does.

import { def, items, list, obj, opt, req } from '../scenario/fields.js';
import { bool, int, regex, str } from '../scenario/leaves.js';
import { kernelSpec } from '../scenario/spec.js';

/** A ZFS version (Debian zfs-dkms) or git ref; numbers keep their written text (2.10 stays "2.10"). */
const zfsValue = () => str({ pattern: /^[A-Za-z0-9][A-Za-z0-9.+~:_/-]*$/, hint: 'a ZFS version like 2.3.2 or a git ref', expects: 'a ZFS version or git ref', scalars: true });
const cmdlineVariant = () => list(str({ expects: 'a kernel parameter' }), { expects: 'a list of kernel parameters (may be empty)' });
const pattern = (what: string) => str({ expects: `a ${what} pattern`, pattern: /^[A-Za-z0-9*?._/=,+~:{}-][^\s]*$/, hint: `a ${what} path or glob, no spaces` });
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const selector = {
  scenario: opt(pattern('scenario'), 'Scenario id (path relative to this file, without .yaml) or glob: zfs/*, **.'),
  kernel: opt(kernelSpec, 'A kernel, written like a scenario\'s `kernel:`.'),
  zfs: opt(zfsValue(), 'A ZFS version or git ref.'),
  cmdline: opt(cmdlineVariant(), 'A cmdline variant (a list of kernel parameters).'),
};

export const excludeSpec = obj(selector, { nonEmpty: true, expects: 'a mapping of scenario, kernel, zfs, cmdline' });
export const includeSpec = obj({
  ...selector,
  repeat: opt(int({ min: 1 }), 'Attempts for the matching cells (stop at the first failure).'),
}, { nonEmpty: true, expects: 'a mapping of scenario, kernel, zfs, cmdline, repeat' });

export const knownSpec = obj({
  cell: req(pattern('cell'), 'Cell id or glob, e.g. zfs/raw-send-usb-replug/** or cfi/zfs-module-load.'),
  title: req(regex(), 'Regex the crash title (or, with no crash, the verdict message) must match.'),
  link: req(str({ pattern: /^https?:\/\/\S+$/, hint: 'an http(s) URL', expects: 'an upstream link' }), 'The upstream report.'),
  intermittent: def(bool(), false, 'The bug does not reproduce every time: a passing cell is no news either.'),
  expires: opt(str({ pattern: DATE, hint: 'a date like 2027-01-31', expects: 'a date YYYY-MM-DD' }), 'After this day the failure is reported again as if unknown.'),
});

export const axesSpec = obj({
  kernel: opt(list(kernelSpec, { minItems: 1, expects: 'a list of kernels' }), 'Kernels every scenario runs on (replaces the scenario\'s kernel).'),
  zfs: opt(items(zfsValue(), { expects: 'a list of ZFS versions or git refs' }), 'ZFS versions, applied to scenarios whose image takes a `zfs` parameter.'),
  cmdline: opt(list(cmdlineVariant(), { minItems: 1, expects: 'a list of cmdline variants' }), 'Variants appended to each scenario\'s cmdline; [] = none.'),
  repeat: opt(int({ min: 1 }), 'Attempts per cell (replaces the scenario\'s repeat).'),
});

export const matrixSpec = obj({
  name: opt(str(), 'Default: the file name without extension.'),
  description: opt(str()),
  scenarios: req(items(pattern('scenario file'), { expects: 'a list of scenario files or globs' }), 'Scenario files or globs, relative to this file.'),
  axes: def(axesSpec, {}, 'Scenario fields overridden per cell; each cell takes one value of every axis.'),
  include: def(items(includeSpec, { expects: 'a list of include entries' }), [], 'GitHub Actions style: extend matching cells with extra keys, or add a cell.'),
  exclude: def(items(excludeSpec, { expects: 'a list of exclude entries' }), [], 'GitHub Actions style: drop every cell matching all the keys.'),
  known: def(items(knownSpec, { expects: 'a list of known failures' }), [], 'Failures reported as known, not new.'),
  retry: def(int({ min: 0, max: 10 }), 1,
    'A cell that newly fails (passed in the baseline, or new and failed while a baseline is given) runs this many more attempts before it is called a regression; any pass makes it flaky.'),
  bundle: def(bool(), true, 'Pack each new failure into a bug bundle (bundles/CELL.bundle.tar.gz, linked from the report).'),
});

/** JSON Schema (draft 2020-12) of the matrix format. */
export function matrixJsonSchema(): object {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'krepro matrix',
    description: 'Scenarios × kernels × ZFS versions × cmdline variants, with known failures.',
    ...matrixSpec.schema,
  };
}
