// Just enough JSON Schema (the keywords scenarioJsonSchema emits) to check the
// schema against real scenarios without a validator dependency.

export type Schema = { [k: string]: unknown };

export const KEYWORDS = new Set([
  '$schema', '$id', 'title', 'description', 'default', 'type', 'properties', 'required', 'additionalProperties',
  'items', 'oneOf', 'anyOf', 'enum', 'const', 'pattern', 'minimum', 'maximum', 'minLength', 'maxLength', 'minItems',
  'minProperties', 'maxProperties', 'format',
]);
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

/** Problems with the schema itself: unknown keywords or types, bad patterns, required keys without properties. */
export function lintSchema(s: Schema, where = '#'): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(s)) {
    if (!KEYWORDS.has(k)) out.push(`${where}: unknown keyword ${k}`);
    if (k === 'type') for (const t of [v].flat()) if (!TYPES.has(t as string)) out.push(`${where}: unknown type ${String(t)}`);
    if (k === 'pattern') {
      try { new RegExp(v as string, 'u'); } catch (e) { out.push(`${where}: bad pattern ${(e as Error).message}`); }
    }
    if (k === 'properties') for (const [p, sub] of Object.entries(v as Record<string, Schema>)) out.push(...lintSchema(sub, `${where}/properties/${p}`));
    if (k === 'required') for (const r of v as string[]) if (!Object.hasOwn((s.properties ?? {}) as object, r)) out.push(`${where}: required ${r} has no property`);
    if ((k === 'items' || k === 'additionalProperties') && typeof v === 'object' && v) out.push(...lintSchema(v as Schema, `${where}/${k}`));
    if (k === 'oneOf' || k === 'anyOf') (v as Schema[]).forEach((sub, i) => out.push(...lintSchema(sub, `${where}/${k}/${i}`)));
    if (k === 'default') {
      for (const e of validate(s, v)) out.push(`${where}: default does not validate: ${e}`);
    }
  }
  return out;
}

function typeOk(t: string, v: unknown): boolean {
  switch (t) {
    case 'integer': return Number.isInteger(v);
    case 'number': return typeof v === 'number';
    case 'object': return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array': return Array.isArray(v);
    case 'null': return v === null;
    default: return typeof v === t;
  }
}

/** Validation errors of `v` against `s` (empty = valid). */
export function validate(s: Schema, v: unknown, at = '$'): string[] {
  const errs: string[] = [];
  if (s.type !== undefined && ![s.type].flat().some((t) => typeOk(t as string, v))) return [`${at}: not ${String(s.type)}`];
  if (s.const !== undefined && v !== s.const) errs.push(`${at}: not ${String(s.const)}`);
  if (s.enum && !(s.enum as unknown[]).includes(v)) errs.push(`${at}: not in enum`);
  if (typeof v === 'string') {
    if (s.pattern && !new RegExp(s.pattern as string, 'u').test(v)) errs.push(`${at}: does not match ${String(s.pattern)}`);
    if (typeof s.minLength === 'number' && v.length < s.minLength) errs.push(`${at}: too short`);
    if (typeof s.maxLength === 'number' && v.length > s.maxLength) errs.push(`${at}: too long`);
  }
  if (typeof v === 'number') {
    if (typeof s.minimum === 'number' && v < s.minimum) errs.push(`${at}: below minimum`);
    if (typeof s.maximum === 'number' && v > s.maximum) errs.push(`${at}: above maximum`);
  }
  if (Array.isArray(v)) {
    if (typeof s.minItems === 'number' && v.length < s.minItems) errs.push(`${at}: too few items`);
    if (s.items) v.forEach((item, i) => errs.push(...validate(s.items as Schema, item, `${at}[${i}]`)));
  }
  if (typeOk('object', v)) {
    const o = v as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, Schema>;
    for (const r of (s.required ?? []) as string[]) if (!(r in o)) errs.push(`${at}: missing ${r}`);
    if (typeof s.minProperties === 'number' && Object.keys(o).length < s.minProperties) errs.push(`${at}: too few properties`);
    if (typeof s.maxProperties === 'number' && Object.keys(o).length > s.maxProperties) errs.push(`${at}: too many properties`);
    for (const [k, val] of Object.entries(o)) {
      if (props[k]) errs.push(...validate(props[k], val, `${at}.${k}`));
      else if (s.additionalProperties === false) errs.push(`${at}: unexpected ${k}`);
      else if (typeof s.additionalProperties === 'object') errs.push(...validate(s.additionalProperties as Schema, val, `${at}.${k}`));
    }
  }
  if (s.oneOf) {
    const ok = (s.oneOf as Schema[]).filter((sub) => validate(sub, v, at).length === 0).length;
    if (ok !== 1) errs.push(`${at}: matches ${ok} of oneOf`);
  }
  if (s.anyOf && !(s.anyOf as Schema[]).some((sub) => validate(sub, v, at).length === 0)) errs.push(`${at}: matches no anyOf`);
  return errs;
}
