// `until:` conditions of polling waits: `wait: { run: CMD, until: COND }`.
//   ">= 100M", "> 0", "== 3", "!= 0", "< 1.5G"  compare the last line of the command's
//       trimmed stdout, read as a number with an optional binary size suffix
//       (K/M/G/T, 1K = 1024); output that is not such a number never satisfies it.
//   "/regex/"                                   matches anywhere in stdout (multiline, no flags).
// The check itself is run/steps/wait.ts `satisfies`; this file only parses.

import { QUANTITY_SOURCE, parseQuantity } from './duration.js';
import type { UntilCondition } from './types.js';
import { errorMessage } from '../util/errors.js';

const COMPARE = /^(>=|<=|==|!=|>|<)\s*(.+)$/;
/** For the JSON Schema: the shapes parseUntil accepts (regex validity aside). */
export const UNTIL_PATTERN = `^\\s*(?:(?:>=|<=|==|!=|>|<)\\s*${QUANTITY_SOURCE}|/.*/)\\s*$`;

/** Why `source` is not a valid JavaScript regex ("Unterminated group"), or undefined if it is. */
export function regexError(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (e) {
    return errorMessage(e).replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
  }
}

/** Parse an `until:` string; throws with a user-facing message when it is malformed. */
export function parseUntil(text: string): UntilCondition {
  const s = text.trim();
  if (s.length >= 2 && s.startsWith('/') && s.endsWith('/')) {
    const regex = s.slice(1, -1);
    const err = regexError(regex);
    if (err) throw new Error(`invalid regex /${regex}/: ${err}`);
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
