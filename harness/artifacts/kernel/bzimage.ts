// The kernel version string inside a bzImage, read the way `file` does:
// the x86 boot protocol's setup header holds, at 0x20E, a pointer to it
// relative to the end of the 512-byte boot sector.
import { open } from 'node:fs/promises';

export interface BzImageVersion {
  /** First word, the `uname -r` release, e.g. "6.1.0-56-amd64". */
  release: string;
  /** The whole string, e.g. "6.1.0-56-amd64 (debian-kernel@lists.debian.org) #1 SMP …". */
  full: string;
}

/** Parse the version string from a bzImage buffer (at least the setup sectors). */
export function parseBzImageVersion(buf: Buffer): BzImageVersion {
  if (buf.length < 0x210 || buf.toString('latin1', 0x202, 0x206) !== 'HdrS') {
    throw new Error('not a bzImage (no "HdrS" setup header at 0x202)');
  }
  const ptr = buf.readUInt16LE(0x20e);
  if (ptr === 0) throw new Error('bzImage has no kernel version pointer');
  const start = ptr + 0x200;
  const end = buf.indexOf(0, start);
  if (start >= buf.length || end < 0) throw new Error('bzImage version string out of range');
  const full = buf.toString('latin1', start, end).trim();
  const release = full.split(/\s+/)[0] ?? '';
  if (!/^\d+\.\d+/.test(release)) throw new Error(`bzImage version string looks wrong: ${JSON.stringify(full)}`);
  return { release, full };
}

/** Version of the kernel in a bzImage file. */
export async function bzImageVersion(path: string): Promise<BzImageVersion> {
  const fh = await open(path, 'r');
  try {
    // The setup code is at most 64 KiB (setup_sects ≤ 127 sectors), and the string lives in it.
    const buf = Buffer.alloc(0x10000);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return parseBzImageVersion(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}
