// The kernel's PVH entry: QEMU can start an uncompressed ELF vmlinux directly at
// its XEN_ELFNOTE_PHYS32_ENTRY (CONFIG_PVH), skipping the bzImage decompressor —
// under TCG that decompressor (xz for Debian's kernels) costs ~4 s of every boot.
// The vmlinux is the bzImage's own payload (boot protocol ≥ 2.08 says where it
// is and kbuild's format magic says how it is compressed), unpacked with the
// host's decompressor once per kernel and cached beside nothing else.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cached } from '../store/cache.js';
import { execa } from '../../util/children.js';
import { errorMessage } from '../../util/errors.js';
import { withTask } from '../../util/progress.js';
import type { KernelArtifact } from './artifact.js';

export type KernelEntry = 'pvh' | 'bzimage';

export interface BootKernel {
  /** What QEMU's -kernel gets. */
  path: string;
  entry: KernelEntry;
  /** Why the bzImage path was taken (no PVH note, asked for, …). */
  why?: string;
}

interface Payload {
  offset: number;
  length: number;
  format: string;
}

// kbuild's payload formats (arch/x86/boot/compressed/Makefile): magic → decompressor argv.
// Every format but gzip gets the uncompressed size appended as 4 bytes (`*_with_size`).
const FORMATS: { name: string; magic: Buffer; argv: string[]; sizeAppended: boolean }[] = [
  { name: 'gzip', magic: Buffer.from([0x1f, 0x8b]), argv: ['gzip', '-dc'], sizeAppended: false },
  { name: 'xz', magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), argv: ['xz', '-dc', '--single-stream'], sizeAppended: true },
  { name: 'zstd', magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), argv: ['zstd', '-dc'], sizeAppended: true },
  { name: 'lzma', magic: Buffer.from([0x5d, 0x00, 0x00]), argv: ['xz', '--format=lzma', '-dc'], sizeAppended: true },
];
// bzip2, lz4 and lzo payloads are rare (no distribution kernel uses them): such a kernel boots its bzImage.

/** Where a bzImage's compressed vmlinux is and how it is compressed (pure; throws on anything else). */
export function bzImagePayload(buf: Buffer): Payload {
  if (buf.length < 0x250 || buf.toString('latin1', 0x202, 0x206) !== 'HdrS') throw new Error('not a bzImage (no "HdrS" setup header)');
  const version = buf.readUInt16LE(0x206);
  if (version < 0x208) throw new Error(`boot protocol ${version >> 8}.${version & 0xff} has no payload fields (needs 2.08)`);
  const setupSects = buf[0x1f1] || 4;
  const offset = (setupSects + 1) * 512 + buf.readUInt32LE(0x248);
  const length = buf.readUInt32LE(0x24c);
  if (offset + length > buf.length) throw new Error('payload runs past the end of the file');
  const head = buf.subarray(offset, offset + 8);
  const f = FORMATS.find((x) => head.subarray(0, x.magic.length).equals(x.magic));
  if (!f) throw new Error(`unknown payload compression (magic ${head.toString('hex')})`);
  return { offset, length: f.sizeAppended ? length - 4 : length, format: f.name };
}

/** Does an ELF64 image carry the PVH entry note (Xen note type 18, XEN_ELFNOTE_PHYS32_ENTRY)? */
export function hasPvhNote(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + 56 > elf.length || elf.readUInt32LE(ph) !== 4 /* PT_NOTE */) continue;
    let o = Number(elf.readBigUInt64LE(ph + 8));
    const end = o + Number(elf.readBigUInt64LE(ph + 32));
    while (o + 12 <= end && end <= elf.length) {
      const namesz = elf.readUInt32LE(o);
      const descsz = elf.readUInt32LE(o + 4);
      const type = elf.readUInt32LE(o + 8);
      const name = elf.toString('latin1', o + 12, o + 12 + namesz).replace(/\0+$/, '');
      if (name === 'Xen' && type === 18) return true;
      o += 12 + align4(namesz) + align4(descsz);
    }
  }
  return false;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * The -kernel image for a boot: the PVH vmlinux when the kernel has that entry
 * (extracted once, cached by the kernel's hash), else the bzImage with the reason.
 */
export async function bootKernel(kernel: KernelArtifact, want: 'auto' | 'bzimage'): Promise<BootKernel> {
  if (want === 'bzimage') return { path: kernel.bzImage, entry: 'bzimage', why: 'machine.entry: bzimage' };
  const dir = await cached('kernel-pvh', kernel.hash, (tmp) => withTask(`unpack the PVH vmlinux of ${kernel.release}`, {}, async () => {
    const image = await readFile(kernel.bzImage);
    let verdict: { pvh: boolean; why?: string; format?: string };
    try {
      const p = bzImagePayload(image);
      const f = FORMATS.find((x) => x.name === p.format)!;
      const out = join(tmp, 'vmlinux');
      const r = await execa(f.argv[0]!, f.argv.slice(1), { input: image.subarray(p.offset, p.offset + p.length), stdout: { file: out }, reject: false });
      if (r.exitCode !== 0) throw new Error(`${f.argv.join(' ')} failed: ${String(r.stderr).trim() || `exit ${r.exitCode}`}`);
      verdict = hasPvhNote(await readFile(out)) ? { pvh: true, format: p.format } : { pvh: false, why: 'the kernel has no PVH entry (CONFIG_PVH off)' };
      if (!verdict.pvh) await writeFile(out, ''); // keep the verdict, not 60 MB
    } catch (e) {
      verdict = { pvh: false, why: `no vmlinux from the bzImage: ${errorMessage(e)}` };
    }
    await writeFile(join(tmp, 'entry.json'), `${JSON.stringify(verdict)}\n`);
  }));
  const v = JSON.parse(await readFile(join(dir, 'entry.json'), 'utf8')) as { pvh: boolean; why?: string };
  return v.pvh ? { path: join(dir, 'vmlinux'), entry: 'pvh' } : { path: kernel.bzImage, entry: 'bzimage', why: v.why };
}
