// --shard i/n: a deterministic partition of the cells. It depends only on the
// cell ids (and a baseline's durations), never on the order of the matrix
// file, so every CI runner computes the same split on its own.
import { createHash } from 'node:crypto';
import { InputError } from '../util/errors.js';
import type { Cell } from './types.js';

export interface Shard {
  index: number;
  total: number;
}

export function parseShard(s: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(s);
  const index = Number(m?.[1]);
  const total = Number(m?.[2]);
  if (!m || total < 1 || index < 1 || index > total) throw new InputError(`--shard: expected i/n with 1 ≤ i ≤ n, got '${s}'`);
  return { index, total };
}

function idHash(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

const byHash = (a: { id: string }, b: { id: string }) => idHash(a.id).localeCompare(idHash(b.id)) || a.id.localeCompare(b.id);

/**
 * Which shard (1-based) each cell id goes to. Without durations: round-robin over the
 * cells ordered by a hash of their id (equal counts). With a baseline's durations:
 * longest first onto the least loaded shard (cells the baseline lacks count as its mean).
 */
export function assignShards(ids: string[], total: number, durations?: Map<string, number>): Map<string, number> {
  const cells = [...new Set(ids)].map((id) => ({ id }));
  const out = new Map<string, number>();
  const known = durations ? cells.map((c) => durations.get(c.id)).filter((d): d is number => d !== undefined) : [];
  if (!durations || known.length === 0) {
    cells.sort(byHash).forEach((c, i) => out.set(c.id, (i % total) + 1));
    return out;
  }
  const mean = known.reduce((s, d) => s + d, 0) / known.length;
  const cost = (id: string) => durations.get(id) ?? mean;
  const load = new Array<number>(total).fill(0);
  for (const c of cells.sort((a, b) => cost(b.id) - cost(a.id) || byHash(a, b))) {
    let best = 0;
    for (let s = 1; s < total; s++) if (load[s]! < load[best]!) best = s;
    load[best]! += cost(c.id);
    out.set(c.id, best + 1);
  }
  return out;
}

/** The cells of one shard, in matrix order. */
export function shardCells(cells: Cell[], shard: Shard, durations?: Map<string, number>): Cell[] {
  const which = assignShards(cells.map((c) => c.id), shard.total, durations);
  return cells.filter((c) => which.get(c.id) === shard.index);
}
