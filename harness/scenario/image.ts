// `image:` — which guest image recipe (images/NAME.yaml) and its parameters.
// Accepted forms, all meaning the same thing:
//   image: zfs
//   image: { name: zfs, zfs: 2.3.2 }      (the scenario format in DESIGN.md)
//   image: { zfs: { zfs: 2.3.2 } }        (the form images/base.yaml describes)
// Parameters are checked against the `params:` the recipe (and what it
// `extends`) declares, so a typo is reported before any image is built.

import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, parse, type Node as YamlNode } from 'yaml';
import { accept, deref, obj, req, type Field } from './fields.js';
import { scalarParam, str } from './leaves.js';
import type { Cx } from './problems.js';
import { didYouMean } from './suggest.js';
import type { ImageSpec, Position } from './types.js';

type Param = string | number | boolean;

/** An image reference as written, before its recipe is looked up. */
export interface ImageRef {
  name: string;
  params: Record<string, Param>;
  pos: Position;
  namePos: Position;
  paramPos: Record<string, Position>;
}

const nameField = str({ pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, hint: "an image name: letters, digits, '.', '_', '-'", expects: 'an image name' });
const named = obj({ name: req(nameField, 'Recipe images/NAME.yaml.') }, { extra: scalarParam() });
const paramsOnly = obj({}, { extra: scalarParam() });

export function imageField(): Field<ImageRef> {
  const self: Field<ImageRef> = {
    kinds: ['string', 'map'],
    expects: 'an image name or { name: NAME, PARAM: VALUE… }',
    schema: {
      oneOf: [
        nameField.schema,
        named.schema,
        { type: 'object', minProperties: 1, maxProperties: 1, additionalProperties: paramsOnly.schema },
      ],
    },
    parse(node, cx) {
      const n = accept(self, node, cx);
      if (!n) return undefined;
      if (isScalar(n)) {
        const name = nameField.parse(n, cx);
        return name === undefined ? undefined : { name, params: {}, pos: cx.pos(n), namePos: cx.pos(n), paramPos: {} };
      }
      if (!isMap(n)) return undefined;
      const only = n.items.length === 1 && !n.has('name') ? n.items[0] : undefined;
      if (only && isMap(deref(only.value as YamlNode, cx))) {
        const name = nameField.parse(only.key as YamlNode, cx);
        const params = paramsOnly.parse(only.value as YamlNode, cx.at(String(name)));
        if (name === undefined || params === undefined) return undefined;
        return { name, params: params.$extra as Record<string, Param>, pos: cx.pos(n), namePos: cx.pos(only.key as YamlNode), paramPos: params.$at };
      }
      const v = named.parse(n, cx);
      if (v === undefined) return undefined;
      return { name: v.name, params: v.$extra as Record<string, Param>, pos: v.$pos, namePos: v.$at.name, paramPos: v.$at };
    },
  };
  return self;
}

/** Parameters a recipe declares, following `extends`; undefined if the recipe cannot be read (the image build will say why). */
export async function declaredParams(recipe: string): Promise<Set<string> | undefined> {
  const out = new Set<string>();
  const seen = new Set<string>();
  for (let file: string | undefined = recipe; file && !seen.has(file);) {
    seen.add(file);
    let doc: unknown;
    try {
      doc = parse(await readFile(file, 'utf8'));
    } catch {
      return undefined;
    }
    if (doc === null || typeof doc !== 'object') return undefined;
    const { params, extends: parent } = doc as { params?: unknown; extends?: unknown };
    if (params && typeof params === 'object') for (const k of Object.keys(params)) out.add(k);
    file = typeof parent === 'string'
      ? path.resolve(path.dirname(file), parent.endsWith('.yaml') ? parent : `${parent}.yaml`)
      : undefined;
  }
  return out;
}

export async function resolveImage(ref: ImageRef, imagesDir: string, cx: Cx): Promise<ImageSpec | undefined> {
  const recipe = path.resolve(imagesDir, `${ref.name}.yaml`);
  if (!(await stat(recipe).then((s) => s.isFile(), () => false))) {
    const available = await readdir(imagesDir).then(
      (fs) => fs.filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort(),
      () => [] as string[],
    );
    cx.reportAt(ref.namePos, `no image recipe '${ref.name}' in ${path.resolve(imagesDir)}${didYouMean(ref.name, available)}; available: ${available.join(', ') || 'none'}`);
    return undefined;
  }
  const declared = await declaredParams(recipe);
  let ok = true;
  for (const k of Object.keys(ref.params)) {
    if (!declared || declared.has(k)) continue;
    const known = [...declared].sort();
    cx.reportAt(ref.paramPos[k] ?? ref.pos, `image '${ref.name}' has no parameter '${k}'${didYouMean(k, known)}; its parameters: ${known.join(', ') || 'none'}`);
    ok = false;
  }
  return ok ? { name: ref.name, recipe, params: ref.params, pos: ref.pos } : undefined;
}
