// A matrix attempt ran its scenario with the cell's axes applied (kernel
// replaced, the image's zfs parameter set, cmdline variants appended: the
// matrix's expand.ts), so "the scenario as run" is the file with those axes
// written in. The cell is found through the report's summary.json above the
// attempt directory (…/cells/CELL/N); the axes come from the cell's entry.
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import type { ScenarioResult } from '../results/types.js';
import { InputError } from '../util/errors.js';

interface CellEntry { id: string; dirs: string[]; axes: { kernel?: string; zfs?: string; cmdline?: string[] } }

/** The report directory and cell an attempt dir belongs to, if it is a matrix attempt. */
async function findCell(attemptDir: string): Promise<{ cell: CellEntry } | undefined> {
  for (let d = dirname(attemptDir); d !== dirname(d); d = dirname(d)) {
    let doc: { kind?: string; cells?: CellEntry[] };
    try {
      doc = JSON.parse(await readFile(join(d, 'summary.json'), 'utf8')) as typeof doc;
    } catch {
      continue;
    }
    if (doc.kind !== 'krepro-matrix') return undefined;
    const rel = relative(d, attemptDir);
    const cell = (doc.cells ?? []).find((c) => c.dirs.includes(rel));
    return cell ? { cell } : undefined;
  }
  return undefined;
}

/** Set the image's zfs parameter in whichever of the three image forms the scenario uses. */
function setZfs(doc: Document, zfs: string): void {
  const image = doc.get('image', true);
  if (image === undefined || isScalar(image)) {
    doc.set('image', doc.createNode({ name: isScalar(image) ? String(image.value) : 'base', zfs }, { flow: true }));
    return;
  }
  if (isMap(image)) {
    const only = image.items.length === 1 && !image.has('name') ? image.items[0] : undefined;
    if (only && isMap(only.value)) only.value.set('zfs', zfs);
    else image.set('zfs', zfs);
  }
}

/**
 * The scenario text with a matrix cell's axes written in, or undefined for a plain run's attempt.
 * A kernel axis that is not a Debian kernel (a build or path label) cannot be written back: InputError.
 */
export async function matrixScenarioText(attemptDir: string, r: ScenarioResult, text: string): Promise<{ id: string; text: string; changed: string[] } | undefined> {
  const found = await findCell(attemptDir);
  if (!found) return undefined;
  const { cell } = found;
  const doc = parseDocument(text);
  const changed: string[] = [];
  if (cell.axes.kernel !== undefined) {
    const m = /^([\w.+-]+)(?:@(.+))?$/.exec(cell.axes.kernel);
    if (!m || !/^debian:/.test(r.artifacts.kernel?.identity ?? '')) {
      throw new InputError(`${attemptDir}: matrix cell ${cell.id} has kernel axis ${cell.axes.kernel}, which summary.json names only by a label; bundle a run of a scenario that names that kernel instead`);
    }
    doc.set('kernel', doc.createNode({ debian: m[1], ...(m[2] ? { version: m[2] } : {}) }, { flow: true }));
    changed.push(`kernel ${cell.axes.kernel}`);
  }
  if (cell.axes.zfs !== undefined) {
    setZfs(doc, cell.axes.zfs);
    changed.push(`zfs ${cell.axes.zfs}`);
  }
  if (cell.axes.cmdline?.length) {
    const cur = doc.get('cmdline', true);
    const base = isSeq(cur) ? cur.items.map((i) => String(isScalar(i) ? i.value : i)) : [];
    doc.set('cmdline', doc.createNode([...base, ...cell.axes.cmdline], { flow: true }));
    changed.push(`cmdline + ${cell.axes.cmdline.join(' ')}`);
  }
  return { id: cell.id, text: doc.toString(), changed: changed.length ? changed : ['none'] };
}
