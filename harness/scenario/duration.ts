// Durations and sizes as users write them in scenarios. The regexes are
// exported so the JSON Schema accepts exactly what these parsers accept.

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** "500ms", "2s", "10m", "1h", "1m30s", "1.5s", or a plain number of seconds ("90"). */
export const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?|(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+)$/;
/** "512M", "2G", "1.5G", "2GiB", "4096", "10K" (binary units; plain number = bytes). */
// No /i flag: JSON Schema patterns carry no flags, so case-insensitivity is spelt out.
export const SIZE_PATTERN = /^\d+(?:\.\d+)?\s*(?:[KMGTkmgt](?:[iI]?[bB])?|[bB])?$/;
/** A signed number with an optional size suffix (until operands); groups: number, multiplier, bytes. */
export const QUANTITY_SOURCE = '(-?\\d+(?:\\.\\d+)?)\\s*(?:([KMGTkmgt])(?:[iI]?[bB])?|([bB]))?';
const QUANTITY = new RegExp(`^${QUANTITY_SOURCE}$`);

/** Milliseconds for a duration; a bare number (or numeric string) is seconds. Throws on bad input. */
export function parseDuration(s: string | number): number {
  if (typeof s === 'number') {
    if (!Number.isFinite(s) || s < 0) throw new Error(`invalid duration ${s} (must be a non-negative number of seconds)`);
    return Math.round(s * 1000);
  }
  const text = s.trim();
  if (!DURATION_PATTERN.test(text)) {
    throw new Error(`invalid duration '${s}' (expected e.g. 500ms, 2s, 10m, 1h, 1m30s, or a number of seconds)`);
  }
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) ms += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  return Math.round(ms);
}

/** A number with an optional binary size suffix (K/M/G/T, optionally iB/B); may be negative or fractional. */
export function parseQuantity(s: string): number | undefined {
  const m = QUANTITY.exec(s.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? m[3] ?? '').toLowerCase();
  return Number(m[1]) * SIZE_UNITS[unit]!;
}

/** Bytes for a size; binary units (1K = 1024), a bare number is bytes. Throws on bad input. */
export function parseSize(s: string | number): number {
  const bytes = typeof s === 'number' ? s : SIZE_PATTERN.test(s.trim()) ? parseQuantity(s) : undefined;
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0) {
    throw new Error(`invalid size '${s}' (expected e.g. 512M, 2G, 1.5G, or a number of bytes)`);
  }
  if (!Number.isInteger(bytes)) throw new Error(`invalid size '${s}' (not a whole number of bytes)`);
  return bytes;
}

/** Compact rendering for labels and messages: 90000 → "1m30s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
}
