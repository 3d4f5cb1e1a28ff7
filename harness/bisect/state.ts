// bisect.json: the bisection's whole state, rewritten atomically after every
// point, so Ctrl-C or a host crash loses at most the point that was running.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../results/atomic.js';
import { InputError } from '../util/errors.js';
import type { BisectState } from './types.js';

export const STATE_FILE = 'bisect.json';

export function saveState(dir: string, s: BisectState): Promise<void> {
  return writeJsonAtomic(join(dir, STATE_FILE), s);
}

export async function loadState(dir: string): Promise<BisectState> {
  let text: string;
  try {
    text = await readFile(join(dir, STATE_FILE), 'utf8');
  } catch (e) {
    throw new InputError(`${dir}: no ${STATE_FILE} here (not a bisection directory?)`, { cause: e });
  }
  const s = JSON.parse(text) as BisectState;
  if (s.version !== 1) throw new InputError(`${join(dir, STATE_FILE)}: unknown version ${String(s.version)}`);
  return s;
}
