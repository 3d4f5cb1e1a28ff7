// Stack frames and the guilty function: the part of a title that must come out the
// same on every machine, so build-specific decorations are removed here.
import { COMMON } from './skip.js';

// " ? foo+0x1a/0x40 [zfs]", "[<ffffffff81234567>] foo+0x1a/0x40", "foo.isra.0+0x1/0x2 [m 1234abcd]"
const FRAME = /^\s*(?:\[<[0-9a-f]+>\]\s*)?(\? )?([A-Za-z_.$][\w.$]*)\+0x[0-9a-f]+\/0x[0-9a-f]+/;
// x86 "RIP: 0010:foo+0x1/0x2", arm64 "pc : foo+0x1/0x2", older "RIP: foo+0x1/0x2" / "EIP: ...",
// 4.x "IP: foo+0x1/0x2", 3.x "RIP: 0010:[<ffffffff8139a3c4>]  [<ffffffff8139a3c4>] foo+0x4/0x20",
// "IP: [<ffffffffa0000000>] foo+0x8/0x10 [mod]", arm64 ≤ 4.x "PC is at foo+0x1/0x2".
const KERNEL_PC = /^(?:[RE]?IP: (?:0010:)?(?:\[<[0-9a-f]+>\]\s*)*|pc : (?:\[<[0-9a-f]+>\]\s*)?|PC is at )([A-Za-z_.$][\w.$]*)\+0x[0-9a-f]+/;
// GCC/LLVM clone suffixes differ between builds of the same source.
const CLONE = /\.(?:isra|constprop|part|cold|lto_priv|llvm|localalias)(?:\.\d+)?/g;

/** A frame line's function name, or undefined if not a frame; unreliable "? " frames give null. */
export function parseFrame(body: string): string | null | undefined {
  const m = FRAME.exec(body);
  if (!m) return undefined;
  return m[1] ? null : cleanFunction(m[2]!);
}

/** The function from a kernel-mode program counter line (RIP/pc), if this is one. */
export function parseKernelPc(body: string): string | undefined {
  const m = KERNEL_PC.exec(body);
  return m ? cleanFunction(m[1]!) : undefined;
}

/** "foo.isra.0+0x1/0x2 [zfs]" -> "foo". */
export function cleanFunction(name: string): string {
  const plus = name.indexOf('+0x');
  return (plus >= 0 ? name.slice(0, plus) : name).replace(CLONE, '').trim();
}

/** The first function not matching the common (skip.ts) or the kind's own skip patterns. */
export function firstGuilty(candidates: Iterable<string>, extraSkip: readonly RegExp[] = []): string {
  for (const fn of candidates) {
    if (!fn) continue;
    if (COMMON.some((r) => r.test(fn))) continue;
    if (extraSkip.some((r) => r.test(fn))) continue;
    return fn;
  }
  return '';
}
