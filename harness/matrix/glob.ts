// Globs for scenario files and cell patterns: `*` within one path segment,
// `**` across segments, `?` one character, `{a,b}` alternatives.
import { readdir } from 'node:fs/promises';
import path from 'node:path';

const MAGIC = /[*?{]/;

export function isGlob(p: string): boolean {
  return MAGIC.test(p);
}

/** The whole-string regex for a glob. */
export function globRegex(glob: string): RegExp {
  let re = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '/' && glob.slice(i + 1) === '**') {
      re += '(?:/.*)?'; // `a/**` is `a` and everything under it
      break;
    }
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` may also match no folder at all.
      if (glob[i + 2] === '/') { re += '(?:.*/)?'; i += 2; } else { re += '.*'; i += 1; }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{') { re += '(?:'; braces++; } else if (c === '}' && braces) { re += ')'; braces--; } else if (c === ',' && braces) re += '|';
    else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function globMatch(glob: string, s: string): boolean {
  return globRegex(glob).test(s);
}

async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true }).catch(() => [])) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(dir, r)));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

/** Files matching `pattern` (relative to `dir`, or absolute), sorted; a plain path is returned as is. */
export async function expandGlob(pattern: string, dir: string): Promise<string[]> {
  const abs = path.resolve(dir, pattern);
  if (!isGlob(pattern)) return [abs];
  // Walk from the last folder before the first magic character.
  const parts = abs.split('/');
  const firstMagic = parts.findIndex((p) => isGlob(p));
  const base = parts.slice(0, firstMagic).join('/') || '/';
  const re = globRegex(parts.slice(firstMagic).join('/'));
  return (await walk(base)).filter((f) => re.test(f)).sort().map((f) => path.join(base, f));
}
