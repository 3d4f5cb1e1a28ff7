import t from 'tap';
import { bzImagePayload, hasPvhNote } from '../../../../harness/artifacts/kernel/pvh.js';

/** A bzImage shaped by the x86 boot protocol: setup sectors, then the compressed payload. */
function bzImage(payload: Buffer, opts: { version?: number; setupSects?: number } = {}): Buffer {
  const setupSects = opts.setupSects ?? 1;
  const setup = Buffer.alloc((setupSects + 1) * 512);
  setup[0x1f1] = setupSects;
  setup.write('HdrS', 0x202, 'latin1');
  setup.writeUInt16LE(opts.version ?? 0x20f, 0x206);
  setup.writeUInt32LE(16, 0x248); // payload_offset, from the start of the protected-mode code
  setup.writeUInt32LE(payload.length, 0x24c);
  return Buffer.concat([setup, Buffer.alloc(16), payload, Buffer.alloc(64)]);
}

t.test('the payload is found by the boot protocol fields and named by its magic', async (t) => {
  const xz = Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(100), Buffer.from([1, 2, 3, 4])]);
  const p = bzImagePayload(bzImage(xz));
  t.same(p, { offset: 2 * 512 + 16, length: xz.length - 4, format: 'xz' }, "kbuild's appended size is left out");
  const gz = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(50)]);
  t.same(bzImagePayload(bzImage(gz, { setupSects: 3 })), { offset: 4 * 512 + 16, length: gz.length, format: 'gzip' }, 'gzip carries its own size');
  const zero = bzImage(xz);
  zero[0x1f1] = 0;
  t.throws(() => bzImagePayload(zero), /payload|compression/, 'setup_sects 0 means 4 (the payload is then elsewhere)');
  t.throws(() => bzImagePayload(bzImage(xz, { version: 0x206 })), /needs 2\.08/);
  t.throws(() => bzImagePayload(Buffer.alloc(4096)), /not a bzImage/);
  t.throws(() => bzImagePayload(bzImage(Buffer.from('plain text, no magic'))), /unknown payload compression/);
});

/** An ELF64 with one PT_NOTE segment holding the given notes. */
function elfWithNotes(notes: { name: string; type: number; desc: Buffer }[]): Buffer {
  const align = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const body = Buffer.concat(notes.map((n) => {
    const name = Buffer.from(`${n.name}\0`, 'latin1');
    const h = Buffer.alloc(12);
    h.writeUInt32LE(name.length, 0);
    h.writeUInt32LE(n.desc.length, 4);
    h.writeUInt32LE(n.type, 8);
    return Buffer.concat([h, align(name), align(n.desc)]);
  }));
  const elf = Buffer.alloc(64 + 56);
  elf.writeUInt32BE(0x7f454c46, 0);
  elf[4] = 2; // ELFCLASS64
  elf[5] = 1; // little-endian
  elf.writeBigUInt64LE(64n, 0x20); // e_phoff
  elf.writeUInt16LE(56, 0x36);
  elf.writeUInt16LE(1, 0x38);
  elf.writeUInt32LE(4, 64); // PT_NOTE
  elf.writeBigUInt64LE(BigInt(64 + 56), 64 + 8); // p_offset
  elf.writeBigUInt64LE(BigInt(body.length), 64 + 32); // p_filesz
  return Buffer.concat([elf, body]);
}

t.test('the PVH entry is the Xen note of type 18 (XEN_ELFNOTE_PHYS32_ENTRY)', async (t) => {
  const entry = Buffer.from([0x20, 0x1a, 0x00, 0x01]);
  t.ok(hasPvhNote(elfWithNotes([{ name: 'GNU', type: 3, desc: Buffer.alloc(20) }, { name: 'Xen', type: 18, desc: entry }])));
  t.notOk(hasPvhNote(elfWithNotes([{ name: 'Xen', type: 17, desc: entry }, { name: 'Linux', type: 18, desc: entry }])),
    'other Xen notes, or type 18 under another name, are not the entry');
  t.notOk(hasPvhNote(Buffer.from('not an ELF at all, just bytes that go on for a while......................')));
});
