// A small declarative description of YAML shapes. One description drives both
// validation (with positions and "did you mean") and the JSON Schema for
// editors, so the two cannot drift apart. Leaves live in leaves.ts.

import { Document, isAlias, isMap, isScalar, isSeq, type Node as YamlNode } from 'yaml';
import type { Cx } from './problems.js';
import { didYouMean } from './suggest.js';
import type { Position } from './types.js';

export type JsonSchema = { [k: string]: unknown };
export type NodeKind = 'string' | 'number' | 'boolean' | 'null' | 'map' | 'seq';

export interface Field<T> {
  /** JSON Schema of this shape; null = not advertised (recognised only to say "not supported yet"). */
  readonly schema: JsonSchema | null;
  /** Node kinds this field accepts; lets `union` pick a branch and word its message. */
  readonly kinds: readonly NodeKind[];
  /** What a user should write, e.g. "a duration like 10m". */
  readonly expects: string;
  /** Check `node`, report problems through `cx`, return undefined when it is unusable. */
  parse(node: YamlNode, cx: Cx): T | undefined;
}

export type Out<F> = F extends Field<infer T> ? T : never;

/** Follow `*alias` to its anchor so aliases behave like the text they stand for. */
export function deref(node: YamlNode, cx: Cx): YamlNode {
  return isAlias(node) && cx.doc ? ((node.resolve(cx.doc) as YamlNode | undefined) ?? node) : node;
}

export function kindOf(node: YamlNode): NodeKind {
  if (isMap(node)) return 'map';
  if (isSeq(node)) return 'seq';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'number' || typeof v === 'bigint') return 'number';
    if (typeof v === 'boolean') return 'boolean';
  }
  return 'string';
}

const KIND_NAMES: Record<NodeKind, string> = {
  string: 'a string', number: 'a number', boolean: 'a boolean', null: 'nothing', map: 'a mapping', seq: 'a list',
};

/** Shared first step of every field: follow aliases, check the node kind. */
export function accept(field: Pick<Field<unknown>, 'kinds' | 'expects'>, node: YamlNode, cx: Cx): YamlNode | undefined {
  const n = deref(node, cx);
  const kind = kindOf(n);
  if (field.kinds.includes(kind)) return n;
  cx.report(n, `expected ${field.expects}, got ${KIND_NAMES[kind]}`);
  return undefined;
}

// ---- objects -------------------------------------------------------------

export interface Prop<T, Has extends boolean> {
  field: Field<T>;
  required: boolean;
  /** Raw YAML-level default (e.g. "30m"); parsed like user input and shown in the schema. */
  default?: unknown;
  desc?: string;
  /** Type-level marker only: does the parsed object always have this key? */
  readonly has?: Has;
}
// `any`: a property of any value type (Prop is invariant in it, so `unknown` would not accept them).
type AnyProp = Prop<any, boolean>;
export type Props = Record<string, AnyProp>;

export const req = <T>(field: Field<T>, desc?: string): Prop<T, true> => ({ field, required: true, desc });
export const opt = <T>(field: Field<T>, desc?: string): Prop<T, false> => ({ field, required: false, desc });
export const def = <T>(field: Field<T>, dflt: unknown, desc?: string): Prop<T, true> =>
  ({ field, required: false, default: dflt, desc });

type Fields<P extends Props> = {
  -readonly [K in keyof P]: P[K] extends Prop<infer T, true> ? T : P[K] extends Prop<infer T, boolean> ? T | undefined : never;
};
interface ObjMeta<P extends Props> {
  /** Position of the mapping itself. */
  $pos: Position;
  /** Position of each key's value (the mapping's position for defaulted keys). */
  $at: { [K in keyof P]: Position };
  /** Keys accepted through `extra` (e.g. image parameters). */
  $extra: Record<string, unknown>;
}
export type Obj<P extends Props> = Fields<P> & ObjMeta<P>;
/** What an object looks like when some of its fields failed: only the good ones are set. */
export type PartialObj<P extends Props> = Partial<Fields<P>> & ObjMeta<P>;

export interface ObjField<P extends Props> extends Field<Obj<P>> {
  readonly props: P;
  /** Check every key; failed fields are left out instead of failing the whole object. */
  parsePartial(node: YamlNode, cx: Cx): { value: PartialObj<P>; ok: boolean } | undefined;
}

/**
 * A mapping with known keys; `extra` admits other keys with values of that shape;
 * `nonEmpty` requires at least one key (e.g. a crash expectation needs kind or title).
 */
export function obj<P extends Props>(
  props: P, opts: { extra?: Field<unknown>; expects?: string; nonEmpty?: boolean } = {},
): ObjField<P> {
  const properties: JsonSchema = {};
  for (const [key, p] of Object.entries(props)) {
    if (!p.field.schema) continue;
    properties[key] = {
      ...p.field.schema,
      ...(p.desc ? { description: p.desc } : {}),
      ...(p.default !== undefined ? { default: p.default } : {}),
    };
  }
  const required = Object.entries(props).filter(([, p]) => p.required).map(([k]) => k);
  const self: ObjField<P> = {
    props,
    kinds: ['map'],
    expects: opts.expects ?? 'a mapping',
    schema: {
      type: 'object',
      properties,
      ...(required.length ? { required } : {}),
      additionalProperties: opts.extra?.schema ?? false,
      ...(opts.nonEmpty ? { minProperties: 1 } : {}),
    },
    parsePartial(node, cx) {
      const map = accept(self, node, cx);
      if (!map || !isMap(map)) return undefined;
      const pos = cx.pos(map);
      const value = { $pos: pos, $at: {}, $extra: {} } as PartialObj<P>;
      const at = value.$at as Record<string, Position>;
      const out = value as Record<string, unknown>;
      let ok = true;
      if (opts.nonEmpty && map.items.length === 0) {
        const keys = Object.keys(props);
        cx.reportPlain(map, keys.length ? `needs at least one of: ${keys.join(', ')}` : `needs at least one entry (${self.expects})`);
        ok = false;
      }
      const seen = new Set<string>();
      for (const pair of map.items) {
        const keyNode = pair.key as YamlNode | null;
        const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
        const valueNode = (pair.value as YamlNode | null) ?? keyNode;
        if (key === undefined || !valueNode) {
          cx.reportPlain(keyNode ?? map, 'keys must be plain words');
          ok = false;
          continue;
        }
        seen.add(key);
        const prop = Object.hasOwn(props, key) ? props[key] : undefined;
        const field = prop?.field ?? opts.extra;
        if (!field) {
          cx.reportPlain(keyNode, `unknown key '${key}'${didYouMean(key, Object.keys(props)) || validHere(props)}`);
          ok = false;
          continue;
        }
        at[key] = cx.pos(valueNode);
        const v = field.parse(valueNode, cx.at(key, valueNode));
        if (v === undefined) ok = false;
        else if (prop) out[key] = v;
        else value.$extra[key] = v;
      }
      for (const [key, p] of Object.entries(props)) {
        if (seen.has(key)) continue;
        at[key] = pos;
        if (p.required) {
          cx.reportPlain(map, `missing required key '${key}'`);
          ok = false;
        } else if (p.default !== undefined) {
          // Defaults go through the same parser as user input: one source of truth.
          const v = p.field.parse(new Document(p.default).contents as YamlNode, cx.at(key, map));
          if (v !== undefined) out[key] = v;
        }
      }
      return { value, ok };
    },
    parse(node, cx) {
      const r = self.parsePartial(node, cx);
      return r?.ok ? (r.value as Obj<P>) : undefined;
    },
  };
  return self;
}

function validHere(props: Props): string {
  const keys = Object.entries(props).filter(([, p]) => p.field.schema).map(([k]) => k);
  return keys.length ? ` (expected one of: ${keys.join(', ')})` : '';
}

// ---- tagged mappings (steps, kernel forms) -------------------------------

/** Recognised but not implemented yet: reported at its key, left out of the schema. */
export function notYet(message: string): Field<never> {
  return {
    schema: null, kinds: ['map', 'seq', 'string', 'number', 'boolean', 'null'], expects: 'nothing',
    parse(node, cx) {
      cx.reportPlain(node, message);
      return undefined;
    },
  };
}

// `any`: object fields of any shape (ObjField is invariant in its props).
type Variants = Record<string, ObjField<any> | Field<never>>;
export type TaggedOut<V extends Variants> = { [K in keyof V & string]: { tag: K; value: Out<V[K]> } }[keyof V & string];

/**
 * A mapping whose kind is named by which one of the variant keys it holds,
 * e.g. a step `{ run: CMD, timeout: 5m }` or a kernel `{ debian: ABI }`.
 */
export function tagged<V extends Variants>(variants: V, what: string): Field<TaggedOut<V>> {
  const tags = Object.keys(variants);
  const shown = tags.filter((t) => variants[t]!.schema);
  const self: Field<TaggedOut<V>> = {
    kinds: ['map'],
    expects: `a mapping with one of: ${shown.join(', ')}`,
    schema: { oneOf: shown.map((t) => variants[t]!.schema) },
    parse(node, cx) {
      const map = accept(self, node, cx);
      if (!map || !isMap(map)) return undefined;
      const present = map.items.filter((p) => isScalar(p.key) && tags.includes(String(p.key.value)));
      if (present.length === 0) {
        // The commonest cause is a misspelt tag; point at that key if there is one.
        for (const p of map.items) {
          const key = isScalar(p.key) ? String(p.key.value) : '';
          const hint = didYouMean(key, shown);
          if (hint) {
            cx.reportPlain(p.key as YamlNode, `unknown ${what} kind '${key}'${hint}`);
            return undefined;
          }
        }
        cx.reportPlain(map, `${what} needs one of: ${shown.join(', ')}`);
        return undefined;
      }
      const first = String((present[0]!.key as { value: unknown }).value);
      if (present.length > 1) {
        const second = present[1]!.key as YamlNode;
        cx.reportPlain(second, `'${String((second as { value?: unknown }).value)}' cannot be combined with '${first}' in one ${what}`);
        return undefined;
      }
      const variant = variants[first]!;
      if (!variant.schema) {
        variant.parse(present[0]!.key as YamlNode, cx); // reports "not supported yet"
        return undefined;
      }
      const value = variant.parse(map, cx);
      return value === undefined ? undefined : ({ tag: first, value } as TaggedOut<V>);
    },
  };
  return self;
}

// ---- lists and unions ----------------------------------------------------

export interface ListField<T> extends Field<T[]> {
  /** Every item with its node; failed items have value undefined (for cross-checks that must go on). */
  parseItems(node: YamlNode, cx: Cx): Array<{ value: T | undefined; node: YamlNode }> | undefined;
}

export function list<T>(item: Field<T>, opts: { minItems?: number; expects?: string } = {}): ListField<T> {
  const self: ListField<T> = {
    kinds: ['seq'],
    expects: opts.expects ?? 'a list',
    schema: { type: 'array', items: item.schema ?? {}, ...(opts.minItems ? { minItems: opts.minItems } : {}) },
    parseItems(node, cx) {
      const seq = accept(self, node, cx);
      if (!seq || !isSeq(seq)) return undefined;
      if (opts.minItems && seq.items.length < opts.minItems) cx.report(seq, `needs at least ${opts.minItems} item(s)`);
      return seq.items.map((n, i) => ({ value: item.parse(n as YamlNode, cx.at(i, n as YamlNode)), node: n as YamlNode }));
    },
    parse(node, cx) {
      const items = self.parseItems(node, cx);
      if (!items || items.some((i) => i.value === undefined)) return undefined;
      if (opts.minItems && items.length < opts.minItems) return undefined;
      return items.map((i) => i.value as T);
    },
  };
  return self;
}

/** One of several shapes, chosen by the node's kind (a string, or a mapping, …). */
export function union<A, B>(a: Field<A>, b: Field<B>): Field<A | B> {
  const self: Field<A | B> = {
    kinds: [...a.kinds, ...b.kinds],
    expects: `${a.expects} or ${b.expects}`,
    schema: { oneOf: [a.schema, b.schema] },
    parse(node, cx) {
      const n = accept(self, node, cx);
      if (!n) return undefined;
      return a.kinds.includes(kindOf(n)) ? a.parse(n, cx) : b.parse(n, cx);
    },
  };
  return self;
}

export type Item<T> = { value: T | undefined; node: YamlNode };

/**
 * A list whose items are checked one by one and kept even when some fail, for
 * lists (disks, steps) whose cross-references must still be checked.
 */
export function items<T>(item: Field<T>, opts: { expects?: string } = {}): Field<Item<T>[]> {
  const l = list(item, opts);
  return { kinds: l.kinds, expects: l.expects, schema: l.schema, parse: (node, cx) => l.parseItems(node, cx) };
}
