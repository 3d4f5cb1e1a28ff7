// Just enough ELF64 reading to check that every dynamically linked binary in
// an image finds its shared libraries inside the image (the guest has no
// package manager to notice a missing one; it would fail at boot, under TCG).
import { lstat, readFile, readlink, readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';

export interface ElfDeps {
  interp?: string;
  needed: string[];
}

/** PT_INTERP and DT_NEEDED of a little-endian ELF64 file; null if not such an ELF or not dynamic. */
export function elfDeps(buf: Buffer): ElfDeps | null {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) return null;
  const phoff = Number(buf.readBigUInt64LE(0x20));
  const phentsize = buf.readUInt16LE(0x36);
  const phnum = buf.readUInt16LE(0x38);
  const loads: { vaddr: number; offset: number; filesz: number }[] = [];
  let dyn: { offset: number; size: number } | undefined;
  let interp: string | undefined;
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (o + 56 > buf.length) return null;
    const type = buf.readUInt32LE(o);
    const offset = Number(buf.readBigUInt64LE(o + 8));
    const vaddr = Number(buf.readBigUInt64LE(o + 16));
    const filesz = Number(buf.readBigUInt64LE(o + 32));
    if (type === 1) loads.push({ vaddr, offset, filesz });
    else if (type === 2) dyn = { offset, size: filesz };
    else if (type === 3) interp = buf.toString('latin1', offset, offset + filesz).replace(/\0.*$/s, '');
  }
  if (!dyn) return interp ? { interp, needed: [] } : null;
  const neededOffsets: number[] = [];
  let strtab = -1;
  for (let o = dyn.offset; o + 16 <= dyn.offset + dyn.size; o += 16) {
    const tag = Number(buf.readBigInt64LE(o));
    const val = Number(buf.readBigUInt64LE(o + 8));
    if (tag === 0) break;
    if (tag === 1) neededOffsets.push(val);
    else if (tag === 5) strtab = val;
  }
  const seg = loads.find((l) => strtab >= l.vaddr && strtab < l.vaddr + l.filesz);
  if (!seg) return { interp, needed: [] };
  const base = strtab - seg.vaddr + seg.offset;
  const needed = neededOffsets.map((n) => {
    const end = buf.indexOf(0, base + n);
    return buf.toString('latin1', base + n, end);
  });
  return { interp, needed };
}

const LIB_DIRS = ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu', 'lib64', 'lib', 'usr/lib', 'usr/lib64'];

/** Follow symlinks inside `root` (absolute targets are relative to root); return the final relative path or null. */
export async function resolveInTree(root: string, rel: string): Promise<string | null> {
  let p = posix.normalize(rel).replace(/^\/+/, '');
  for (let hops = 0; hops < 16; hops++) {
    const st = await lstat(join(root, p)).catch(() => null);
    if (!st) return null;
    if (!st.isSymbolicLink()) return p;
    const target = await readlink(join(root, p));
    p = posix.normalize(target.startsWith('/') ? target : posix.join(posix.dirname(p), target)).replace(/^\/+/, '');
  }
  return null;
}

/** Every "binary: missing soname" inside a tree (empty when all shared libraries resolve). */
export async function missingLibraries(root: string): Promise<string[]> {
  const problems: string[] = [];
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || e.name.endsWith('.ko')) continue;
    const abs = join(e.parentPath ?? e.path, e.name);
    const rel = abs.slice(root.length + 1);
    if (rel.startsWith('lib/modules/')) continue;
    const head = await readFile(abs);
    const deps = elfDeps(head);
    if (!deps) continue;
    if (deps.interp && !(await resolveInTree(root, deps.interp))) problems.push(`${rel}: interpreter ${deps.interp}`);
    for (const so of deps.needed) {
      let found = false;
      for (const d of LIB_DIRS) if (!found && (await resolveInTree(root, `${d}/${so}`))) found = true;
      if (!found) problems.push(`${rel}: ${so}`);
    }
  }
  return problems;
}

