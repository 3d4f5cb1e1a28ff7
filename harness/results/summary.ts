import { randomBytes } from 'node:crypto';

/** A sortable, unique run id: 2026-11-21T15-40-02-ab12. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/:/g, '-').replace(/\..*$/, '')}-${randomBytes(2).toString('hex')}`;
}

/** DESIGN.md's exit codes: 0 all passed, 1 any failed, 3 any errored (none failed). */
export function exitCodeFor(verdicts: string[]): number {
  if (verdicts.includes('failed')) return 1;
  if (verdicts.includes('error')) return 3;
  return 0;
}
