// Leaf shapes for fields.ts: strings, numbers, enums, durations, sizes, regexes.

import { isMap, isScalar, type Node as YamlNode } from 'yaml';
import { DURATION_PATTERN, SIZE_PATTERN, parseDuration, parseSize } from './duration.js';
import { accept, type Field, type JsonSchema, type NodeKind } from './fields.js';
import type { Cx } from './problems.js';
import { didYouMean } from './suggest.js';
import { UNTIL_PATTERN, parseUntil, regexError } from './until.js';
import type { UntilCondition } from './types.js';
import { errorMessage } from '../util/errors.js';

/** A field from a kind check plus a conversion that throws a user-facing Error. */
function leaf<T>(kinds: NodeKind[], expects: string, schema: JsonSchema, convert: (v: unknown, source?: string) => T): Field<T> {
  const self: Field<T> = {
    kinds, expects, schema,
    parse(node: YamlNode, cx: Cx) {
      const n = accept(self, node, cx);
      if (!n || !isScalar(n)) return undefined;
      try {
        return convert(n.value, n.source);
      } catch (e) {
        cx.report(n, errorMessage(e));
        return undefined;
      }
    },
  };
  return self;
}

/**
 * A non-empty string, optionally matching `pattern` (described by `hint` in messages).
 * `scalars` also takes numbers and booleans as written, so `run: true` is the command "true".
 */
export function str(
  opts: { pattern?: RegExp; hint?: string; maxLength?: number; expects?: string; scalars?: boolean } = {},
): Field<string> {
  const { pattern, hint, maxLength } = opts;
  return leaf(opts.scalars ? ['string', 'number', 'boolean'] : ['string'], opts.expects ?? 'a string',
    {
      type: opts.scalars ? ['string', 'number', 'boolean'] : 'string',
      minLength: 1, ...(maxLength ? { maxLength } : {}), ...(pattern ? { pattern: pattern.source } : {}),
    },
    (v, source) => {
      const s = typeof v === 'string' ? v : (source ?? String(v));
      if (s.trim() === '') throw new Error('must not be empty');
      if (maxLength && s.length > maxLength) throw new Error(`'${s}' is longer than ${maxLength} characters`);
      if (pattern && !pattern.test(s)) throw new Error(`'${s}' is not valid${hint ? ` (${hint})` : ''}`);
      return s;
    });
}

/** A Debian package version: [epoch:]upstream[-revision], e.g. 6.12.117-1~deb12u1 or 1:2.3-4. */
export const DEBIAN_VERSION = /^(\d+:)?\d[A-Za-z0-9.+~-]*$/;

/** A pinned Debian package version (apt's `name=VERSION`). */
export function debianVersion(): Field<string> {
  return str({ pattern: DEBIAN_VERSION, hint: 'a Debian package version like 6.12.117-1~deb12u1', expects: 'a Debian package version', scalars: true });
}

export function int(opts: { min?: number; max?: number } = {}): Field<number> {
  const { min, max } = opts;
  const range = min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? ` ≥ ${min}` : '';
  return leaf(['number'], `a whole number${range}`,
    { type: 'integer', ...(min !== undefined ? { minimum: min } : {}), ...(max !== undefined ? { maximum: max } : {}) },
    (v) => {
      const n = v as number;
      if (!Number.isInteger(n) || (min !== undefined && n < min) || (max !== undefined && n > max)) {
        throw new Error(`${n} is not a whole number${range}`);
      }
      return n;
    });
}

/** One of `values`; `expects` rewords the message when the enum is one branch of a union. */
export function enumOf<const E extends string>(values: readonly E[], expects?: string): Field<E> {
  return leaf(['string'], expects ?? `one of ${values.join(', ')}`, { enum: [...values] }, (v) => {
    if (values.includes(v as E)) return v as E;
    const hint = didYouMean(String(v), values);
    throw new Error(expects ? `expected ${expects}, got '${String(v)}'${hint}` : `'${String(v)}' is not one of ${values.join(', ')}${hint}`);
  });
}

/** true or false. */
export function bool(): Field<boolean> {
  return leaf(['boolean'], 'true or false', { type: 'boolean' }, (v) => v as boolean);
}

/** An exit status 0-255, or `any`. */
export function exitCode(): Field<number | 'any'> {
  return leaf(['number', 'string'], "an exit status 0-255 or 'any'",
    { oneOf: [{ type: 'integer', minimum: 0, maximum: 255 }, { const: 'any' }] },
    (v) => {
      if (v === 'any' || (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255)) return v;
      throw new Error(`expected an exit status 0-255 or 'any', got ${typeof v === 'string' ? `'${v}'` : String(v)}`);
    });
}

/** Milliseconds; written "500ms", "2s", "10m", "1h30m", or a number of seconds. */
export function duration(opts: { positive?: boolean } = {}): Field<number> {
  return leaf(['string', 'number'], 'a duration like 10m',
    { oneOf: [{ type: 'number', minimum: 0 }, { type: 'string', pattern: DURATION_PATTERN.source }] },
    (v) => {
      const ms = parseDuration(v as string | number);
      if (opts.positive && ms <= 0) throw new Error('must be longer than 0');
      return ms;
    });
}

/** Bytes; written "512M", "2G", "1.5G" (binary units), or a number of bytes. */
export function size(): Field<number> {
  return leaf(['string', 'number'], 'a size like 2G',
    { oneOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: SIZE_PATTERN.source }] },
    (v) => parseSize(v as string | number));
}

/** A JavaScript regular expression source (no slashes, no flags); checked by compiling it. */
export function regex(): Field<string> {
  return leaf(['string'], 'a regular expression', { type: 'string', format: 'regex' }, (v) => {
    const err = regexError(v as string);
    if (err) throw new Error(`invalid regex '${String(v)}': ${err}`);
    return v as string;
  });
}

/** A polling condition: ">= 100M" or "/regex/" (see until.ts). */
export function until(): Field<UntilCondition> {
  return leaf(['string'], "a condition like '>= 100M' or '/regex/'", { type: 'string', pattern: UNTIL_PATTERN },
    (v) => parseUntil(v as string));
}

/** A scalar parameter; a number keeps its written text when YAML would change it (2.10 → "2.10"). */
export function scalarParam(): Field<string | number | boolean> {
  const self: Field<string | number | boolean> = {
    kinds: ['string', 'number', 'boolean'], expects: 'a string, number or boolean',
    schema: { type: ['string', 'number', 'boolean'] },
    parse(node, cx) {
      const n = accept(self, node, cx);
      if (!n || !isScalar(n)) return undefined;
      const v = n.value as string | number | boolean;
      return typeof v === 'number' && n.source !== undefined && n.source !== String(v) ? n.source : v;
    },
  };
  return self;
}

/** Any mapping, passed through as plain data (QMP arguments). */
export function anyMap(): Field<Record<string, unknown>> {
  const self: Field<Record<string, unknown>> = {
    kinds: ['map'], expects: 'a mapping', schema: { type: 'object' },
    parse(node, cx) {
      const n = accept(self, node, cx);
      if (!n || !isMap(n)) return undefined;
      return n.toJS(cx.doc!) as Record<string, unknown>;
    },
  };
  return self;
}
