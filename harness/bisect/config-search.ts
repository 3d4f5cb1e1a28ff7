// A config search, pure: the options whose values differ between a good and a
// bad kernel .config, and delta debugging (ddmin, Zeller & Hildebrandt) over
// them — the smallest set of changes that, applied to the good config, makes
// the scenario fail. Kconfig has the last word on every point: applying a set
// of bad values then running olddefconfig may drop some (an unmet `depends
// on`) or pull others in (`select`), so each test reports the set it really
// applied (`effective`), and the search narrows to that. A set that changes
// nothing is the good config itself and needs no build.
import type { ConfigChange, PointVerdict } from './types.js';

const valueOf = (c: ReadonlyMap<string, string>, s: string): string => c.get(s) ?? 'n';

/** The options whose final values differ between the good and the bad .config, by symbol name. */
export function configDiff(good: ReadonlyMap<string, string>, bad: ReadonlyMap<string, string>): ConfigChange[] {
  const symbols = new Set([...good.keys(), ...bad.keys()]);
  return [...symbols].sort().flatMap((symbol) => {
    const [g, b] = [valueOf(good, symbol), valueOf(bad, symbol)];
    return g === b ? [] : [{ symbol, good: g, bad: b }];
  });
}

/** A fragment asking for one side's values of `changes`. */
export function changeFragment(changes: ConfigChange[], side: 'good' | 'bad'): string {
  return changes.map((c) => (c[side] === 'n' ? `# CONFIG_${c.symbol} is not set` : `CONFIG_${c.symbol}=${c[side]}`)).join('\n') + '\n';
}

/** The changes a final .config really carries: those at their bad value (the config under test against the good one). */
export function appliedChanges(changes: ConfigChange[], final: ReadonlyMap<string, string>): string[] {
  return changes.filter((c) => valueOf(final, c.symbol) === c.bad).map((c) => c.symbol);
}

/** What one test of a set of changes found. */
export interface ConfigTest {
  verdict: PointVerdict;
  /** The changes the built config really had (after olddefconfig), a subset of the search's changes. */
  effective: string[];
}

/** Split `xs` into `n` nearly equal consecutive parts (ddmin's partition). */
export function partition<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = start + Math.floor((xs.length - start) / (n - i));
    if (end > start) out.push(xs.slice(start, end));
    start = end;
  }
  return out;
}

/**
 * ddmin over `all` (the full set of changes, known to fail: the bad config):
 * a 1-minimal failing set, as far as the tests can tell. `test` is given the
 * symbols to apply onto the good config; a skip (build failure, another bug,
 * an error) counts as "does not fail", as ddmin's unresolved outcome does.
 * The search narrows only to a failing set that is really smaller than the
 * current one, so it always ends.
 */
export async function ddmin(all: string[], test: (set: string[]) => Promise<ConfigTest>): Promise<string[]> {
  let c = [...all];
  let n = 2;
  while (c.length >= 2) {
    const parts = partition(c, n);
    // Subsets first, then complements (for n = 2 the complements are the subsets again).
    const candidates = n === 2 ? parts : [...parts, ...parts.map((p) => c.filter((s) => !p.includes(s)))];
    let next: string[] | undefined;
    let nextN = n;
    for (const [i, set] of candidates.entries()) {
      const r = await test(set);
      if (r.verdict === 'bad' && r.effective.length > 0 && r.effective.length < c.length) {
        next = r.effective;
        nextN = i < parts.length ? 2 : Math.max(n - 1, 2);
        break;
      }
    }
    if (next) {
      c = next;
      n = nextN;
    } else if (n < c.length) {
      n = Math.min(n * 2, c.length);
    } else {
      break;
    }
  }
  return c;
}
