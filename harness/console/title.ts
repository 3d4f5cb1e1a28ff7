// Titles and signatures. A title is for people and names the guilty function; the
// signature is the title with everything machine- or run-specific blanked, hashed, so
// the same bug on another machine, build or boot compares equal.
import { createHash } from 'node:crypto';
import type { Groups, Kind } from './kinds.js';

const OFFSET = /\+0x[0-9a-f]+\/0x[0-9a-f]+/g;
const ADDRESS = /\b(?:0x)?[0-9a-f]*\d[0-9a-f]*\b/g;

/** A pointer-sized hex value (zero-padded small constants like exitcode=0x0000000b stay). */
function isAddress(h: string): boolean {
  const prefixed = h.startsWith('0x');
  const digits = prefixed ? h.slice(2) : h;
  const long = prefixed ? digits.length >= 8 : digits.length >= 12 || (digits.length >= 8 && /[a-f]/.test(digits));
  return long && /^[0-9a-f]+$/.test(digits) && Number.parseInt(digits.slice(-12), 16) > 0xffff;
}

/** Addresses out, offsets out, whitespace collapsed, length bounded. */
function clean(s: string): string {
  return s
    .replace(OFFSET, '')
    .replace(ADDRESS, (h) => (isAddress(h) ? 'ADDR' : h))
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 120);
}

/** A free-text message cut to its first clause: "corrupt leaf: root=5 ..." -> "corrupt leaf". */
function firstClause(s: string): string {
  const cut = s.search(/[:;,.=](?:\s|$)| \(/);
  return clean(cut > 0 ? s.slice(0, cut) : s).replace(/(?<![\w.])\d+\b/g, 'N');
}

/** The title of a report of this kind. */
export function buildTitle(row: Kind, groups: Groups, guilty: string): string {
  let t: string;
  if (typeof row.title === 'function') {
    t = row.title(groups);
  } else {
    t = row.title.replace(/\$<(\w+)>/g, (_, name: string) => {
      const v = groups[name];
      if (v === undefined) return '';
      return name === 'msg' ? firstClause(v) : clean(v);
    });
  }
  t = t.replace(/\s+/g, ' ').trim();
  if (row.inGuilty !== false && guilty) t += ` in ${guilty}`;
  return t;
}

// Block devices as they are named on different machines (sda vs vda vs nvme0n1).
const DEVICE = /\b(?:[shv]d[a-z]{1,2}\d*|xvd[a-z]{1,2}\d*|nvme\d+n\d+(?:p\d+)?|loop\d+|dm-\d+|md\d+|mmcblk\d+(?:p\d+)?|sr\d+|zd\d+|nbd\d+|ram\d+)\b/g;

/** Normalised title: devices, hex addresses, then any standalone number blanked. */
export function normaliseTitle(title: string): string {
  return title
    .replace(OFFSET, '')
    .replace(DEVICE, 'DEV')
    .replace(/\b0x[0-9a-f]+\b/gi, 'ADDR')
    .replace(/\b[0-9a-f]{8,}\b/gi, 'ADDR')
    .replace(/(?<![A-Za-z_\d])\d+/g, 'N')
    .replace(/\s+/g, ' ')
    .trim();
}

/** sha256 of the normalised title, first 16 hex digits. */
export function signature(title: string): string {
  return createHash('sha256').update(normaliseTitle(title)).digest('hex').slice(0, 16);
}
