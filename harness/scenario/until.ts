// `until:` conditions of polling waits: `wait: { run: CMD, until: COND }`.
//   ">= 100M", "> 0", "== 3", "!= 0", "< 1.5G"  compare the command's trimmed stdout,
//       read as a number with an optional binary size suffix (K/M/G/T, 1K = 1024);
//       stdout that is not such a number never satisfies a comparison.
//   "/regex/"                                   matches anywhere in stdout (no flags).

import { parseQuantity } from './duration.js';
import type { UntilCondition } from './types.js';

const COMPARE = /^(>=|<=|==|!=|>|<)\s*(.+)$/;
/** For the JSON Schema: the same shapes parseUntil accepts (the operand is checked by the parser). */
export const UNTIL_PATTERN = '^\\s*(?:(?:>=|<=|==|!=|>|<)\\s*\\S.*|/.*/)\\s*$';

/** Parse an `until:` string; throws with a user-facing message when it is malformed. */
export function parseUntil(text: string): UntilCondition {
  const s = text.trim();
  if (s.length >= 2 && s.startsWith('/') && s.endsWith('/')) {
    const regex = s.slice(1, -1);
    try {
      new RegExp(regex);
    } catch (e) {
      throw new Error(`invalid regex /${regex}/: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`);
    }
    return { kind: 'match', regex };
  }
  const m = COMPARE.exec(s);
  if (m) {
    const value = parseQuantity(m[2]!);
    if (value === undefined) throw new Error(`invalid number '${m[2]}' in '${text}' (expected e.g. 100M, 1.5G, 42)`);
    return { kind: 'compare', op: m[1] as Extract<UntilCondition, { kind: 'compare' }>['op'], value };
  }
  throw new Error(`invalid condition '${text}' (expected a comparison like '>= 100M' or a regex like '/ONLINE/')`);
}

/** Does a poll's stdout satisfy the condition? */
export function checkUntil(cond: UntilCondition, stdout: string): boolean {
  if (cond.kind === 'match') return new RegExp(cond.regex).test(stdout);
  const n = parseQuantity(stdout.trim());
  if (n === undefined) return false;
  switch (cond.op) {
    case '>=': return n >= cond.value;
    case '>': return n > cond.value;
    case '<=': return n <= cond.value;
    case '<': return n < cond.value;
    case '==': return n === cond.value;
    case '!=': return n !== cond.value;
  }
}
