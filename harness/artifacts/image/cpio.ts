// initramfs archives (newc cpio). Trees are packed by the host's GNU
// cpio; the tiny per-run secrets archive is written here directly, so secrets
// never sit in a temp tree and their modes (0600/0700) do not depend on umask.
import { execa } from '../../util/children.js';
import { createWriteStream } from 'node:fs';
import { lstat, readdir, lutimes } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** Sorted tree-relative paths (directories before their contents); mtimes normalised for reproducible archives. */
async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(root, rel))).sort();
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      out.push(r);
      const st = await lstat(join(root, r));
      await lutimes(join(root, r), 0, 0);
      if (st.isDirectory()) await walk(r);
    }
  };
  await walk('');
  return out;
}

/**
 * Pack `root` as an uncompressed newc cpio at `out` (owner 0:0, sorted, device-independent).
 * Uncompressed on purpose: under TCG the kernel's gunzip of a 14 MB image costs more boot
 * time (measured ≈ 1–2 s) than loading the larger file through fw_cfg does.
 */
export async function packTree(root: string, out: string): Promise<void> {
  const files = await listTree(root);
  const cpio = execa('cpio', ['--quiet', '-o', '-H', 'newc', '--null', '--owner=0:0', '--reproducible'], {
    cwd: root,
    input: `${files.join('\0')}\0`,
    encoding: 'buffer',
    buffer: false,
  });
  await Promise.all([pipeline(cpio.stdout!, createWriteStream(out)), cpio]);
}

export interface CpioEntry {
  /** Path without a leading slash, e.g. "root/.ssh/authorized_keys". */
  name: string;
  /** Full st_mode: S_IFDIR|0700 or S_IFREG|0600. */
  mode: number;
  data?: Buffer;
}

export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;

function pad4(n: number): Buffer {
  return Buffer.alloc((4 - (n % 4)) % 4);
}

/** An uncompressed newc cpio of the given entries (owner 0:0, mtime 0), with its trailer. */
export function newcArchive(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of [...entries, { name: 'TRAILER!!!', mode: 0 }]) {
    const data = e.data ?? Buffer.alloc(0);
    const name = Buffer.from(`${e.name}\0`);
    const isTrailer = e.name === 'TRAILER!!!';
    const fields = [
      isTrailer ? 0 : ino++, e.mode, 0, 0, isTrailer ? 1 : (e.mode & S_IFDIR) === S_IFDIR ? 2 : 1, 0, data.length,
      0, 0, 0, 0, name.length, 0,
    ];
    const header = Buffer.from(`070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}`, 'latin1');
    parts.push(header, name, pad4(header.length + name.length), data, pad4(data.length));
  }
  return Buffer.concat(parts);
}
