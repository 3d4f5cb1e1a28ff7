// Matrix → cells, a pure function. GitHub Actions' rules: the axes' product,
// minus every `exclude` entry that matches, then each `include` entry either
// extends the cells whose axis values it matches (with keys that are not axes,
// like `repeat`) or, matching none, adds a cell of its own. A combination that
// cannot exist is reported once, not as a cell (a zfs axis on a scenario
// whose image has no ZFS: that scenario gets one cell without a zfs value).

import type { Scenario } from '../scenario/types.js';
import { globMatch } from './glob.js';
import type { Cell, CellAxes, Impossible, KernelValue, Matrix, MatrixEntry, MatrixScenario } from './types.js';

interface Combo {
  s: MatrixScenario;
  kernel?: KernelValue;
  zfs?: string;
  cmdline?: string[];
  repeat?: number;
}

export interface Expansion {
  cells: Cell[];
  impossible: Impossible[];
  notes: string[];
}

export function cmdlineLabel(args: string[]): string {
  return args.length ? args.join(',') : 'none';
}

/** scenario/kernel=…/zfs=…/cmdline=…, only the axes the matrix set. */
export function cellId(scenario: string, axes: CellAxes): string {
  return [
    scenario,
    ...(axes.kernel !== undefined ? [`kernel=${axes.kernel}`] : []),
    ...(axes.zfs !== undefined ? [`zfs=${axes.zfs}`] : []),
    ...(axes.cmdline !== undefined ? [`cmdline=${cmdlineLabel(axes.cmdline)}`] : []),
  ].join('/');
}

const sameList = (a: string[] | undefined, b: string[] | undefined) =>
  a === b || (a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]));

type Key = 'scenario' | 'kernel' | 'zfs' | 'cmdline';

/** Does the entry's value for `key` equal the combo's? */
function keyMatches(e: MatrixEntry, c: Combo, key: Key): boolean {
  switch (key) {
    case 'scenario': return globMatch(e.scenario!, c.s.id);
    case 'kernel': return e.kernel!.label === c.kernel?.label;
    case 'zfs': return e.zfs === c.zfs;
    case 'cmdline': return sameList(e.cmdline, c.cmdline);
  }
}

const keysOf = (e: MatrixEntry): Key[] => (['scenario', 'kernel', 'zfs', 'cmdline'] as const).filter((k) => e[k] !== undefined);

function apply(sc: Scenario, c: Combo): Scenario {
  return {
    ...sc,
    ...(c.kernel ? { kernel: c.kernel.spec } : {}),
    ...(c.zfs !== undefined ? { image: { ...sc.image, params: { ...sc.image.params, zfs: c.zfs } } } : {}),
    ...(c.cmdline ? { cmdline: [...sc.cmdline, ...c.cmdline] } : {}),
    ...(c.repeat !== undefined ? { repeat: c.repeat } : {}),
  };
}

/** Every cell of the matrix, in file order (scenarios, then kernel, zfs, cmdline), then include-added cells. */
export function expandMatrix(m: Matrix): Expansion {
  const impossible: Impossible[] = [];
  const notes: string[] = [];
  const { kernel, zfs, cmdline, repeat } = m.axes;
  const axisKeys = new Set<Key>(['scenario', ...(kernel ? ['kernel' as const] : []), ...(zfs ? ['zfs' as const] : []), ...(cmdline ? ['cmdline' as const] : [])]);

  let combos: Combo[] = [];
  for (const s of m.scenarios) {
    if (zfs && !s.takesZfs) {
      impossible.push({ scenario: s.id, axis: 'zfs', values: zfs, reason: `image '${s.scenario.image.name}' takes no zfs parameter: one cell without a zfs value` });
    }
    for (const k of kernel ?? [undefined]) {
      for (const z of zfs && s.takesZfs ? zfs : [undefined]) {
        for (const c of cmdline ?? [undefined]) {
          combos.push({ s, ...(k ? { kernel: k } : {}), ...(z !== undefined ? { zfs: z } : {}), ...(c ? { cmdline: c } : {}), ...(repeat !== undefined ? { repeat } : {}) });
        }
      }
    }
  }

  for (const e of m.exclude) {
    const keys = keysOf(e);
    const before = combos.length;
    combos = combos.filter((c) => !keys.every((k) => keyMatches(e, c, k)));
    if (combos.length === before) notes.push(`${m.file}:${e.pos.line}:${e.pos.col}: exclude entry matches no cell`);
  }

  const added: Combo[] = [];
  for (const e of m.include) {
    const keys = keysOf(e);
    const original = keys.filter((k) => axisKeys.has(k));
    const extra = keys.filter((k) => !axisKeys.has(k));
    const matched = combos.filter((c) => original.every((k) => keyMatches(e, c, k)));
    if (matched.length) {
      for (const c of matched) {
        // Keys that are not axes are added to (or overwrite what an earlier include added to) the matching cells.
        for (const k of extra) {
          if (k === 'kernel') c.kernel = e.kernel;
          else if (k === 'zfs') c.zfs = e.zfs;
          else if (k === 'cmdline') c.cmdline = e.cmdline;
        }
        if (e.repeat !== undefined) c.repeat = e.repeat;
      }
      continue;
    }
    const scenarios = e.scenario === undefined ? [] : m.scenarios.filter((s) => globMatch(e.scenario!, s.id));
    if (scenarios.length === 0) {
      notes.push(`${m.file}:${e.pos.line}:${e.pos.col}: include entry matches no cell and ${e.scenario === undefined ? 'names no scenario' : `no scenario matches '${e.scenario}'`}`);
      continue;
    }
    for (const s of scenarios) {
      if (e.zfs !== undefined && !s.takesZfs) {
        impossible.push({ scenario: s.id, axis: 'zfs', values: [e.zfs], reason: `image '${s.scenario.image.name}' takes no zfs parameter: the include entry at line ${e.pos.line} is not a cell` });
        continue;
      }
      added.push({ s, ...(e.kernel ? { kernel: e.kernel } : {}), ...(e.zfs !== undefined ? { zfs: e.zfs } : {}), ...(e.cmdline ? { cmdline: e.cmdline } : {}), ...(e.repeat ?? repeat) !== undefined ? { repeat: (e.repeat ?? repeat)! } : {} });
    }
  }

  const cells: Cell[] = [];
  const ids = new Set<string>();
  for (const c of [...combos, ...added]) {
    const axes: CellAxes = {
      ...(c.kernel ? { kernel: c.kernel.label } : {}),
      ...(c.zfs !== undefined ? { zfs: c.zfs } : {}),
      ...(c.cmdline ? { cmdline: c.cmdline } : {}),
    };
    const id = cellId(c.s.id, axes);
    if (ids.has(id)) {
      notes.push(`cell ${id} is listed twice: run once`);
      continue;
    }
    ids.add(id);
    cells.push({ id, index: cells.length, scenarioId: c.s.id, axes, scenario: apply(c.s.scenario, c) });
  }
  for (const k of m.known) {
    if (!cells.some((c) => globMatch(k.cell, c.id))) notes.push(`known failure '${k.cell}' matches no cell`);
  }
  return { cells, impossible, notes };
}
