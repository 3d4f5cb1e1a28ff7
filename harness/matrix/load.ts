// Matrix file → a resolved Matrix: every scenario loaded (with the scenario
// loader's own checks), every axis value validated where the matrix file
// writes it. Every problem in the matrix file and the scenarios it names is
// collected and thrown as one ScenarioError, before anything is built or booted.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Out } from '../scenario/fields.js';
import { declaredParams } from '../scenario/image.js';
import { loadScenario } from '../scenario/load.js';
import { projectDir, repoRoot } from '../scenario/paths.js';
import { parseYamlFile, ScenarioError, type Cx, type Problem } from '../scenario/problems.js';
import { resolveKernel } from '../scenario/resolve.js';
import type { kernelSpec } from '../scenario/spec.js';
import { errorMessage } from '../util/errors.js';
import { expandGlob, isGlob } from './glob.js';
import { matrixSpec, type excludeSpec } from './spec.js';
import type { KernelValue, Matrix, MatrixEntry, MatrixScenario } from './types.js';

/** Plain data of a parsed value, without the loader's position keys ($pos, $at, $extra). */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith('$')).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

/** How a kernel appears in cell ids. */
export function kernelLabel(k: Out<typeof kernelSpec>): string {
  if (k.tag === 'debian') {
    const pinned = (k.value as { version?: string }).version; // a pinned package version, where the format has one
    return pinned ? `${k.value.debian}@${pinned}` : k.value.debian;
  }
  if (k.tag === 'path') return `path-${path.basename(k.value.path)}`;
  return `build-${createHash('sha256').update(JSON.stringify(plain(k.value))).digest('hex').slice(0, 8)}`;
}

/** A scenario's id: its path relative to the matrix file (else to the project), without .yaml. */
export function scenarioId(file: string, matrixDir: string): string {
  let rel = path.relative(matrixDir, file);
  if (rel.startsWith('..')) rel = path.relative(repoRoot(), file);
  if (rel.startsWith('..')) rel = file.replace(/^\/+/, '');
  return rel.replace(/\.ya?ml$/, '');
}

async function kernelValue(k: Out<typeof kernelSpec>, dir: string, cx: Cx): Promise<KernelValue | undefined> {
  const spec = await resolveKernel(k, dir, cx, projectDir('kconfigs'));
  return spec && { label: kernelLabel(k), spec };
}

async function entry(e: Out<typeof excludeSpec> & { repeat?: number }, dir: string, cx: Cx): Promise<MatrixEntry | undefined> {
  const kernel = e.kernel && (await kernelValue(e.kernel, dir, cx));
  if (e.kernel && !kernel) return undefined;
  return {
    ...(e.scenario !== undefined ? { scenario: e.scenario.replace(/\.ya?ml$/, '') } : {}),
    ...(kernel ? { kernel } : {}),
    ...(e.zfs !== undefined ? { zfs: e.zfs } : {}),
    ...(e.cmdline !== undefined ? { cmdline: e.cmdline } : {}),
    ...(e.repeat !== undefined ? { repeat: e.repeat } : {}),
    pos: e.$pos,
  };
}

/** Load and validate a matrix file and every scenario it names; throws ScenarioError listing every problem. */
export async function loadMatrix(file: string): Promise<Matrix> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ScenarioError([{ file, line: 1, col: 1, message: errorMessage(e) }], { cause: e });
  }
  const { cx, root } = parseYamlFile(text, file, { kind: 'matrix', expected: 'scenarios, axes, include, exclude, known, retry, bundle' });
  const parsed = matrixSpec.parsePartial(root, cx);
  if (!parsed) throw new ScenarioError(cx.problems);
  const top = parsed.value;
  const dir = path.dirname(path.resolve(file));
  const scenarioProblems: Problem[] = [];

  const scenarios: MatrixScenario[] = [];
  const seen = new Set<string>();
  for (const { value: pattern, node } of top.scenarios ?? []) {
    if (pattern === undefined) continue;
    const files = await expandGlob(pattern, dir);
    if (files.length === 0) cx.report(node, `'${pattern}' matches no file`);
    for (const f of files) {
      if (seen.has(f)) continue;
      seen.add(f);
      try {
        const scenario = await loadScenario(f);
        const params = await declaredParams(scenario.image.recipe);
        scenarios.push({ id: scenarioId(f, dir), scenario, takesZfs: params?.has('zfs') ?? false, pos: cx.pos(node) });
      } catch (e) {
        if (!(e instanceof ScenarioError)) throw e;
        // A missing literal path is the matrix file's mistake; anything else is the scenario's.
        if (!isGlob(pattern) && e.problems.length === 1 && /ENOENT/.test(e.problems[0]!.message)) cx.report(node, `no such scenario file: ${f}`);
        else scenarioProblems.push(...e.problems);
      }
    }
  }

  const axes: Matrix['axes'] = {};
  const a = top.axes;
  if (a?.kernel) {
    const ks = await Promise.all(a.kernel.map((k) => kernelValue(k, dir, cx.at('kernel'))));
    const labels = new Set<string>();
    axes.kernel = [];
    for (const k of ks) {
      if (!k) continue;
      if (labels.has(k.label)) cx.reportAt(k.spec.pos, `kernel: ${k.label} is listed twice`);
      labels.add(k.label);
      axes.kernel.push(k);
    }
  }
  if (a?.zfs) {
    axes.zfs = [];
    for (const { value, node } of a.zfs) {
      if (value === undefined) continue;
      if (axes.zfs.includes(value)) cx.report(node, `zfs: ${value} is listed twice`);
      else axes.zfs.push(value);
    }
  }
  if (a?.cmdline) axes.cmdline = a.cmdline;
  if (a?.repeat !== undefined) axes.repeat = a.repeat;

  const entries = async (list: { value: (Out<typeof excludeSpec> & { repeat?: number }) | undefined }[] | undefined) => {
    const out: MatrixEntry[] = [];
    for (const { value } of list ?? []) {
      const e = value && (await entry(value, dir, cx));
      if (e) out.push(e);
    }
    return out;
  };
  const include = await entries(top.include);
  const exclude = await entries(top.exclude);
  const known = (top.known ?? []).flatMap(({ value: k }) => (k ? [{
    cell: k.cell, title: k.title, link: k.link, intermittent: k.intermittent ?? false,
    ...(k.expires !== undefined ? { expires: k.expires } : {}),
  }] : []));
  for (const { value: k } of top.known ?? []) {
    if (k?.expires !== undefined && Number.isNaN(Date.parse(`${k.expires}T00:00:00Z`))) cx.reportAt(k.$at.expires, `expires: '${k.expires}' is not a date`);
  }

  const problems = [...cx.problems, ...scenarioProblems];
  if (problems.length || !parsed.ok) throw new ScenarioError(problems);
  return {
    file: path.resolve(file),
    name: top.name ?? path.basename(file, path.extname(file)),
    scenarios, axes, include, exclude, known,
    retry: top.retry ?? 1,
    bundle: top.bundle ?? true,
  };
}
