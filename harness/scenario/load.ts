// Scenario file → fully-resolved Scenario. Every input problem in the file is
// collected and thrown as one ScenarioError before anything is fetched or booted.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { projectDir } from './paths.js';
import { parseYamlFile, ScenarioError } from './problems.js';
import { resolveImage } from './image.js';
import { resolveDisks, resolveExpect, resolveKernel, resolveMachine } from './resolve.js';
import { scenarioSpec } from './spec.js';
import { resolveSteps } from './steps.js';
import type { Scenario } from './types.js';
import { errorMessage } from '../util/errors.js';

export { ScenarioError, type Problem } from './problems.js';
export { scenarioJsonSchema } from './schema.js';
export { parseDuration, parseSize } from './duration.js';

export interface LoadOptions {
  /** Folder of image recipes (NAME.yaml); default: the repository's images/. */
  imagesDir?: string;
}

/** Load, validate and resolve a scenario file; throws ScenarioError listing every problem. */
export async function loadScenario(file: string, opts: LoadOptions = {}): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ScenarioError([{ file, line: 1, col: 1, message: errorMessage(e) }], { cause: e });
  }
  return parseScenario(text, file, opts);
}

/** Like loadScenario, for text already in hand (`file` names it in messages and anchors relative paths). */
export async function parseScenario(text: string, file: string, opts: LoadOptions = {}): Promise<Scenario> {
  const { cx, root } = parseYamlFile(text, file, { kind: 'scenario', expected: 'name, kernel, image, steps, …' });
  const parsed = scenarioSpec.parsePartial(root, cx);
  if (!parsed) throw new ScenarioError(cx.problems);
  const top = parsed.value;
  const dir = path.dirname(path.resolve(file));
  const imagesDir = opts.imagesDir ?? projectDir('images');

  // Each part is resolved on its own, so one bad part does not hide problems in the others.
  const kernel = top.kernel && (await resolveKernel(top.kernel, dir, cx, projectDir('kconfigs')));
  const image = top.image && (await resolveImage(top.image, imagesDir, cx));
  const machine = top.machine && resolveMachine(top.machine, cx);
  const expect = top.expect && resolveExpect(top.expect);
  const { disks, known } = resolveDisks(top.disks ?? [], cx);
  const steps = resolveSteps(top.steps ?? [], known, {
    // everyMs only matters for polling waits, whose `every` defaults to 2s in spec.ts.
    timeoutMs: top.timeout ?? 0, exit: top.expect?.exit ?? 0, everyMs: 2000,
  }, cx);

  if (cx.problems.length || !kernel || !image || !machine || !expect || top.timeout === undefined
    || top['boot-timeout'] === undefined || top.cmdline === undefined || top.repeat === undefined || top.snapshot === undefined) {
    throw new ScenarioError(cx.problems);
  }
  return {
    file: path.resolve(file),
    name: top.name ?? path.basename(file, path.extname(file)),
    ...(top.description !== undefined ? { description: top.description } : {}),
    kernel, image, machine, disks, steps, expect,
    cmdline: top.cmdline,
    timeoutMs: top.timeout,
    bootTimeoutMs: top['boot-timeout'],
    repeat: top.repeat,
    snapshot: top.snapshot,
  };
}
